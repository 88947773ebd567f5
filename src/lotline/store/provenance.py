"""Reading an event's provenance: where it came from, kept beside the event and never inside the EPCIS
body (EPCIS responses stay standard; lotline's own API serves this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from lotline.epcis.timefmt import format_time
from lotline.store.schema import event_id_in
from lotline.store.schema import events as t

__all__ = ["event_provenance"]

_COLUMNS = (
    t.c.event_id,
    t.c.event_hash,
    t.c.error_declared,
    t.c.interface,
    t.c.source,
    t.c.source_message_id,
    t.c.plant,
    t.c.received_time,
    t.c.record_time,
    t.c.mapping,
    t.c.correlation_id,
    t.c.capture_id,
    t.c.key_id,
)


def event_provenance(engine: Engine, event_id: str) -> list[dict[str, Any]]:
    """One entry per stored event with this eventID (the original first, then error declarations)."""
    stmt = select(*_COLUMNS).where(event_id_in([event_id])).order_by(t.c.error_declared, t.c.id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [
        {
            "eventID": row["event_id"],
            "eventHash": row["event_hash"],
            "errorDeclaration": bool(row["error_declared"]),
            "interface": row["interface"],
            "source": row["source"],
            "sourceMessageId": row["source_message_id"],
            "plant": row["plant"],
            "receivedTime": _time(row["received_time"]),
            "recordTime": _time(row["record_time"]),
            "mapping": row["mapping"],
            "correlationId": row["correlation_id"],
            "captureId": row["capture_id"],
            "keyId": row["key_id"],
        }
        for row in rows
    ]


def _time(value: int | None) -> str | None:
    return format_time(value) if value is not None else None
