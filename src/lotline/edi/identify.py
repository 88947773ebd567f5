"""The identify step for ship notices: the canonical JSON the receiving mapping reads.

`mapping_input(notice)` is `notice.to_json()` plus an `ids` block with every identifier resolved to the
URI the events use (see `lotline.edi.ids`: GS1 Digital Links when the check digits hold, private URIs
otherwise), the quantities summed per product class, and the event times. The mapping template
(`x12-856-receiving`) then only says which events to build and where each value goes.

Times: EDI dates carry no time zone; `offset` (default +00:00) says which one they are in. The receiving
event happens at the delivery date (DTM*017/067, DTM+17/132), else at the ship date, else at the
document date; the packing (AggregationEvents) at the ship date, else the document date, never after
the receipt, so a received pallet's content is known when it arrives.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lotline.edi.ids import class_uri, party_uris, private, serial_uri, unit_uri, uom_of
from lotline.edi.shipnotice import Item, Party, ShipNotice

__all__ = ["SOURCE_ROLES", "TARGET_ROLES", "mapping_input", "scope_of"]

SOURCE_ROLES = ("ship_from", "supplier", "shipper", "vendor")
TARGET_ROLES = ("ship_to", "buyer", "ordered_by")


def mapping_input(notice: ShipNotice, offset: str = "+00:00") -> dict[str, Any]:
    data = notice.to_json()
    data["ids"] = _ids(notice, offset)
    return data


def _when(value: str | None, offset: str) -> str | None:
    if not value:
        return None
    return (value if "T" in value else value + "T00:00:00") + offset


def scope_of(notice: ShipNotice) -> str:
    """The trading partner that scopes private ids: the interchange sender's id."""
    return notice.sender.rpartition(":")[2] or "unknown"


def _party(scope: str, party: Party | None) -> dict[str, str]:
    if party is None:
        return {}
    if not party.id and not party.gln:
        return {"party": private(scope, "party", "name", party.name)} if party.name else {}
    uri, location = party_uris(scope, party.gln, party.qualifier, party.id)
    return {"party": uri, "location": location} if location else {"party": uri}


def _ids(notice: ShipNotice, offset: str) -> dict[str, Any]:
    packed = _when(notice.ship_time or notice.document_time, offset)
    received = _when(notice.delivery_time, offset) or packed
    if packed and received and received < packed:
        packed = received
    scope = scope_of(notice)
    units = {c.key: unit_uri(scope, c.sscc, c.label) for c in notice.containers}
    epcs: list[str] = list(units.values())
    totals: dict[tuple[str, str], float | None] = {}
    contents: dict[str, tuple[list[str], dict[tuple[str, str], float | None]]] = {
        key: ([units[c.key] for c in notice.containers if c.parent == key], {}) for key in units
    }
    for item in notice.items:
        serials = [u for s in item.serials if (u := serial_uri(scope, item.gtin, item.parts, s))]
        epcs.extend(u for u in serials if u not in epcs)
        box = contents.get(item.container) if item.container else None
        if box is not None:
            box[0].extend(serials)
        product = class_uri(scope, item.gtin, item.parts, item.lot)
        if product is None:
            if not serials:
                notice.warnings.append(f"item {item.line}: no GTIN, part number or serial to identify it by")
            continue
        if not serials:
            _add(totals, product, item)
            if box is not None:
                _add(box[1], product, item)
    seller, buyer = notice.party(*SOURCE_ROLES), notice.party(*TARGET_ROLES)
    ids: dict[str, Any] = {
        "offset": offset,
        "eventTime": received,
        "packedTime": packed,
        "epcList": epcs,
        "from": _party(scope, seller),
        "to": _party(scope, buyer),
        "po": [_transaction(scope, buyer, "po", o) for o in notice.orders] or None,
        "desadv": _transaction(scope, seller, "desadv", notice.number) if notice.number else None,
        "bol": _transaction(scope, seller, "bol", notice.bol) if notice.bol else None,
        "quantityList": _quantities(totals) or None,
        "aggregations": [
            {
                "parentID": units[key],
                "childEPCs": children or None,
                "childQuantityList": _quantities(q) or None,
            }
            for key, (children, q) in contents.items()
            if children or q
        ],
    }
    return {key: value for key, value in ids.items() if value is not None}


def _transaction(scope: str, owner: Party | None, kind: str, number: str) -> str:
    """CBV 2.0 bizTransaction: urn:epcglobal:cbv:bt:<GLN of the issuer>:<id> when the issuer has a GLN."""
    if owner is not None and owner.gln:
        return f"urn:epcglobal:cbv:bt:{owner.gln}:{quote(number, safe='')}"
    return private(scope, kind, number)


def _add(totals: dict[tuple[str, str], float | None], product: str, item: Item) -> None:
    unit = uom_of(item.uom) or ""
    key = (product, unit)
    if item.quantity is None or (key in totals and totals[key] is None):
        totals[key] = None
    else:
        totals[key] = (totals.get(key) or 0) + item.quantity


def _quantities(totals: dict[tuple[str, str], float | None]) -> list[dict[str, Any]]:
    out = []
    for (product, unit), amount in totals.items():
        entry: dict[str, Any] = {"epcClass": product}
        if amount is not None:
            entry["quantity"] = int(amount) if float(amount).is_integer() else amount
            if unit:
                entry["uom"] = unit
        out.append(entry)
    return out
