"""Storing and querying operational events (order status, operation confirmation, equipment state, quality
disposition): the CloudEvents envelopes that mappings produce beside EPCIS events.

The envelope id is deterministic (source message, mapping, output, element), and unique in the table, so
a redelivered or replayed message stores its operational events once. Rows are written inside the
runner's transaction, with the EPCIS events of the same batch (`store_on`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, RowMapping, and_, or_, select

from lotline.epcis.timefmt import format_time, parse_time
from lotline.store.events import Provenance
from lotline.store.schema import operational_events as t

__all__ = ["OperationalQuery", "StoreResult", "list_operational", "store_on"]

_CHUNK = 500


@dataclass(slots=True)
class StoreResult:
    """Positions (in the input) of the envelopes stored and of those already stored before."""

    stored: list[int]
    duplicates: list[int]


def store_on(
    conn: Connection,
    envelopes: Sequence[Mapping[str, Any]],
    provenance: Sequence[Provenance],
    record_time: int,
) -> StoreResult:
    """Insert the envelopes not stored yet (by envelope id), in the caller's write transaction.
    `provenance[i]` belongs to `envelopes[i]`; its plant and correlation id fill in what the envelope
    lacks."""
    ids = [str(e["id"]) for e in envelopes]
    known: set[str] = set()
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        known.update(conn.execute(select(t.c.envelope_id).where(t.c.envelope_id.in_(chunk))).scalars())
    result = StoreResult([], [])
    rows: list[dict[str, Any]] = []
    for position, (envelope, prov) in enumerate(zip(envelopes, provenance, strict=True)):
        if ids[position] in known:
            result.duplicates.append(position)
            continue
        known.add(ids[position])
        result.stored.append(position)
        rows.append(_row(envelope, prov, record_time))
    if rows:
        conn.execute(t.insert(), rows)
    return result


def _row(envelope: Mapping[str, Any], prov: Provenance, record_time: int) -> dict[str, Any]:
    time = envelope.get("time")
    return {
        "envelope_id": str(envelope["id"]),
        "type": envelope["type"],
        "source": envelope["source"],
        "subject": envelope.get("subject"),
        "time": parse_time(time) if isinstance(time, str) else (prov.received_time or record_time),
        "plant": envelope.get("plant") or prov.plant,
        "correlation_id": envelope.get("correlationid") or prov.correlation_id,
        "traceparent": envelope.get("traceparent"),
        "data": orjson.dumps(envelope.get("data") or {}).decode(),
        "source_message_id": prov.source_message_id,
        "mapping": prov.mapping,
        "received_time": prov.received_time,
        "record_time": record_time,
    }


@dataclass(frozen=True, slots=True)
class OperationalQuery:
    """Filters and the page of `list_operational`; `after` is the (time, id) of the previous page's last."""

    type: str | None = None
    plant: str | None = None
    correlation_id: str | None = None
    subject: str | None = None
    since: int | None = None  # microseconds, inclusive
    until: int | None = None  # microseconds, exclusive
    after: tuple[int, int] | None = None
    limit: int = 100


def list_operational(engine: Engine, query: OperationalQuery) -> list[tuple[int, int, dict[str, Any]]]:
    """Operational events in time order (then storage order): (time, id, envelope with provenance)."""
    stmt = select(t).order_by(t.c.time, t.c.id).limit(query.limit)
    for column, value in (
        (t.c.type, query.type),
        (t.c.plant, query.plant),
        (t.c.correlation_id, query.correlation_id),
        (t.c.subject, query.subject),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.since is not None:
        stmt = stmt.where(t.c.time >= query.since)
    if query.until is not None:
        stmt = stmt.where(t.c.time < query.until)
    if query.after is not None:
        time, row_id = query.after
        stmt = stmt.where(or_(t.c.time > time, and_(t.c.time == time, t.c.id > row_id)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [(row["time"], row["id"], _envelope(row)) for row in rows]


def _envelope(row: RowMapping) -> dict[str, Any]:
    """The stored event as its CloudEvents envelope, plus lotline's provenance under `lotline`."""
    envelope: dict[str, Any] = {
        "specversion": "1.0",
        "id": row["envelope_id"],
        "source": row["source"],
        "type": row["type"],
        "time": format_time(row["time"]),
        "datacontenttype": "application/json",
    }
    for name, key in (("subject", "subject"), ("plant", "plant"), ("correlationid", "correlation_id")):
        if row[key] is not None:
            envelope[name] = row[key]
    if row["traceparent"] is not None:
        envelope["traceparent"] = row["traceparent"]
    envelope["data"] = orjson.loads(row["data"])
    envelope["lotline"] = {
        "sourceMessageId": row["source_message_id"],
        "mapping": row["mapping"],
        "receivedTime": format_time(row["received_time"]) if row["received_time"] is not None else None,
        "recordTime": format_time(row["record_time"]),
    }
    return envelope
