"""The dispatcher: follows the event table by row id and starts one durable delivery per (route, event),
cuts subscription windows, and hands dead-letter replays back to the workflow.

Why poll the table rather than hook the capture path: every way an event reaches the store (REST capture,
the connector runner, imports, EDI, another lotline process on the same PostgreSQL) is covered without
touching any of them, and a crash loses nothing, because the watermark (`source_positions`, source
`outbound`) only moves after the deliveries for the events below it were started.

The watermark never passes an event that is not yet visible. On SQLite, ids are taken under the write
lock, so they commit in order. On PostgreSQL, ids come from a sequence and concurrent capture transactions
may commit out of order: the watermark stops at a gap in the ids and passes it only when every transaction
that was running when the gap was seen has ended (then what filled it is visible, and the rest was rolled
back), see `Dispatcher._gap_closed`.

Each tick, in this order (so a crash between any two steps only repeats work that is idempotent):
1. read the events after the watermark, up to the first unsafe gap;
2. start the deliveries of the matching routes (workflow ids derive from the event: a repeat is a no-op);
3. in one transaction: cut the subscription windows ending at the new watermark, and move the watermark;
4. start the deliveries of new windows and of replay requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, and_
from starlette.concurrency import run_in_threadpool

from lotline.connectors.base import now_us
from lotline.outbound.routes import EventRow, OutboundConfig, RouteConfig, delivery_key, matches, ordering_key
from lotline.outbound.schedule import Schedule
from lotline.store import subscriptions as subs
from lotline.store.dlq import get_letter
from lotline.store.engine import is_sqlite, writer
from lotline.store.query import parse_query
from lotline.store.schema import events, source_positions

POSITION = "outbound"
log = logging.getLogger("lotline.outbound")
Enqueue = Callable[[dict[str, Any], str, "str | None"], Awaitable[None]]


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        config: OutboundConfig,
        enqueue: Enqueue,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.config = config
        self.routes: Sequence[RouteConfig] = config.routes
        self.enqueue = enqueue
        self._clock = clock
        # first id of an open gap -> (when first seen, transactions in progress then)
        self._gaps: dict[int, tuple[float, frozenset[str]]] = {}
        self._closed: set[int] = set()  # gaps found closed, passed from the next scan on (`_gap_closed`)
        self._recovered = False

    async def tick(self) -> int:
        """One pass; returns how many events the watermark moved past."""
        watermark, rows, bodies, first = await run_in_threadpool(self._scan)
        for row in rows:
            for route in self.routes:
                if matches(route, row):
                    await self._start_route(route, row, bodies.get(row.id, b"{}"))
        new_mark = rows[-1].id if rows else watermark
        windows = await run_in_threadpool(self._cut, watermark, new_mark, first)
        if not self._recovered:  # windows left pending by a previous process (their starts are no-ops)
            windows = [*await run_in_threadpool(subs.pending_windows, self.engine), *windows]
            self._recovered = True
        for window in windows:
            await self.enqueue(_window_job(window), window.key, f"sub|{window.subscription}")
        await self._replays()
        return len(rows)

    async def _start_route(self, route: RouteConfig, row: EventRow, body: bytes) -> None:
        key = delivery_key(route.name, row.event_hash, row.error_declared)
        job = {"kind": "route", "key": key, "route": route.name, "event": row.id}
        partition: str | None = None
        if route.ordering is not None:
            try:
                ordering = ordering_key(route, orjson.loads(body), row.correlation_id)
            except Exception:  # a faulty ordering expression must not stop every route
                log.warning(
                    "route %s: ordering key of event %s failed; delivered unordered", route.name, row.id
                )
                ordering = None
            # an event without a key has nothing to wait for: a partition of its own
            partition = f"{route.name}|{ordering}" if ordering is not None else f"{route.name}|#{row.id}"
        # the workflow id puts the row id before the hash, so same-millisecond enqueues of one partition
        # sort (DBOS breaks created_at ties by workflow id) in capture order
        workflow_id = f"deliver:{route.name}:{row.id:012d}:{key.split(':', 2)[2]}"
        await self.enqueue(job, workflow_id, partition)

    # --- 1. scan -----------------------------------------------------------------------------------------

    def _scan(self) -> tuple[int, list[EventRow], dict[int, bytes], bool]:
        with self.engine.connect() as conn:
            watermark = _load(conn)
            if watermark < 0:  # first start: routes deliver what is stored from now on (or from the start)
                start = 0
                if self.config.start == "now":
                    start = int(
                        conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.id), 0))).scalar_one()
                    )
                return start, [], {}, True
            stmt = (
                sa.select(
                    events.c.id,
                    events.c.event_hash,
                    events.c.event_type,
                    events.c.action,
                    events.c.biz_step,
                    events.c.plant,
                    events.c.error_declared,
                    events.c.correlation_id,
                    events.c.body,
                )
                .where(events.c.id > watermark)
                .order_by(events.c.id)
                .limit(self.config.batch)
            )
            found = conn.execute(stmt).all()
            self._closed = {gap for gap in self._closed if gap > watermark}
            rows: list[EventRow] = []
            bodies: dict[int, bytes] = {}
            expected = watermark + 1
            sqlite = is_sqlite(self.engine)
            for r in found:
                row_id = int(r.id)
                if row_id != expected and not sqlite and not self._gap_closed(conn, expected):
                    break
                rows.append(_event_row(r))
                bodies[row_id] = r.body.encode() if isinstance(r.body, str) else bytes(r.body)
                expected = row_id + 1
        return watermark, rows, bodies, False

    def _gap_closed(self, conn: Connection, first_missing: int) -> bool:
        """Whether the ids from `first_missing` up to the next visible event can no longer appear.

        Ids below a visible event were taken before it committed, by transactions running then. So when
        a gap is first seen, the dispatcher notes the transactions in progress; once none of them is
        still running (and the gap is at least `gap_grace` seconds old, covering the instant between
        taking an id and the transaction's first write), whatever filled the gap is visible and the rest
        was rolled back. A long capture transaction therefore holds the watermark; it never loses events.

        Visible to a query that starts after that moment, not to this scan's, read before the check: a
        suspect that committed in between filled the gap after this scan looked. So a gap found closed is
        passed on the next scan only, whose rows are read afresh (and show what filled it, if anything).
        """
        if first_missing in self._closed:
            return True
        running = _in_progress(conn)
        seen = self._gaps.get(first_missing)
        if seen is None:
            self._gaps[first_missing] = (self._clock(), running)
            return False  # look again next tick: what committed meanwhile is read then
        since, suspects = seen
        if suspects & running or self._clock() - since < self.config.gap_grace:
            return False
        del self._gaps[first_missing]
        self._closed.add(first_missing)
        return False  # (passed on the next scan: see above)

    # --- 3. windows and the watermark --------------------------------------------------------------------

    def _cut(self, watermark: int, new_mark: int, first: bool) -> list[subs.Window]:
        now = now_us()
        cut: list[subs.Window] = []
        with writer(self.engine).begin() as conn:
            current = _load(conn, lock=True)
            if current != (-1 if first else watermark):  # another dispatcher moved it: its tick wins
                return []
            for sub in subs.subscriptions_on(conn):
                if sub.stream:
                    if sub.last_event >= new_mark:
                        continue
                    if self._any_match(conn, sub, new_mark):
                        cut.append(subs.cut_window_on(conn, sub, new_mark, now))
                    else:
                        subs.advance_on(conn, sub, new_mark)
                elif _due(sub, now):
                    cut.append(subs.cut_window_on(conn, sub, new_mark, now))
            _save(conn, new_mark)
        return cut

    def _any_match(self, conn: Connection, sub: subs.Subscription, new_mark: int) -> bool:
        from lotline.outbound.delivery import _conditions_only

        named = subs._get_query(conn, sub.query_name)
        query = parse_query(_conditions_only(named.query))
        stmt = (
            sa.select(events.c.id)
            .where(
                and_(
                    events.c.id > sub.last_event,
                    events.c.id <= new_mark,
                    events.c.record_time >= sub.initial_record_time,
                    *query.conditions,
                )
            )
            .limit(1)
        )
        return conn.execute(stmt).first() is not None

    # --- 4. replays --------------------------------------------------------------------------------------

    async def _replays(self) -> None:
        for request_id, kind, letter_id in await run_in_threadpool(subs.open_requests, self.engine):
            letter = await run_in_threadpool(get_letter, self.engine, letter_id)
            job: dict[str, Any] = dict(letter.headers)
            if kind != "replay" or job.get("kind") not in ("route", "window") or "key" not in job:
                log.warning(
                    "outbound request %s: dead letter %s is not a delivery; ignored", request_id, letter_id
                )
            else:
                if job["kind"] == "window":
                    await run_in_threadpool(_reopen, self.engine, job["subscription"], int(job["seq"]))
                await self.enqueue(job, f"{job['key']}:replay:{letter_id}", None)
            await run_in_threadpool(subs.take_request, self.engine, request_id)


def _event_row(r: Any) -> EventRow:
    return EventRow(
        int(r.id),
        r.event_hash,
        r.event_type,
        r.action,
        r.biz_step,
        r.plant,
        bool(r.error_declared),
        r.correlation_id,
    )


def _in_progress(conn: Connection) -> frozenset[str]:
    """PostgreSQL: the ids of the transactions running now (read-only ones have none)."""
    sql = "SELECT pg_snapshot_xip(pg_current_snapshot())::text"
    return frozenset(str(x) for x in conn.exec_driver_sql(sql).scalars())


def _window_job(window: subs.Window) -> dict[str, Any]:
    return {"kind": "window", "key": window.key, "subscription": window.subscription, "seq": window.seq}


def _due(sub: subs.Subscription, now: int) -> bool:
    """A scheduled subscription is due when its next run after the last one (or its creation) has come.
    Runs missed while lotline was down collapse into one window: nothing is lost, nothing sent twice."""
    if not sub.schedule:
        return False
    base = datetime.fromtimestamp((sub.last_fire or sub.created_at) / 1_000_000, UTC)
    return Schedule.parse(sub.schedule).next_after(base).timestamp() * 1_000_000 <= now


def _reopen(engine: Engine, subscription_id: str, seq: int) -> None:
    with writer(engine).begin() as conn:
        subs.reopen_window_on(conn, subscription_id, seq)


def _load(conn: Connection, *, lock: bool = False) -> int:
    stmt = sa.select(source_positions.c.position).where(source_positions.c.source == POSITION)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    raw = conn.execute(stmt).scalar_one_or_none()
    return int(orjson.loads(raw)["event"]) if raw else -1  # -1: never started


def _save(conn: Connection, mark: int) -> None:
    body = orjson.dumps({"event": mark}).decode()
    table = source_positions
    now = now_us()
    if (
        conn.execute(
            sa.update(table).where(table.c.source == POSITION).values(position=body, updated_at=now)
        ).rowcount
        == 0
    ):
        conn.execute(sa.insert(table).values(source=POSITION, position=body, updated_at=now))
