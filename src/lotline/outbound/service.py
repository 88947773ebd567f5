"""`Outbound`: the dispatcher loop and the durable deliveries of one lotline process.

    async with Outbound(engine, config, db_url=url) as outbound:   # launches DBOS, starts the loop
        ...                                                        # events stored meanwhile are delivered

DBOS's system database: on PostgreSQL, the lotline database itself, in its own schema (`dbos` by default);
on SQLite, a sibling file (`lotline.db` -> `lotline.dbos.sqlite`). DBOS on SQLite creates unqualified
tables and writes in deferred transactions, while lotline's writers take the write lock up front (BEGIN
IMMEDIATE); sharing one file would mix DBOS's tables into lotline's migrated schema and let the two
locking disciplines collide under load (SQLITE_BUSY on lock upgrade). A separate file keeps both safe;
every lotline-side effect of a delivery (dead letter, window state) is idempotent, so the two databases
need no common transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from lotline.connectors.registry import Registry
from lotline.outbound._durable import Durable
from lotline.outbound.delivery import Delivery
from lotline.outbound.dispatcher import Dispatcher
from lotline.outbound.routes import OutboundConfig, by_name
from lotline.store.engine import normalise_url

log = logging.getLogger("lotline.outbound")


def system_database_url(db_url: str) -> str:
    """Where DBOS keeps its workflow state for the lotline database at `db_url` (see the module doc)."""
    url = make_url(normalise_url(db_url))
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            raise ValueError("durable outbound delivery needs a database file, not an in-memory SQLite")
        path = Path(database)
        return f"sqlite:///{path.with_name(path.stem + '.dbos.sqlite')}"
    return url.render_as_string(hide_password=False)


class Outbound:
    """Routes events to sinks and subscribers, durably. One per process (DBOS is a process singleton)."""

    def __init__(
        self,
        engine: Engine,
        config: OutboundConfig,
        *,
        db_url: str,
        registry: Registry | None = None,
        system_schema: str = "dbos",
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.config = config
        self.delivery = Delivery(engine, by_name(config.routes), registry, rand=rand, clock=clock)
        self.durable = Durable(
            self.delivery,
            system_database_url(db_url),
            system_schema,
            queue_poll=config.queue_poll,
            concurrency=config.concurrency,
        )
        self.dispatcher = Dispatcher(engine, config, self.durable.enqueue)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        await self.durable.launch()
        try:
            await self.dispatcher.tick()
        except BaseException:
            self.durable.destroy()
            raise
        self._task = asyncio.create_task(self._loop(), name="lotline-outbound")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.delivery.close()
        finally:
            await asyncio.to_thread(self.durable.destroy)

    def poke(self) -> None:
        """Look at the event table now rather than at the next poll (after a capture, in tests)."""
        self._wake.set()

    async def tick(self) -> int:
        return await self.dispatcher.tick()

    async def wait(self, workflow_id: str, timeout: float = 10.0) -> Any:
        """The result of one delivery ("delivered", "dead", "gone"), waiting at most `timeout` seconds."""
        return await self.durable.result(workflow_id, timeout)

    def breaker_states(self) -> dict[str, str]:
        return self.delivery.breaker_states()

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll_interval)
            self._wake.clear()
            try:
                await self.dispatcher.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: log once per failure, try again next poll
                log.exception("outbound dispatcher tick failed; retrying")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
