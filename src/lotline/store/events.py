"""Writing prepared events (append-only, deduplicated by the CBV 2.0 event hash) and reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from lotline.pipeline.prepare import EventRow, PreparedEvent
from lotline.store.engine import writer
from lotline.store.inlists import rows_in
from lotline.store.schema import EVENT_ID_IN_SQL, event_id_in, events


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where stored events came from. The fields after `source_message_id` are set for connector events
    (the design's per-event provenance); REST captures and imports leave them unset."""

    interface: str  # "rest", "import", "connector", ...
    key_id: str | None = None
    capture_id: str | None = None
    source_message_id: str | None = None
    source: str | None = None  # the source system: the connector's configured name
    plant: str | None = None
    received_time: int | None = None  # microseconds, when the connector read the message
    mapping: str | None = None  # name@version of the mapping that produced the event
    correlation_id: str | None = None  # follows an order or lot across systems

    @property
    def detailed(self) -> bool:
        """Whether any per-event field is set (else the insert leaves those columns out, as before)."""
        return any(
            v is not None
            for v in (self.source, self.plant, self.received_time, self.mapping, self.correlation_id)
        )


class OwnWrites:
    """What one writer has stored in an events table that held no events before it (a first import into a
    new database): with it, the writer knows most of a batch's events are new without asking the database,
    for as long as nobody else has written since. SQLite only: ids are allocated one above the largest
    there (`allocate_ids`, under the write lock) and events are never deleted, so another writer's event
    shows as a largest id that is not the last one stored here.

    One bit per stored event hash and eventID in a fixed 16 MiB bitmap, at a position drawn from the string's
    hash: a clear bit means "certainly not stored"; a set bit (a stored one, or a collision: about 1% of new
    events at a million stored) sends that event to the usual database lookups. The first transaction that
    finds an event it did not write turns it off for good."""

    _BITS = 1 << 27

    def __init__(self) -> None:
        self._bits = bytearray()  # allocated by the first check that finds it usable
        self.last_id = 0  # the largest id when this writer last committed (none stored yet: an empty table)
        self.active = True

    def check(self, conn: Connection) -> bool:
        """Whether nobody else has stored events since (call in the write transaction, before `classify`)."""
        if self.active and conn.dialect.name == "sqlite":
            largest = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM events").scalar_one()
            self.active = int(largest) == self.last_id
        else:
            self.active = False
        if self.active and not self._bits:
            self._bits = bytearray(self._BITS >> 3)
        elif not self.active:
            self._bits = bytearray()  # never used again: give the 16 MiB back
        return self.active

    def maybe_stored(self, values: Iterable[str]) -> list[str]:
        """The values this writer may have stored (the rest it certainly has not)."""
        bits, mask = self._bits, self._BITS - 1
        return [v for v in values if bits[(bit := hash(v) & mask) >> 3] & (1 << (bit & 7))]

    def add(self, values: Iterable[str]) -> None:
        bits, mask = self._bits, self._BITS - 1
        for value in values:
            bit = hash(value) & mask
            bits[bit >> 3] |= 1 << (bit & 7)


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
    per_row: Sequence[Provenance] | None = None,
) -> WriteResult:
    """Store the events in one transaction.

    An event whose hash is stored already is a duplicate (skipped, reported). An eventID that is already
    used by a different event is a conflict; with `all_or_nothing` a conflict stores nothing at all.
    `per_row`, when given, is one provenance per event and replaces `provenance` (connector events).
    """
    rows = [p.row(record_time) for p in prepared]
    return write_rows(engine, rows, provenance, record_time, all_or_nothing=all_or_nothing, per_row=per_row)


def write_rows(
    engine: Engine,
    rows: Sequence[EventRow],
    provenance: Provenance,
    record_time: int,
    *,
    all_or_nothing: bool = True,
    per_row: Sequence[Provenance] | None = None,
    own: OwnWrites | None = None,
) -> WriteResult:
    """`write_events` for events already in row form (`PreparedEvent.row`), as worker processes send them.
    `own` (a bulk writer's `OwnWrites`) spares the duplicate lookups of events that cannot be duplicates."""
    with writer(engine).begin() as conn:
        return write_rows_on(
            conn, rows, provenance, record_time, all_or_nothing=all_or_nothing, per_row=per_row, own=own
        )


def write_rows_on(
    conn: Connection,
    rows: Sequence[EventRow],
    provenance: Provenance,
    record_time: int,
    *,
    all_or_nothing: bool = True,
    per_row: Sequence[Provenance] | None = None,
    own: OwnWrites | None = None,
) -> WriteResult:
    """`write_rows` inside the caller's (write) transaction, so other rows can be stored atomically with
    the events (the runner stores a batch's operational events this way)."""
    if own is not None and not own.check(conn):
        own = None
    identities = [(r[0], r[1], r[10]) for r in rows]  # see EventRow for the positions
    result = classify(conn, identities, own)
    if result.conflicts and all_or_nothing:
        result.stored.clear()
        result.committed = False
        return result
    if result.stored:
        chosen = None if per_row is None else [per_row[i] for i in result.stored]
        ids = _insert(conn, [rows[i] for i in result.stored], provenance, record_time, chosen)
        if own is not None:
            own.add([identities[i][1] for i in result.stored])
            own.add([e for i in result.stored if (e := identities[i][0]) != identities[i][1]])
            own.last_id = ids[-1]
    return result


def classify(
    conn: Connection, identities: Sequence[tuple[str, str, bool]], own: OwnWrites | None = None
) -> WriteResult:
    """Which of these (event_id, event_hash, declared-in-error) would be stored, which are duplicates and
    which conflict, given what is stored and what comes earlier in the same batch. With `own` (checked in
    this transaction), only the events it may hold are looked up."""
    hashes = [h for _, h, _ in identities]
    # Only original events claim their eventID; an error declaration repeats the id it declares in error.
    event_ids = [i for i, _, declared in identities if not declared]
    if own is not None:
        hashes = own.maybe_stored(hashes)
        event_ids = own.maybe_stored(event_ids)
    known_hashes = _existing_hashes(conn, hashes)
    known_ids = _existing_ids(conn, event_ids)
    result = WriteResult()
    batch_hashes: set[tuple[str, bool]] = set()
    batch_ids: set[str] = set()
    for index, (event_id, event_hash, declared) in enumerate(identities):
        identity = (event_hash, declared)
        if identity in known_hashes or identity in batch_hashes:
            result.duplicates.append(index)
        elif not declared and (event_id in known_ids or event_id in batch_ids):
            result.conflicts.append((index, f"eventID {event_id!r} is already used by a different event"))
        else:
            result.stored.append(index)
            batch_hashes.add(identity)
            if not declared:
                batch_ids.add(event_id)
    return result


def _existing_hashes(conn: Connection, hashes: Sequence[str]) -> set[tuple[str, bool]]:
    """(hash, declared-in-error) pairs already stored among `hashes`."""
    sql = "SELECT event_hash, error_declared FROM events WHERE event_hash IN ({marks})"
    return {(h, bool(d)) for h, d in rows_in(conn, sql, hashes)}


def _existing_ids(conn: Connection, event_ids: Sequence[str]) -> set[str]:
    """eventIDs already claimed by an original (not error-declaration) event."""
    false = "0" if conn.dialect.name == "sqlite" else "false"
    sql = f"SELECT event_id FROM events WHERE {EVENT_ID_IN_SQL} AND error_declared = {false}"
    return {row[0] for row in rows_in(conn, sql, event_ids, twice=True)}


EVENT_COLUMNS = (
    "id",
    "event_id",
    "event_hash",
    "event_type",
    "event_time",
    "action",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "transformation_id",
    "error_declared",
    "body",
    "record_time",
    "capture_id",
    "interface",
    "key_id",
    "source_message_id",
)
# Written only when some event carries them (connector events): the bulk import path binds none of them.
DETAIL_COLUMNS = ("source", "plant", "received_time", "mapping", "correlation_id")


def _insert(
    conn: Connection,
    rows: Sequence[EventRow],
    provenance: Provenance,
    record_time: int,
    per_row: Sequence[Provenance] | None = None,
) -> list[int]:
    """Bulk insert through the driver's executemany (SQLAlchemy's per-row parameter processing costs more
    than the insert itself at capture speed). Primary keys are allocated first, so the identifier and
    reference rows can name their event without RETURNING. One provenance for the batch (imports, REST)
    costs nothing per row; `per_row` (connector events) adds one tuple per row. Returns the ids given."""
    ids = allocate_ids(conn, len(rows))
    columns: Sequence[str] = EVENT_COLUMNS
    if per_row is None and not provenance.detailed:
        p = provenance
        tail = (record_time, p.capture_id, p.interface, p.key_id, p.source_message_id)
        event_rows = [(pk, *row[:12], *tail) for pk, row in zip(ids, rows, strict=True)]
    else:
        columns = EVENT_COLUMNS + DETAIL_COLUMNS
        tails = [_tail(p, record_time) for p in per_row] if per_row is not None else None
        same = _tail(provenance, record_time)
        event_rows = [
            (pk, *row[:12], *(tails[i] if tails is not None else same))
            for i, (pk, row) in enumerate(zip(ids, rows, strict=True))
        ]
    epc_rows = [(key, role, pk, raw) for pk, row in zip(ids, rows, strict=True) for role, key, raw in row[12]]
    ref_rows = [
        (kind, kind_type, value, pk, raw)
        for pk, row in zip(ids, rows, strict=True)
        for kind, kind_type, value, raw in row[13]
    ]
    _executemany(conn, "events", columns, event_rows)
    _executemany(conn, "event_epcs", ("key", "role", "event", "raw"), epc_rows)
    _executemany(conn, "event_refs", ("kind", "type", "value", "event", "raw"), ref_rows)
    return ids


def _tail(p: Provenance, record_time: int) -> tuple[Any, ...]:
    return (
        record_time,
        p.capture_id,
        p.interface,
        p.key_id,
        p.source_message_id,
        p.source,
        p.plant,
        p.received_time,
        p.mapping,
        p.correlation_id,
    )


def allocate_ids(conn: Connection, count: int) -> list[int]:
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
        .where(event_id_in([event_id]))
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
