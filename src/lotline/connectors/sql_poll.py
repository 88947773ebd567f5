"""SQL polling: read new rows of a table or query in (watermark, key) order, resumable without gap or repeat.

The position is the (watermark..., key...) values of the last row lotline acknowledged, kept in lotline's
store (`lotline.store.positions`, table `source_positions`). Each poll reads the rows strictly after the
position in that order, so rows sharing a watermark value are neither skipped nor read twice, and a
restarted source resumes right after the last acknowledged row. Acks may arrive for many rows at once: the
position advances over the longest acknowledged prefix of what was read and is written shortly after (a
crash in between re-reads a few rows, which the inbox recognises by message id). `ack(error)` rewinds to
just before that row. See docs/sql-polling.md, also for the late-commit caveat and `lookback`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from lotline.connectors.base import Ack, Check, ConnectorSpec, Lifecycle, Message
from lotline.connectors.sql_poll_config import SqlPollConfig, explain, make_engine, redacted
from lotline.connectors.sql_poll_query import (
    Position,
    decode_position,
    encode_position,
    late_statement,
    payload_of,
    poll_statement,
    source_clause,
    text_of,
    window_start,
)

log = logging.getLogger("lotline.connectors.sql")


@dataclass(slots=True)
class _Delivery:
    position: Position
    key: str  # <label>/<key values>: the message id without a version
    late: bool = False  # found by the lookback scan: settles without moving the position
    acked: bool = False
    void: bool = False  # rewound past: its ack no longer counts


class SqlPollSource(Lifecycle):
    """Polls one table or query. `store` is lotline's database (where the position is kept): an engine,
    a URL, or by default the hub's own store (LOTLINE_DB)."""

    def __init__(self, config: SqlPollConfig, store: Engine | str | None = None) -> None:
        self.config = config
        self._store_arg = store
        self._store: Engine | None = store if isinstance(store, Engine) else None
        self._owns_store = False
        self._engine: Engine | None = None
        self._source = source_clause(config.table, config.query)
        self._columns = config.columns
        self._id_columns = config.key or config.watermark
        self._committed: Position | None = None  # last acknowledged row, as stored
        self._saved: Position | None = None
        self._cursor: Position | None = None  # last row fetched
        self._buffer: deque[tuple[dict[str, Any], Position, bool]] = deque()
        self._inflight: deque[_Delivery] = deque()
        self._seen: dict[str, Any] = {}  # lookback: message id -> first watermark, of rows read
        self._flusher: asyncio.Task[None] | None = None
        self._fetching: asyncio.Future[tuple[list[dict[str, Any]], list[dict[str, Any]]]] | None = None
        self._generation = 0  # bumped by every rewind and reconnect: a fetch begun before is discarded
        self._connected = False

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._connected:
            return
        await asyncio.to_thread(self._open)
        self._connected = True

    async def close(self) -> None:
        if not self._connected:
            return
        self._connected = False
        for pending in (self._fetching, self._flusher):
            if pending is not None:
                with contextlib.suppress(Exception):
                    await pending
        await self._flush()
        for delivery in self._inflight:
            delivery.void = True
        self._inflight.clear()
        self._buffer.clear()
        await asyncio.to_thread(self._dispose)

    async def check(self) -> Check:
        try:
            await asyncio.to_thread(self._probe)
        except Exception as exc:
            return Check(False, f"{self._where()}: {explain(exc)}")
        return Check(True, f"{self._where()}: {self.config.label} readable")

    # --- reading ------------------------------------------------------------------------------------------

    async def read(self) -> tuple[Message, Ack]:
        while True:
            if not self._connected:
                raise RuntimeError("read() before connect() or after close()")
            if self._buffer:
                row, position, late = self._buffer.popleft()
                return self._deliver(row, position, late)
            generation, cursor = self._generation, self._cursor
            # shielded: a cancelled read leaves the query to finish, and close() waits for it
            self._fetching = asyncio.ensure_future(asyncio.to_thread(self._fetch, cursor))
            rows, window = await asyncio.shield(self._fetching)
            if generation != self._generation:  # rewound (or reconnected) meanwhile: read again
                continue
            self._take(rows, window)
            if not self._buffer:
                await asyncio.sleep(self.config.poll_interval)

    def _take(self, rows: list[dict[str, Any]], window: list[dict[str, Any]]) -> None:
        """Buffer fetched rows; with a lookback, remember them and add the window's rows not yet read."""
        lookback = self.config.lookback > 0
        for row in rows:
            position = self._position(row)
            self._buffer.append((row, position, False))
            self._cursor = position
            if lookback:
                self._seen[self._key(row)] = position[0]
        if not lookback or self._cursor is None:
            return
        low = window_start(self._cursor[0], self.config.lookback)
        self._seen = {k: w for k, w in self._seen.items() if w > low}
        for row in window:
            position = self._position(row)
            if self._key(row) not in self._seen:
                self._seen[self._key(row)] = position[0]
                self._buffer.append((row, position, True))

    def _key(self, row: dict[str, Any]) -> str:
        return f"{self.config.label}/{text_of([row[c] for c in self._id_columns])}"

    def _deliver(self, row: dict[str, Any], position: Position, late: bool) -> tuple[Message, Ack]:
        key = message_id = self._key(row)
        watermark = text_of(position[: len(self.config.watermark)])
        if self.config.versioned:
            message_id += f"@{watermark}"
        delivery = _Delivery(position, key, late)
        if not late:
            self._inflight.append(delivery)
        message = Message(
            source=self.config.name,
            message_id=message_id,
            payload=payload_of(row, self.config.payload_column),
            headers={
                "content-type": self.config.content_type,
                "sql-table": self.config.label,
                "watermark": watermark,
            },
        )
        return message, self._settler(delivery)

    def _settler(self, delivery: _Delivery) -> Ack:
        async def ack(error: BaseException | None = None, /) -> None:
            if delivery.void or delivery.acked:
                return
            if error is not None:
                self._rewind(delivery)
                return
            delivery.acked = True
            if delivery.late:
                return
            while self._inflight and self._inflight[0].acked:
                self._committed = self._inflight.popleft().position
            if self._committed != self._saved and (self._flusher is None or self._flusher.done()):
                self._flusher = asyncio.get_running_loop().create_task(self._flush())

        return ack

    def _rewind(self, delivery: _Delivery) -> None:
        """Redeliver `delivery` (and, for an in-order row, everything read after it)."""
        delivery.void = True
        self._seen.pop(delivery.key, None)  # a late row: the next lookback scan finds it again
        if delivery.late:
            return
        kept: deque[_Delivery] = deque()
        dropping = False
        for item in self._inflight:
            dropping = dropping or item is delivery
            if dropping:
                item.void = True
            else:
                kept.append(item)
        self._inflight = kept
        self._cursor = kept[-1].position if kept else self._committed
        for row, _, _ in self._buffer:
            self._seen.pop(self._key(row), None)
        self._buffer.clear()
        self._generation += 1

    async def _flush(self) -> None:
        """Write the committed position until it is stored (acks arriving meanwhile are coalesced)."""
        while self._committed is not None and self._committed != self._saved and self._store is not None:
            position = self._committed
            try:
                await asyncio.to_thread(self._save, position)
            except Exception as exc:  # the next ack tries again; a restart re-reads (the inbox dedupes)
                log.warning("source %s: storing its position failed: %s", self.config.name, explain(exc))
                return
            self._saved = position

    # --- blocking work, in a worker thread ----------------------------------------------------------------

    def _open(self) -> None:
        from lotline.store.engine import default_url, open_engine
        from lotline.store.positions import load_position

        if self._store is None:
            url = self._store_arg if isinstance(self._store_arg, str) else default_url()
            self._store, self._owns_store = open_engine(url), True
        self._engine = self._engine or make_engine(self.config)
        stored = load_position(self._store, self.config.name)
        self._committed = decode_position(self._columns, stored, self.config.name) if stored else None
        self._saved = self._cursor = self._committed
        self._seen.clear()
        self._generation += 1

    def _dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._owns_store and self._store is not None:
            self._store.dispose()
            self._store, self._owns_store = None, False

    def _save(self, position: Position) -> None:
        from lotline.store.positions import save_position

        assert self._store is not None
        save_position(self._store, self.config.name, encode_position(self._columns, position))

    def _fetch(self, cursor: Position | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The next batch after `cursor` and, once caught up with a lookback, the lookback window."""
        assert self._engine is not None
        size = self.config.batch_size
        with self._engine.connect() as conn:
            statement = poll_statement(self._source, self._columns, cursor, size)
            rows = [dict(r) for r in conn.execute(statement).mappings()]
            window: list[dict[str, Any]] = []
            last = self._position(rows[-1]) if rows else cursor
            if self.config.lookback > 0 and last is not None and len(rows) < size:
                low = window_start(last[0], self.config.lookback)
                statement = late_statement(self._source, self._columns, low, last)
                window = [dict(r) for r in conn.execute(statement).mappings()]
        return rows, window

    def _position(self, row: dict[str, Any]) -> Position:
        try:
            position = tuple(row[c] for c in self._columns)
        except KeyError as exc:
            raise LookupError(
                f"source {self.config.name}: column {exc.args[0]!r} is not in the polled rows "
                f"(columns: {', '.join(row)})"
            ) from None
        if None in position:
            raise ValueError(
                f"source {self.config.name}: a row has NULL in {self._columns} ({self._key(row)}); watermark "
                f"and key columns must be NOT NULL, or leave such rows out with a `query`"
            )
        return position

    def _probe(self) -> None:
        engine = self._engine or make_engine(self.config)
        try:
            with engine.connect() as conn:
                result = conn.execute(poll_statement(self._source, self._columns, None, 1)).mappings()
                for row in result:
                    self._position(dict(row))
        finally:
            if engine is not self._engine:
                engine.dispose()

    def _where(self) -> str:
        return redacted(self.config.url)


SPEC = ConnectorSpec(
    kind="sql",
    config=SqlPollConfig,
    summary="Poll a database table or query by watermark and key (PostgreSQL, MariaDB/MySQL, ...).",
    source=SqlPollSource,
)
