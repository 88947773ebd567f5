"""From an observed change or event to a lotline Message: payload shape and deterministic ids.

Pure Python (no asyncua): the session turns asyncua objects into `Change` and `Occurrence` first.

Data change payload (JSON):

    {"kind": "data_change", "node": "GoodCount", "node_id": "ns=2;s=Filler.GoodCount",
     "browse_name": "2:GoodCount", "value": 42, "variant_type": "UInt32", "status": "Good",
     "status_code": 0, "source_timestamp": "2026-12-01T13:05:01.123456Z",
     "server_timestamp": "2026-12-01T13:05:01.124001Z", "endpoint": "opc.tcp://..."}

Event payload (JSON): {"kind": "event", "source": ..., "event_id": <hex>, "event_type": <node id>,
"time": ..., "fields": {"Message": ..., "Severity": ..., "LotId": ..., ...}, "endpoint": ...}; or, with
`payload_field`, that one field's bytes as they are (metadata in `opcua.*` headers).

message_id: `<node>@<source timestamp>#<digest of value, type and status>` for a data change (the same
observed value gets the same id however often it is read), `<source>!<event id>` for an event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from lotline.connectors.base import Message


@dataclass(frozen=True, slots=True)
class Change:
    """One value of a monitored node as the server reported it (value already JSON-able)."""

    key: str
    node_id: str
    browse_name: str
    value: Any
    variant_type: str
    status: str
    status_code: int
    source_timestamp: datetime | None
    server_timestamp: datetime | None
    first: bool = False  # the first report of a new subscription: the current value, maybe not a change

    @property
    def digest(self) -> str:
        """What the value is, regardless of when it was observed: value, type and status."""
        raw = orjson.dumps([self.value, self.variant_type, self.status_code], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(raw).hexdigest()[:16]

    @property
    def message_id(self) -> str:
        stamp = self.source_timestamp or self.server_timestamp
        return f"{self.key}@{iso(stamp) if stamp else '-'}#{self.digest}"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One event as the server reported it (fields already JSON-able)."""

    key: str
    event_id: str
    event_type: str
    time: datetime | None
    fields: dict[str, Any]
    raw: bytes | None = None  # the configured payload_field, when there is one

    @property
    def message_id(self) -> str:
        return f"{self.key}!{self.event_id}"


def iso(stamp: datetime) -> str:
    return stamp.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def change_message(change: Change, source: str, endpoint: str) -> Message:
    payload = {
        "kind": "data_change",
        "node": change.key,
        "node_id": change.node_id,
        "browse_name": change.browse_name,
        "value": change.value,
        "variant_type": change.variant_type,
        "status": change.status,
        "status_code": change.status_code,
        "source_timestamp": iso(change.source_timestamp) if change.source_timestamp else None,
        "server_timestamp": iso(change.server_timestamp) if change.server_timestamp else None,
        "endpoint": endpoint,
    }
    return Message(
        source=source,
        message_id=change.message_id,
        payload=orjson.dumps(payload),
        topic=change.key,
        headers={"opcua.kind": "data_change", "content-type": "application/json"},
    )


def event_message(event: Occurrence, source: str, endpoint: str) -> Message:
    if event.raw is not None:
        headers = {
            "opcua.kind": "event",
            "opcua.event_id": event.event_id,
            "opcua.event_type": event.event_type,
            "opcua.time": iso(event.time) if event.time else "",
            "opcua.endpoint": endpoint,
        }
        return Message(source, event.message_id, event.raw, topic=event.key, headers=headers)
    payload = {
        "kind": "event",
        "source": event.key,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "time": iso(event.time) if event.time else None,
        "fields": event.fields,
        "endpoint": endpoint,
    }
    return Message(
        source=source,
        message_id=event.message_id,
        payload=orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS),
        topic=event.key,
        headers={"opcua.kind": "event", "content-type": "application/json"},
    )
