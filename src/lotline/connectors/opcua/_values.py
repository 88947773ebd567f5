"""asyncua objects to plain JSON-able values, `Change` and `Occurrence` (imports asyncua: load lazily)."""

from __future__ import annotations

import base64
import dataclasses
import enum
import uuid
from datetime import datetime
from typing import Any

from asyncua import ua

from lotline.connectors.opcua._payload import Change, Occurrence, iso

_SKIP_EVENT_FIELDS = frozenset({"EventId"})


def jsonable(value: Any) -> Any:
    """An OPC UA value as JSON: numbers, strings and booleans as they are, DateTime as ISO 8601 UTC,
    ByteString as base64, NodeId as its string, QualifiedName as 'ns:Name', LocalizedText as its text,
    structures as objects, arrays as lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, ua.Variant):
        return jsonable(value.Value)
    if isinstance(value, ua.NodeId):
        return value.to_string()
    if isinstance(value, ua.QualifiedName):
        return value.to_string()
    if isinstance(value, ua.LocalizedText):
        return value.Text
    if isinstance(value, ua.StatusCode):
        return value.name
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def to_change(key: str, node_id: str, browse_name: str, dv: ua.DataValue, first: bool = False) -> Change:
    variant = dv.Value
    status = dv.StatusCode or ua.StatusCode()
    return Change(
        key=key,
        node_id=node_id,
        browse_name=browse_name,
        value=jsonable(variant.Value) if variant is not None else None,
        variant_type=variant.VariantType.name if variant is not None else "Null",
        status=status.name,
        status_code=int(status.value),
        source_timestamp=dv.SourceTimestamp,
        server_timestamp=dv.ServerTimestamp,
        first=first,
    )


def to_occurrence(key: str, event: Any, payload_field: str | None = None) -> Occurrence:
    fields = event.get_event_props_as_fields_dict()
    raw: bytes | None = None
    if payload_field is not None:
        field = fields.get(payload_field)
        value = field.Value if isinstance(field, ua.Variant) else field
        raw = value.encode() if isinstance(value, str) else bytes(value or b"")
    raw_id = fields.get("EventId")
    event_id = raw_id.Value if isinstance(raw_id, ua.Variant) else raw_id
    event_type = fields.get("EventType")
    when = fields.get("Time")
    return Occurrence(
        key=key,
        event_id=bytes(event_id).hex() if event_id else "",
        event_type=jsonable(event_type) or "",
        time=when.Value if isinstance(when, ua.Variant) and isinstance(when.Value, datetime) else None,
        fields={name: jsonable(v) for name, v in fields.items() if name not in _SKIP_EVENT_FIELDS},
        raw=raw,
    )
