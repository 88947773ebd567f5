"""Shipping events into the canonical ship notice, for an outbound 856 or DESADV.

    notice = ship_notice_from_events([shipping_event, *aggregation_events])

The shipping ObjectEvent (bizStep shipping) gives the date (its local time, as written), the parties
(sourceList owning_party -> ship from, destinationList owning_party -> ship to; GLNs from PGLN/SGLN ids),
the references (bizTransactionList: desadv -> the notice number, po -> orders, bol -> bill of lading) and
the handling units (SSCCs in epcList). AggregationEvents ADD give what each unit holds: nested units,
serialised items (SGTIN -> GTIN + serial) and lots (LGTIN quantities -> GTIN + lot + quantity). Private
`urn:lotline:edi:` ids (see `lotline.edi.ids`) are read back to their labels and part numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from lotline.edi.errors import EdiError
from lotline.edi.shipnotice import Container, Item, Party, ShipNotice
from lotline.epcis.identifiers import identity_key

__all__ = ["ship_notice_from_events"]

_DL = re.compile(r"https://id\.gs1\.org/(00|01|414|417)/(\d+)(?:/(10|21)/([^/?#]+))?")
_UOM_BACK = {"KGM": "KG", "LBR": "LB", "CS": "CA", "LTR": "LT", "MTR": "MR", "GLL": "GA", "FOT": "FT"}


@dataclass(frozen=True, slots=True)
class _Id:
    """An identifier taken apart: kind sscc/gtin/gln/pgln (GS1) or unit/item/party (private), ""."""

    kind: str
    key: str  # the GS1 key digits; the label; the part or party id qualifier
    part: str = ""  # the private item's part number, or the private party's id
    lot: str | None = None
    serial: str | None = None


def _parse(uri: str) -> _Id:
    try:
        canonical = identity_key(uri)
    except ValueError:
        canonical = uri
    match = _DL.fullmatch(canonical)
    if match:
        kind = {"00": "sscc", "01": "gtin", "414": "gln", "417": "pgln"}[match[1]]
        value = unquote(match[4]) if match[4] else None
        return _Id(
            kind, match[2], "", value if match[3] == "10" else None, value if match[3] == "21" else None
        )
    if uri.startswith("urn:lotline:edi:"):  # <scope>:<kind>:<key>[:<part>[:lot|ser:<value>]]
        parts = [unquote(p) for p in uri[len("urn:lotline:edi:") :].split(":")]
        kind, key = [*parts, "", ""][1:3]
        extra = dict(zip(parts[4::2], parts[5::2], strict=False))
        return _Id(kind, key, parts[3] if len(parts) > 3 else "", extra.get("lot"), extra.get("ser"))
    return _Id("", uri)


def _local(time: str) -> str:
    """The local date-time of an RFC 3339 time, to the second: what EDI dates say."""
    return time[:19]


def _party(code: str, entries: list[dict[str, Any]], key: str) -> Party | None:
    found: dict[str, _Id] = {}
    for entry in entries:
        found.setdefault(str(entry.get("type")), _parse(str(entry.get(key, ""))))
    chosen = found.get("owning_party") or found.get("location")
    if chosen is None:
        return None
    role = {"SF": "ship_from", "ST": "ship_to"}[code]
    if chosen.kind in ("pgln", "gln"):
        return Party(role, code, "", "UL", chosen.key, chosen.key)
    if chosen.kind == "party" and chosen.key == "name":  # urn:lotline:edi:<scope>:party:name:<name>
        return Party(role, code, chosen.part, "", "")
    if chosen.kind == "party":
        return Party(role, code, "", chosen.key, chosen.part)
    return Party(role, code, "", "ZZ", chosen.key)


def _transactions(event: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in event.get("bizTransactionList", []):
        uri = str(entry.get("bizTransaction", ""))
        number = unquote(uri.rsplit(":", 1)[-1])
        found.setdefault(str(entry.get("type", "")), []).append(number)
    return found


def ship_notice_from_events(
    events: Sequence[dict[str, Any]], *, sender: str = "", receiver: str = ""
) -> ShipNotice:
    """The ship notice of one shipment: its shipping ObjectEvent and the AggregationEvents of its units."""
    shipping = [
        e for e in events if e.get("type") == "ObjectEvent" and str(e.get("bizStep", "")).endswith("shipping")
    ]
    if len(shipping) != 1:
        raise EdiError(f"an outbound ship notice needs exactly one shipping ObjectEvent, got {len(shipping)}")
    ship = shipping[0]
    refs = _transactions(ship)
    number = (refs.get("desadv") or refs.get("bol") or [""])[0]
    if not number:
        raise EdiError(
            "the shipping event has no desadv (or bol) bizTransaction to number the ship notice by"
        )
    when = _local(str(ship["eventTime"]))
    notice = ShipNotice(
        "",
        "",
        number,
        sender=sender,
        receiver=receiver,
        purpose="00",
        document_time=when,
        ship_time=when,
        bol=next(iter(refs.get("bol", [])), None),
        orders=refs.get("po", []),
    )
    notice.parties = [
        p
        for p in (
            _party("SF", ship.get("sourceList", []), "source"),
            _party("ST", ship.get("destinationList", []), "destination"),
        )
        if p
    ]
    order = notice.orders[0] if len(notice.orders) == 1 else None
    contents = {
        str(e["parentID"]): e
        for e in events
        if e.get("type") == "AggregationEvent" and e.get("action") == "ADD" and e.get("parentID")
    }
    for uri in ship.get("epcList", []):
        _unit_or_item(notice, str(uri), None, order, contents)
    for entry in ship.get("quantityList", []):
        _lot(notice, entry, None, order)
    return notice


def _unit_or_item(
    notice: ShipNotice, uri: str, parent: str | None, order: str | None, contents: dict[str, dict[str, Any]]
) -> None:
    found = _parse(uri)
    if found.kind == "gtin" and found.serial is not None:
        notice.items.append(
            Item(
                line=str(len(notice.items) + 1),
                gtin=found.key,
                serials=[found.serial],
                parts={"UK": found.key},
                quantity=1,
                uom="EA",
                order=order,
                container=parent,
            )
        )
        return
    if found.kind not in ("sscc", "unit"):
        raise EdiError(
            f"{uri}: not a handling unit (SSCC) or a serialised item; cannot say it in a ship notice"
        )
    sscc = found.key if found.kind == "sscc" else None
    container = Container(found.key, "P", sscc, None if sscc else found.key, parent, order)
    notice.containers.append(container)
    packed = contents.get(uri)
    if packed is None:
        return
    children = [str(c) for c in packed.get("childEPCs", [])]
    if any(_parse(c).kind in ("sscc", "unit") for c in children):
        container.level = "T"
    for child in children:
        _unit_or_item(notice, child, container.key, order, contents)
    for entry in packed.get("childQuantityList", []):
        _lot(notice, entry, container.key, order)


def _lot(notice: ShipNotice, entry: dict[str, Any], parent: str | None, order: str | None) -> None:
    found = _parse(str(entry.get("epcClass", "")))
    unit = str(entry.get("uom", ""))
    item = Item(
        line=str(len(notice.items) + 1),
        quantity=entry.get("quantity"),
        uom=_UOM_BACK.get(unit, unit or "EA"),
        order=order,
        container=parent,
        lot=found.lot,
    )
    if found.kind == "gtin":
        item.gtin, item.parts = found.key, {"UK": found.key}
    elif found.kind == "item" and found.part:  # urn:lotline:edi:<scope>:item:<qualifier>:<part>[:lot:<lot>]
        item.parts = {found.key: found.part}
    else:
        raise EdiError(f"{entry.get('epcClass')}: not a GTIN or lot class; cannot say it in a ship notice")
    notice.items.append(item)
