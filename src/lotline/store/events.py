"""Writing prepared events (append-only, deduplicated by the CBV 2.0 event hash) and reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from lotline.epcis.timefmt import format_time
from lotline.pipeline.prepare import PreparedEvent
from lotline.store.engine import writer
from lotline.store.schema import event_epcs, event_refs, events

_CHUNK = 500  # bound on IN (...) lists


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where stored events came from."""

    interface: str  # "rest", "import", ...
    key_id: str | None = None
    capture_id: str | None = None
    source_message_id: str | None = None


@dataclass(slots=True)
class WriteResult:
    """Outcome per input position: stored, duplicate (same hash already stored) or conflict (reason)."""

    stored: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    committed: bool = True


def write_events(
    engine: Engine,
    prepared: Sequence[PreparedEvent],
    provenance: Provenance,
    record_time: int,
    *,
    all_or_nothing: bool = True,
) -> WriteResult:
    """Store the events in one transaction.

    An event whose hash is stored already is a duplicate (skipped, reported). An eventID that is already
    used by a different event is a conflict; with `all_or_nothing` a conflict stores nothing at all.
    """
    with writer(engine).begin() as conn:
        result = _classify(conn, prepared)
        if result.conflicts and all_or_nothing:
            result.stored.clear()
            result.committed = False
            return result
        if result.stored:
            _insert(conn, [prepared[i] for i in result.stored], provenance, record_time)
        return result


def _classify(conn: Connection, prepared: Sequence[PreparedEvent]) -> WriteResult:
    known_hashes = _existing_hashes(conn, [p.event_hash for p in prepared])
    # Only original events claim their eventID; an error declaration repeats the id it declares in error.
    originals = [p.event_id for p in prepared if not p.error_declared]
    known_ids = _existing(conn, events.c.event_id, originals, events.c.error_declared.is_(False))
    result = WriteResult()
    batch_hashes: set[tuple[str, bool]] = set()
    batch_ids: set[str] = set()
    for index, item in enumerate(prepared):
        identity = (item.event_hash, item.error_declared)
        if identity in known_hashes or identity in batch_hashes:
            result.duplicates.append(index)
        elif not item.error_declared and (item.event_id in known_ids or item.event_id in batch_ids):
            result.conflicts.append(
                (index, f"eventID {item.event_id!r} is already used by a different event")
            )
        else:
            result.stored.append(index)
            batch_hashes.add(identity)
            if not item.error_declared:
                batch_ids.add(item.event_id)
    return result


def _existing_hashes(conn: Connection, hashes: Sequence[str]) -> set[tuple[str, bool]]:
    """(hash, declared-in-error) pairs already stored among `hashes`."""
    found: set[tuple[str, bool]] = set()
    for start in range(0, len(hashes), _CHUNK):
        chunk = list(set(hashes[start : start + _CHUNK]))
        stmt = select(events.c.event_hash, events.c.error_declared).where(events.c.event_hash.in_(chunk))
        found.update((h, bool(d)) for h, d in conn.execute(stmt))
    return found


def _existing(conn: Connection, column: Any, values: Sequence[str], *where: Any) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(values), _CHUNK):
        chunk = list(set(values[start : start + _CHUNK]))
        found.update(conn.execute(select(column).where(column.in_(chunk), *where)).scalars())
    return found


def _insert(
    conn: Connection, items: Sequence[PreparedEvent], provenance: Provenance, record_time: int
) -> None:
    stamp = format_time(record_time)
    rows = []
    for item in items:
        body = dict(item.event)
        body["recordTime"] = stamp
        rows.append(
            {
                "event_id": item.event_id,
                "event_hash": item.event_hash,
                "event_type": item.event_type,
                "event_time": item.event_time,
                "record_time": record_time,
                "action": item.action,
                "biz_step": item.biz_step,
                "disposition": item.disposition,
                "read_point": item.read_point,
                "biz_location": item.biz_location,
                "transformation_id": item.transformation_id,
                "error_declared": item.error_declared,
                "body": orjson.dumps(body).decode(),
                "capture_id": provenance.capture_id,
                "interface": provenance.interface,
                "key_id": provenance.key_id,
                "source_message_id": provenance.source_message_id,
            }
        )
    stmt = events.insert().returning(events.c.id, sort_by_parameter_order=True)
    ids = list(conn.execute(stmt, rows).scalars())
    epc_rows = [
        {"event": pk, "role": role, "key": key}
        for pk, item in zip(ids, items, strict=True)
        for role, key in item.epcs
    ]
    ref_rows = [
        {"event": pk, "kind": kind, "type": kind_type, "value": value}
        for pk, item in zip(ids, items, strict=True)
        for kind, kind_type, value in item.refs
    ]
    if epc_rows:
        conn.execute(event_epcs.insert(), epc_rows)
    if ref_rows:
        conn.execute(event_refs.insert(), ref_rows)


def load_bodies(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Stored JSON bodies -> event dicts."""
    for row in rows:
        yield orjson.loads(row)


def get_event(engine: Engine, event_id: str) -> dict[str, Any] | None:
    """The event with this eventID (the original, if an error declaration repeats the id)."""
    stmt = (
        select(events.c.body)
        .where(events.c.event_id == event_id)
        .order_by(events.c.error_declared, events.c.id)
        .limit(1)
    )
    with engine.connect() as conn:
        body = conn.execute(stmt).scalar()
    return orjson.loads(body) if body is not None else None


def count_events(engine: Engine) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())
