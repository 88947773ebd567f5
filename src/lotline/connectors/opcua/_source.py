"""OpcuaSource: subscription-fed messages, its own position, reconnect and resubscribe.

What it promises (docs/opcua.md says the same, for operators):

* Every value a live subscription reports is delivered once, in the order the server reported it.
* After a lost session (server restart, network), the source reconnects with backoff and subscribes
  again. A new subscription reports each node's current value first; the source compares it with what
  it delivered last for that node: same value and status -> not delivered again (no duplicate); a
  different value -> delivered (a change made during the outage that is still current is not lost).
* Not observable through a subscription, so not delivered: intermediate values that changed and changed
  again while the session was down (A -> B -> A shows nothing), and events raised during the outage.
  Nodes with `history: true` get those values from the server's history (HistoryRead) when it has them.
* OPC UA has no per-message acknowledgement. The source keeps its own position: messages handed out and
  not yet acked are held in memory; `ack(error)` puts the message back at the head of the queue for
  redelivery (same message id). Unacked messages survive reconnects (they live in the source, not in
  the session). They do not survive a lotline restart: the first subscription of a new process reports
  the current values again, with the same deterministic ids, and the inbox recognises those already kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lotline.connectors.base import Ack, Check, Lifecycle, Message
from lotline.connectors.opcua._config import OpcuaConfig
from lotline.connectors.opcua._errors import OpcuaError
from lotline.connectors.opcua._payload import Change, Occurrence, change_message, event_message
from lotline.connectors.registry import require

if TYPE_CHECKING:
    from lotline.connectors.opcua._session import Session

_log = logging.getLogger(__name__)


@dataclass
class OpcuaStats:
    """Counters of one source: sessions opened, sessions lost, messages and their fate."""

    sessions: int = 0
    losses: int = 0
    delivered: int = 0
    suppressed: int = 0  # values reported again after a resubscribe, unchanged: not delivered twice
    acked: int = 0
    redelivered: int = 0


class OpcuaSource(Lifecycle):
    """Source of data-change and event messages from one OPC UA server."""

    def __init__(self, config: OpcuaConfig, name: str | None = None) -> None:
        self.config = config
        self.name = name or f"opcua:{config.endpoint}"
        self.stats = OpcuaStats()
        self.last_error = ""
        self._ready: deque[Message] = deque()
        self._changed = asyncio.Condition()
        # per node: (message id, value digest, source timestamp) of the last value delivered
        self._emitted: dict[str, tuple[str, str, datetime | None]] = {}
        self._acked: dict[str, str] = {}  # topic -> message id last acknowledged
        self._inflight: dict[str, Message] = {}
        self._task: asyncio.Task[None] | None = None
        self._session: Session | None = None
        self._closed = False
        self._failure: BaseException | None = None

    @property
    def connected(self) -> bool:
        return self._session is not None

    @property
    def position(self) -> dict[str, str]:
        """Per node or event source: the id of the last message lotline acknowledged."""
        return dict(self._acked)

    @property
    def unacked(self) -> int:
        return len(self._inflight)

    async def connect(self) -> None:
        """Connect and subscribe, or raise OpcuaError saying what is wrong; then keep the session alive."""
        require("asyncua", "opcua")
        from lotline.connectors.opcua._session import Session

        if self._task is not None and not self._task.done():
            return
        self._closed = False
        self._failure = None
        session = Session(self.config)
        try:
            await session.open()
        except BaseException:
            await session.close()
            raise
        self._started(session)
        self._task = asyncio.create_task(self._run(session), name=f"opcua source {self.config.endpoint}")
        self._task.add_done_callback(self._finished)

    async def read(self) -> tuple[Message, Ack]:
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._ready) or self._closed)
            if not self._ready:
                raise OpcuaError(
                    f"the OPC UA source is closed{f': {self._failure!r}' if self._failure else ''}"
                )
            message = self._ready.popleft()
            self._changed.notify_all()
        self._inflight[message.message_id] = message
        return message, self._ack_for(message)

    async def close(self) -> None:
        self._closed = True
        async with self._changed:
            self._changed.notify_all()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # a failure was reported by _finished

    async def check(self) -> Check:
        if self.connected:
            return Check(
                True, f"connected to {self.config.endpoint}; {self.stats.sessions} session(s) so far"
            )
        require("asyncua", "opcua")
        from lotline.connectors.opcua._session import RETRYABLE, Session

        session = Session(self.config)
        try:
            await session.open()
        except RETRYABLE as exc:
            return Check(False, str(exc) or type(exc).__name__)
        finally:
            await session.close()
        return Check(
            True, f"{self.config.endpoint}: session opened, every configured node and notifier found"
        )

    # -- the session loop -------------------------------------------------------------------------

    def _started(self, session: Session) -> None:
        self._session = session
        self.stats.sessions += 1
        self.last_error = ""

    async def _run(self, session: Session | None) -> None:
        from lotline.connectors.opcua._session import RETRYABLE

        backoff = self.config.reconnect
        delay = backoff.initial_s
        while not self._closed:
            if session is None:
                await asyncio.sleep(delay)
                delay = min(delay * backoff.factor, backoff.max_s)
                session = await self._reopen()
                if session is None:
                    continue
                delay = backoff.initial_s
            try:
                while True:
                    await self._take(await session.next())
            except RETRYABLE as exc:
                self.stats.losses += 1
                self.last_error = str(exc) or type(exc).__name__
                _log.warning(
                    "OPC UA session to %s lost (%s); reconnecting", self.config.endpoint, self.last_error
                )
            finally:
                self._session = None
                await session.close()
            session = None

    async def _reopen(self) -> Session | None:
        from lotline.connectors.opcua._session import RETRYABLE, Session

        candidate = Session(self.config)
        try:
            await candidate.open(since={k: ts for k, (_, _, ts) in self._emitted.items() if ts is not None})
        except RETRYABLE as exc:
            self.last_error = str(exc) or type(exc).__name__
            _log.info("OPC UA reconnect to %s failed: %s", self.config.endpoint, self.last_error)
            await candidate.close()
            return None
        except BaseException:
            await candidate.close()
            raise
        _log.info("OPC UA session to %s re-established; resubscribed", self.config.endpoint)
        self._started(candidate)
        return candidate

    def _finished(self, task: asyncio.Task[None]) -> None:
        """The session loop ended: on close (nothing to do) or on a bug, which readers must hear about."""
        if not task.cancelled() and task.exception() is not None:
            self._failure = task.exception()
            _log.error("OPC UA source %s stopped: %r", self.name, self._failure)
            self._closed = True

    async def _take(self, item: Change | Occurrence) -> None:
        if isinstance(item, Change):
            last = self._emitted.get(item.key)
            if last is not None and (last[0] == item.message_id or (item.first and last[1] == item.digest)):
                self.stats.suppressed += 1
                return
            self._emitted[item.key] = (item.message_id, item.digest, item.source_timestamp)
            message = change_message(item, self.name, self.config.endpoint)
        else:
            message = event_message(item, self.name, self.config.endpoint)
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._ready) < self.config.max_buffered or self._closed)
            self._ready.append(message)
            self.stats.delivered += 1
            self._changed.notify_all()

    def _ack_for(self, message: Message) -> Ack:
        settled = False

        async def ack(error: BaseException | None = None, /) -> None:
            nonlocal settled
            if settled:
                return
            settled = True
            self._inflight.pop(message.message_id, None)
            if error is None:
                self.stats.acked += 1
                self._acked[message.topic] = message.message_id
                return
            self.stats.redelivered += 1
            async with self._changed:
                self._ready.appendleft(message)
                self._changed.notify_all()

        return ack
