"""Writing prepared events (append-only, deduplicated by the CBV 2.0 event hash) and reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from lotline.pipeline.prepare import PreparedEvent
from lotline.store.engine import writer
from lotline.store.schema import events

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


_EVENT_COLUMNS = (
    "id",
    "event_id",
    "event_hash",
    "event_type",
    "event_time",
    "record_time",
    "action",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "transformation_id",
    "error_declared",
    "body",
    "capture_id",
    "interface",
    "key_id",
    "source_message_id",
)


def _insert(
    conn: Connection, items: Sequence[PreparedEvent], provenance: Provenance, record_time: int
) -> None:
    """Bulk insert through the driver's executemany (SQLAlchemy's per-row parameter processing costs more
    than the insert itself at capture speed). Primary keys are allocated first, so the identifier and
    reference rows can name their event without RETURNING."""
    ids = _allocate_ids(conn, len(items))
    rows: list[tuple[Any, ...]] = []
    epc_rows: list[tuple[str, str, int, str | None]] = []
    ref_rows: list[tuple[str, str, str, int, str | None]] = []
    for pk, item in zip(ids, items, strict=True):
        rows.append(
            (
                pk,
                item.event_id,
                item.event_hash,
                item.event_type,
                item.event_time,
                record_time,
                item.action,
                item.biz_step,
                item.disposition,
                item.read_point,
                item.biz_location,
                item.transformation_id,
                item.error_declared,
                item.serialise(record_time),
                provenance.capture_id,
                provenance.interface,
                provenance.key_id,
                provenance.source_message_id,
            )
        )
        epc_rows.extend((key, role, pk, raw) for role, key, raw in item.epcs)
        ref_rows.extend((kind, kind_type, value, pk, raw) for kind, kind_type, value, raw in item.refs)
    _executemany(conn, "events", _EVENT_COLUMNS, rows)
    _executemany(conn, "event_epcs", ("key", "role", "event", "raw"), epc_rows)
    _executemany(conn, "event_refs", ("kind", "type", "value", "event", "raw"), ref_rows)


def _allocate_ids(conn: Connection, count: int) -> list[int]:
    if conn.dialect.name == "sqlite":
        # The transaction holds SQLite's write lock (BEGIN IMMEDIATE), so nobody else can take these ids.
        start = int(conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM events").scalar_one()) + 1
        return list(range(start, start + count))
    sequence = "pg_get_serial_sequence('events', 'id')"
    result = conn.exec_driver_sql(f"SELECT nextval({sequence}) FROM generate_series(1, {int(count)})")
    return [int(v) for v in result.scalars()]


def _executemany(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(columns)
    marks = ", ".join([mark] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


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
