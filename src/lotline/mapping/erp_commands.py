"""Outbound mapping: canonical events -> the ERP sinks' commands (`lotline.connectors.erpkit.commands`).

The YAML mapping engine maps native payloads *to* canonical events; it has no outbound direction yet (its
outputs are EPCIS events or operational envelopes, validated as such). Until it has, the outbound side is
these pure functions, tested with golden files in tests/mapping/golden_outbound/.

    outbound = erp_outbound(events, items={"022222": "RM-7"})     # -> [Outbound(key, payload), ...]

- an OperationConfirmation (with the TransformationEvent of the same order and operation, if any) gives a
  `production_confirmation` with the consumed lots (the TransformationEvent's inputs), and, when final with
  a produced lot, a `goods_receipt` of that lot;
- a QualityDisposition gives a `quality_decision`, and for on_hold / rejected also a `quarantine_transfer`
  (`quarantine=False` leaves that out, for ERPs where the decision itself blocks the lot).

Lots given as `urn:epc:class:lgtin:<company prefix>.<item ref>.<lot>` become (ERP item, lot): the item is
`items[item ref]` (or `items[gtin-14]`), else the item ref itself. Keys derive from the event id and the
command kind (`ll-` + 22 hex, 25 characters: fits every ERP's reference field), so the same event always
yields the same key and a retried delivery is recognised by the ERP sink.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from lotline.connectors.base import Outbound
from lotline.errors import MappingError

__all__ = ["erp_outbound", "outbound_key", "split_lot"]

CONFIRMATION = "io.lotline.operation.confirmation.v1"
DISPOSITION = "io.lotline.quality.disposition.v1"
LGTIN = "urn:epc:class:lgtin:"


def outbound_key(event_id: str, kind: str) -> str:
    return "ll-" + hashlib.sha256(f"{event_id}/{kind}".encode()).hexdigest()[:22]


def split_lot(identity: str, items: Mapping[str, str]) -> tuple[str, str]:
    """(ERP item, lot number) of a lot identity; MappingError when it is not an LGTIN class."""
    if not identity.startswith(LGTIN) or identity.count(".") < 2:
        raise MappingError(f"lot {identity!r} is not an {LGTIN}<prefix>.<item>.<lot> identity", field="lot")
    prefix, item_ref, lot = identity[len(LGTIN) :].split(".", 2)
    gtin = _gtin14(prefix, item_ref)
    return items.get(item_ref) or items.get(gtin) or item_ref, lot


def _gtin14(prefix: str, item_ref: str) -> str:
    digits = (item_ref[:1] + prefix + item_ref[1:])[:13]
    if not digits.isdigit() or len(digits) != 13:
        return ""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return digits + str((10 - total % 10) % 10)


def _payload(command: Mapping[str, Any]) -> bytes:
    return json.dumps(command, separators=(",", ":"), ensure_ascii=False).encode()


def _transformation_for(
    data: Mapping[str, Any], events: Iterable[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    wanted = f"urn:lotline:transformation:{data['orderId']}:{data['operation']}"
    for event in events:
        if event.get("type") == "TransformationEvent" and event.get("transformationID") == wanted:
            return event
    return None


def _confirmation(
    envelope: Mapping[str, Any], events: list[Mapping[str, Any]], items: Mapping[str, str]
) -> list[Outbound]:
    data = envelope["data"]
    transformation = _transformation_for(data, events)
    consumed = []
    for entry in (transformation or {}).get("inputQuantityList", []):
        item, lot = split_lot(entry["epcClass"], items)
        consumed.append({"item": item, "lot": lot, "quantity": entry["quantity"], "uom": entry.get("uom")})
    produced = split_lot(data["lot"], items) if data.get("lot") else None
    command: dict[str, Any] = {
        "kind": "production_confirmation",
        "orderId": data["orderId"],
        "operation": data["operation"],
        "yieldQuantity": data["yieldQuantity"],
        "scrapQuantity": data.get("scrapQuantity", 0),
        "uom": data.get("uom"),
        "final": data.get("final", False),
        "time": data["time"],
        "consumed": consumed,
    }
    if produced:
        command["item"], command["lot"] = produced
    out = [Outbound(outbound_key(envelope["id"], "production_confirmation"), _payload(command))]
    if produced and data.get("final") and data["yieldQuantity"] > 0:
        receipt = {
            "kind": "goods_receipt",
            "orderId": data["orderId"],
            "item": produced[0],
            "lot": produced[1],
            "quantity": data["yieldQuantity"],
            "uom": data.get("uom"),
            "time": data["time"],
        }
        out.append(Outbound(outbound_key(envelope["id"], "goods_receipt"), _payload(receipt)))
    return out


def _disposition(envelope: Mapping[str, Any], items: Mapping[str, str], quarantine: bool) -> list[Outbound]:
    data = envelope["data"]
    item, lot = split_lot(data["lot"], items)
    decision = {
        "kind": "quality_decision",
        "item": item,
        "lot": lot,
        "decision": data["decision"],
        "inspectionLot": data.get("inspectionLot"),
        "reason": data.get("reason"),
        "time": data["time"],
    }
    out = [Outbound(outbound_key(envelope["id"], "quality_decision"), _payload(decision))]
    if quarantine and data["decision"] in ("on_hold", "rejected"):
        transfer = {"kind": "quarantine_transfer", "item": item, "lot": lot, "reason": data.get("reason"),
                    "time": data["time"]}  # fmt: skip
        out.insert(0, Outbound(outbound_key(envelope["id"], "quarantine_transfer"), _payload(transfer)))
    return out


def erp_outbound(
    events: Iterable[Mapping[str, Any]], items: Mapping[str, str] | None = None, quarantine: bool = True
) -> list[Outbound]:
    """The ERP commands for a set of canonical events (EPCIS events are used as context only)."""
    events = list(events)
    items = items or {}
    out: list[Outbound] = []
    for event in events:
        if event.get("type") == CONFIRMATION:
            out += _confirmation(event, events, items)
        elif event.get("type") == DISPOSITION:
            out += _disposition(event, items, quarantine)
    return out
