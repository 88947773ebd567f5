"""The runner: the one impure loop between sources and the store.

    sources --read--> bounded queue per source --batch--> inbox (one transaction) --> ack
            --> pure stages (map, validate, identify) --> store (dedupe by hash, one transaction)
            --> inbox rows done / dead letters

A message is acknowledged only once it is in the inbox, so lotline never asks a source to forget what it
has not kept. Each cycle takes up to `batch_size` live messages round-robin over the sources (so a source
flushing its backlog after an outage cannot crowd out the others) plus, while live traffic flows, at most
`backlog_share` of a batch from the inbox's unfinished rows (crash leftovers, replays, rows whose write
failed): the backlog drains steadily without starving live data. Queues are bounded: when the store
falls behind, the readers stop reading and the sources (brokers, PLCs) hold the rest.

Database work runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine

from lotline.connectors.base import Ack, Message, Source
from lotline.connectors.wrappers.deadletter import describe
from lotline.connectors.wrappers.retry import RetryPolicy, Sleep
from lotline.pipeline.batch import process_batch
from lotline.pipeline.counters import Counters
from lotline.pipeline.stages import Mapper
from lotline.store import checkpoint
from lotline.store.inbox import Admitted, InboxItem, admit, pending

log = logging.getLogger("lotline.runner")

Delivery = tuple[Message, Ack]


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    batch_size: int = 500  # live messages per cycle
    batch_wait: float = 0.005  # seconds a batch may wait to fill after its first message
    queue_size: int = 1000  # per source; a full queue stops reading that source
    backlog_share: float = 0.5  # of a batch, for unfinished inbox rows while live traffic flows
    rescan_interval: float = 1.0  # seconds between looks for new unfinished rows (replays) once drained
    backoff: RetryPolicy = field(default_factory=lambda: RetryPolicy(base_delay=0.05, max_delay=5.0))


class Runner:
    """Moves messages from `sources` (name -> Source) through `mapper` into the store."""

    def __init__(
        self,
        engine: Engine,
        sources: Mapping[str, Source],
        mapper: Mapper,
        settings: RunnerSettings | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.engine = engine
        self.sources = dict(sources)
        self.mapper = mapper
        self.settings = settings or RunnerSettings()
        self.counters = Counters()
        self._sleep = sleep
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._arrived = asyncio.Event()
        self._cursor = 0  # the backlog scan position (inbox id)
        self._rescan_at = 0.0  # monotonic time of the next scan from the start, once drained
        self._failures = 0  # consecutive failed cycles, for the backoff

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; then stop reading and close the sources. Messages read but not yet in
        the inbox are never acknowledged, so their sources deliver them again."""
        self._arrived = asyncio.Event()
        self._queues = {name: asyncio.Queue(self.settings.queue_size) for name in self.sources}
        release_checkpointer = checkpoint.hold(self.engine)  # no WAL checkpoint inside a batch's commit
        readers = [asyncio.create_task(self._read(name, source)) for name, source in self.sources.items()]
        try:
            while not stop.is_set():
                await self.cycle(stop)
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            for source in self.sources.values():
                try:
                    await source.close()
                except Exception as exc:
                    log.warning("closing a source failed: %s", describe(exc))
            release_checkpointer()

    async def cycle(self, stop: asyncio.Event | None = None) -> int:
        """One batch: backlog rows and live messages in, settled. Returns how many messages it handled."""
        size = self.settings.batch_size
        live = self._drain(size)
        budget = int(size * self.settings.backlog_share) if live else size
        backlog = await asyncio.to_thread(self._backlog, budget) if budget and self._backlog_due() else []
        if not live and not backlog:
            await self._wait_arrival(max(0.001, min(self._rescan_at - time.monotonic(), 0.1)), stop)
            live = self._drain(size)
        live = await self._fill(live, stop)
        try:
            admitted = (
                await asyncio.to_thread(admit, self.engine, [m for m, _ in live]) if live else Admitted()
            )
        except Exception as exc:
            await self._settle(live, exc)
            await self._back_off("writing to the inbox", exc)
            return 0
        await self._settle(live, None)
        self._count(live, admitted)
        items = backlog + admitted.new
        if not items:
            return len(live)
        try:
            outcome = await asyncio.to_thread(process_batch, self.engine, items, self.mapper)
        except Exception as exc:  # the rows stay pending; the backlog scan takes them up again
            self.counters.store_errors += 1
            await self._back_off("storing a batch", exc)
            return len(live)
        outcome.count_into(self.counters, items)
        self._failures = 0
        return len(items) + len(admitted.redelivered) + len(admitted.queued)

    # --- reading -----------------------------------------------------------------------------------------

    async def _read(self, name: str, source: Source) -> None:
        """Keep one source's queue filled; reconnect with backoff when the source fails."""
        queue = self._queues[name]
        attempt = 0
        connected = False
        while True:
            try:
                if not connected:
                    await source.connect()
                    connected, attempt = True, 0
                delivery = await source.read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                connected = False
                log.warning("source %s: %s (attempt %d)", name, describe(exc), attempt)
                try:
                    await source.close()
                except Exception as close_error:
                    log.debug("source %s: close failed: %s", name, describe(close_error))
                await self._sleep(self.settings.backoff.delay(min(attempt, 30)))
                continue
            await queue.put(delivery)  # blocks while the queue is full: back-pressure
            self._arrived.set()

    async def _fill(self, taken: list[Delivery], stop: asyncio.Event | None) -> list[Delivery]:
        """Let a started batch fill up for at most `batch_wait` seconds (throughput vs latency)."""
        size = self.settings.batch_size
        if taken and len(taken) < size and self.settings.batch_wait > 0:
            deadline = time.monotonic() + self.settings.batch_wait
            while len(taken) < size and (remaining := deadline - time.monotonic()) > 0:
                await self._wait_arrival(remaining, stop)
                taken.extend(self._drain(size - len(taken)))
        return taken

    def _drain(self, room: int) -> list[Delivery]:
        taken: list[Delivery] = []
        while room > 0:
            progressed = False
            for queue in self._queues.values():
                if room == 0:
                    break
                try:
                    taken.append(queue.get_nowait())
                except asyncio.QueueEmpty:
                    continue
                room -= 1
                progressed = True
            if not progressed:
                self._arrived.clear()
                break
        return taken

    async def _wait_arrival(self, timeout: float, stop: asyncio.Event | None) -> None:
        if stop is not None and stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), timeout)

    # --- settling ----------------------------------------------------------------------------------------

    async def _settle(self, live: list[Delivery], error: BaseException | None) -> None:
        """Acknowledge (or, when the inbox write failed, ask for redelivery of) every live message."""
        for message, ack in live:
            try:
                await ack(error)
            except Exception as exc:  # the source went away; it redelivers, the inbox recognises it
                log.warning(
                    "acknowledging %s/%s failed: %s", message.source, message.message_id, describe(exc)
                )

    def _count(self, live: list[Delivery], admitted: Admitted) -> None:
        for message, _ in live:
            self.counters.of(message.source).received += 1
        for message in admitted.redelivered:
            self.counters.of(message.source).redelivered += 1

    # --- backlog -----------------------------------------------------------------------------------------

    def _backlog_due(self) -> bool:
        """Is a scan due? (Checked on the loop: between rescans a cycle needs no trip to a worker thread.)"""
        return self._cursor != 0 or time.monotonic() >= self._rescan_at

    def _backlog(self, limit: int) -> list[InboxItem]:
        """The next unfinished inbox rows; after the end, start over once `rescan_interval` has passed."""
        if not self._backlog_due():
            return []
        rows = pending(self.engine, after_id=self._cursor, limit=limit)
        if len(rows) < limit:
            self._cursor = 0
            self._rescan_at = time.monotonic() + self.settings.rescan_interval
        else:
            self._cursor = rows[-1].id
        return rows

    async def _back_off(self, doing: str, exc: BaseException) -> None:
        self._failures += 1
        log.warning("%s failed (%d in a row): %s", doing, self._failures, describe(exc))
        await self._sleep(self.settings.backoff.delay(min(self._failures, 30)))
