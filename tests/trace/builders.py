"""Small EPCIS 2.0 event builders for hand-built genealogies, and a fixture to capture and index them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lotline.pipeline.capture import PROCEED, DocumentParts, capture_parts
from lotline.store.events import Provenance
from lotline.trace.index import TraceIndex

SUPPLIER = "urn:epc:id:pgln:0614141.00001"
PLANT = "urn:epc:id:pgln:4012345.00000"
CUSTOMER_A = "urn:epc:id:pgln:4300001.00000"
CUSTOMER_B = "urn:epc:id:pgln:4300002.00000"
SITE_1 = "urn:epc:id:sgln:4012345.00001.0"
SITE_2 = "urn:epc:id:sgln:4012345.00002.0"


def lot(item: str, number: str) -> str:
    return f"urn:epc:class:lgtin:4012345.{item}.{number}"


def serial(item: str, number: int) -> str:
    return f"urn:epc:id:sgtin:4012345.{item}.{number}"


def sscc(number: int) -> str:
    return f"urn:epc:id:sscc:4012345.{number:010d}"


# The lots of the hand-built genealogies: a raw material from each of two suppliers, the mixed batch, the
# finished lot.
RAW = "urn:epc:class:lgtin:4012345.000001.SUGAR-1"
RAW_2 = "urn:epc:class:lgtin:4012345.000002.COCOA-7"
BATCH = "urn:epc:class:lgtin:4012345.000010.MIX-100"
FINISHED = "urn:epc:class:lgtin:4012345.000020.BAR-100"


def at(day: int, hour: int = 8) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:00:00.000+01:00"


def _base(kind: str, time: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventTime": time, "eventTimeZoneOffset": "+01:00", **fields}


def qty(epc_class: str, amount: float = 100, uom: str = "KGM") -> dict[str, Any]:
    return {"epcClass": epc_class, "quantity": amount, "uom": uom}


def receive(items: list[str], supplier: str, time: str, site: str = SITE_1, **extra: Any) -> dict[str, Any]:
    classes = [i for i in items if ":class:" in i]
    instances = [i for i in items if ":class:" not in i]
    return _base(
        "ObjectEvent",
        time,
        action="OBSERVE",
        bizStep="receiving",
        disposition="in_progress",
        **({"epcList": instances} if instances else {}),
        **({"quantityList": [qty(c) for c in classes]} if classes else {}),
        readPoint={"id": site},
        sourceList=[{"type": "owning_party", "source": supplier}],
        destinationList=[
            {"type": "owning_party", "destination": PLANT},
            {"type": "location", "destination": site},
        ],
        **extra,
    )


def transform(
    inputs: list[str], outputs: list[str], time: str, transformation_id: str | None = None
) -> dict[str, Any]:
    fields: dict[str, Any] = {"bizStep": "commissioning", "readPoint": {"id": SITE_1}}
    for name, ids in (("input", inputs), ("output", outputs)):
        classes = [i for i in ids if ":class:" in i]
        instances = [i for i in ids if ":class:" not in i]
        if instances:
            fields[f"{name}EPCList"] = instances
        if classes:
            fields[f"{name}QuantityList"] = [qty(c) for c in classes]
    if transformation_id:
        fields["transformationID"] = transformation_id
    return _base("TransformationEvent", time, **fields)


def pack(parent: str, children: list[str], time: str) -> dict[str, Any]:
    classes = [i for i in children if ":class:" in i]
    instances = [i for i in children if ":class:" not in i]
    return _base(
        "AggregationEvent",
        time,
        action="ADD",
        parentID=parent,
        bizStep="packing",
        **({"childEPCs": instances} if instances else {}),
        **({"childQuantityList": [qty(c) for c in classes]} if classes else {}),
    )


def unpack(parent: str, children: list[str] | None, time: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"action": "DELETE", "parentID": parent, "bizStep": "unpacking"}
    if children:
        fields["childEPCs"] = children
    return _base("AggregationEvent", time, **fields)


def attach(parent: str, device: str | None, time: str) -> dict[str, Any]:
    """An AssociationEvent: ADD of `device` to `parent`, or, with no device, a DELETE detaching everything."""
    if device is None:
        return _base("AssociationEvent", time, action="DELETE", parentID=parent)
    return _base("AssociationEvent", time, action="ADD", parentID=parent, childEPCs=[device])


def ship(
    items: list[str], customer: str, time: str, site: str = SITE_1, bizstep: str = "shipping"
) -> dict[str, Any]:
    return _base(
        "ObjectEvent",
        time,
        action="OBSERVE",
        bizStep=bizstep,
        disposition="in_transit",
        epcList=items,
        readPoint={"id": site},
        sourceList=[{"type": "owning_party", "source": PLANT}],
        destinationList=[{"type": "owning_party", "destination": customer}],
        bizTransactionList=[{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:ASN1"}],
    )


def declared_in_error(event: dict[str, Any], time: str) -> dict[str, Any]:
    return {**event, "errorDeclaration": {"declarationTime": time, "reason": "incorrect_data"}}


def index_of(engine: sa.Engine, *event_list: dict[str, Any]) -> TraceIndex:
    """Capture the events (one document each, in the order given) and return a trace index over them."""
    for event in event_list:
        outcome = capture_parts(engine, DocumentParts([event], {}, []), Provenance("test"), PROCEED)
        assert not outcome.errors, outcome.errors
    return TraceIndex(engine)


def ids(result: Any) -> set[str]:
    return {item["id"] for item in result.items}


def party_ids(result: Any) -> set[str]:
    return {party["id"] for party in result.parties}
