"""The polling source every ERP connector uses: watermarks per feed, ties handled, position advanced on ack.

    poll:  for each feed, records changed at or after the fetched position minus the overlap window,
           oldest first (pages until done); records the position covers are skipped (see positions.py)
    read:  one record as a Message: payload = the record's JSON (sorted keys), message id =
           "<feed>/<record key>@<change time>" (the same record version always has the same id)
    ack:   settles the message; the committed position of a feed moves past every message settled without
           an unsettled one before it (like a consumer offset), so nothing unsettled is ever skipped
    nack / close:  an unsettled message is read again (nack: at once; close: by the next source, which
           polls from the committed position)

A failed poll is retried with the wrappers' `retry` (transient errors only, honouring Retry-After); when
the attempts run out, read() raises and the runner reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import functools
from abc import abstractmethod
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import httpx
import orjson

from lotline.connectors.base import Ack, Message
from lotline.connectors.erpkit.lifecycle import ClientLifecycle, ClientT
from lotline.connectors.erpkit.options import PollingOptions
from lotline.connectors.erpkit.positions import (
    Cursor,
    FilePositions,
    MemoryPositions,
    Position,
    Positions,
    shift,
)
from lotline.connectors.wrappers.retry import RetryPolicy, retry

Record = dict[str, Any]
OptionsT = TypeVar("OptionsT", bound=PollingOptions)


@dataclass(slots=True)
class _Pending:
    feed: str
    cursor: Cursor
    message: Message
    settled: bool = False


@dataclass(slots=True)
class _Feed:
    fetched: Position | None = None  # how far this session has read
    inflight: deque[_Pending] = field(default_factory=deque)  # read, in cursor order


class PollingSource(ClientLifecycle[OptionsT, ClientT]):
    """Base of the ERP sources, built from the ERP's config. Subclasses set `topic_prefix` and
    `client_type`, and implement `fetch`, `cursor` and `key`."""

    #: Messages are published on `<topic_prefix>/<feed>`.
    topic_prefix: ClassVar[str]

    def __init__(
        self,
        config: OptionsT,
        positions: Positions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if positions is None:
            positions = FilePositions(config.position_file) if config.position_file else MemoryPositions()
        self.name = config.name
        self.feeds = tuple(config.feeds)
        self.positions = positions
        self.poll_interval = config.poll_interval
        self.since = config.since
        self.retry_policy = RetryPolicy(max_attempts=config.retry_attempts, base_delay=0.2, max_delay=30.0)
        self.overlap = config.overlap_seconds
        self._connected = False
        self._ready: deque[_Pending] = deque()
        self._state: dict[str, _Feed] = {}
        super().__init__(config, transport)

    # --- what an ERP supplies ----------------------------------------------------------------------

    @abstractmethod
    async def fetch(self, feed: str, since: str | None) -> list[Record]:
        """Records of `feed` changed at or after `since` (all if None), oldest first, ties by key."""

    @abstractmethod
    def cursor(self, feed: str, record: Record) -> Cursor:
        """The record's (change time, key) as sortable strings."""

    @abstractmethod
    def key(self, feed: str, record: Record) -> str:
        """The record's own key in the ERP (id, name, order number)."""

    # --- the Source contract --------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._connected:
            return
        await self.open()
        self._state = {feed: _Feed() for feed in self.feeds}
        self._ready.clear()
        self._connected = True

    async def close(self) -> None:
        if not self._connected:
            return
        self._connected = False
        self._ready.clear()
        self._state = {}
        await self.shut()

    async def read(self) -> tuple[Message, Ack]:
        while True:
            if not self._connected:
                raise RuntimeError("read() before connect() or after close()")
            if self._ready:
                pending = self._ready.popleft()
                return pending.message, self._settler(pending)
            if not await self.poll():
                await asyncio.sleep(self.poll_interval)

    async def poll(self) -> int:
        """Fetch every feed once; the number of new messages queued."""
        added = 0
        for feed in self.feeds:
            state = self._state[feed]
            after = state.fetched or self.positions.get(self.name, feed) or self._since()
            since = (shift(after.time, self.overlap) if after.keys else after.time) if after else None
            records = await retry(functools.partial(self.fetch, feed, since), self.retry_policy)
            for record in records:
                cursor = self.cursor(feed, record)
                if after is not None and after.covers(cursor, self.overlap):
                    continue
                pending = _Pending(feed, cursor, self._message(feed, cursor, record))
                state.inflight.append(pending)
                self._ready.append(pending)
                after = (after or Position(cursor[0])).advance(cursor, self.overlap)
                state.fetched = after
                added += 1
        return added

    # --- internals ----------------------------------------------------------------------------------

    def _since(self) -> Position | None:
        return Position(self.since) if self.since else None

    def _message(self, feed: str, cursor: Cursor, record: Record) -> Message:
        body = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        return Message(
            source=self.name,
            message_id=f"{feed}/{self.key(feed, record)}@{cursor[0]}",
            payload=body,
            topic=f"{self.topic_prefix}/{feed}",
            headers={"feed": feed},
        )

    def _settler(self, pending: _Pending) -> Ack:
        async def ack(error: BaseException | None = None, /) -> None:
            state = self._state.get(pending.feed)
            if pending.settled or state is None or pending not in state.inflight:
                return  # settled already, or the source was closed since
            if error is not None:
                if pending not in self._ready:  # asked twice: delivered again once
                    self._ready.appendleft(pending)
                return
            pending.settled = True
            position = self.positions.get(self.name, pending.feed)
            moved = False
            while state.inflight and state.inflight[0].settled:
                cursor = state.inflight.popleft().cursor
                position = (position or Position(cursor[0])).advance(cursor, self.overlap)
                moved = True
            if moved and position is not None:
                self.positions.set(self.name, pending.feed, position)

        return ack
