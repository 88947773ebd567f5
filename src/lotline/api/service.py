"""`lotline serve --config`: the HTTP API and the pipeline runner in one process, on one asyncio loop.

    service = Service(config, engine, host, port)
    await service.run()          # until SIGINT/SIGTERM (or service.stop())

One loop, so /health can call each connector's `check()` where the connector lives. Shutdown, on a
signal or `stop()`: uvicorn stops accepting connections; the runner stops reading, finishes the batch in
flight and closes every connector (a message read but not yet in the inbox is not acknowledged, so its
source delivers it again); then open HTTP requests finish. If the runner fails, the server stops too and
`run()` raises the runner's error, so a supervisor restarts the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import uvicorn
from sqlalchemy import Engine

from lotline.api.app import create_app
from lotline.config import Configuration
from lotline.connectors.base import Source
from lotline.connectors.wrappers.deadletter import describe
from lotline.pipeline.runner import Runner

log = logging.getLogger("lotline.serve")

CHECK_TIMEOUT = 2.0  # seconds a connector's check() may take in /health


class Runtime:
    """What /health reports about the pipeline: the runner's state and every connector's check()."""

    def __init__(self, runner: Runner, sources: dict[str, Source]) -> None:
        self.runner = runner
        self.sources = sources
        self.state = "starting"  # -> running -> stopping -> stopped, or failed

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """(ready, report): ready while the runner runs; the report is JSON-ready."""
        names = list(self.sources)
        checks = await asyncio.gather(*(self._check(self.sources[name]) for name in names))
        report: dict[str, Any] = {
            "runner": {"state": self.state, **self.runner.counters.snapshot()},
            "connectors": dict(zip(names, checks, strict=True)),
        }
        return self.state == "running", report

    @staticmethod
    async def _check(source: Source) -> dict[str, Any]:
        try:
            result = await asyncio.wait_for(source.check(), CHECK_TIMEOUT)
        except TimeoutError:
            return {"ok": False, "detail": f"check() took longer than {CHECK_TIMEOUT:g}s"}
        except Exception as exc:
            return {"ok": False, "detail": describe(exc)}
        return {"ok": result.ok, "detail": result.detail}


class _Server(uvicorn.Server):
    """uvicorn's server, stopping the runner first when it shuts down (signal or `should_exit`)."""

    def __init__(self, config: uvicorn.Config, service: Service) -> None:
        super().__init__(config)
        self.service = service

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self.service.stop_runner()
        await super().shutdown(sockets)


class Service:
    """The API app with `app.state.runtime` set, and the runner over the configured connectors."""

    def __init__(
        self, config: Configuration, engine: Engine, host: str, port: int, *, log_level: str = "info"
    ) -> None:
        self.sources = config.sources()
        self.runner = Runner(engine, self.sources, config.mapper, config.runner_settings())
        self.runtime = Runtime(self.runner, self.sources)
        self.app = create_app(engine)
        self.app.state.runtime = self.runtime
        self.server = _Server(uvicorn.Config(self.app, host=host, port=port, log_level=log_level), self)
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None

    async def run(self) -> None:
        """Serve until stopped; raises the runner's error if the runner failed."""
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run_runner(self._stop))
        try:
            await self.server.serve()
        finally:
            await self.stop_runner()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Ask for a graceful shutdown (what SIGINT and SIGTERM do)."""
        self.server.should_exit = True

    async def stop_runner(self) -> None:
        """Stop reading, finish the batch in flight, close the connectors (idempotent)."""
        if self._stop is None or self._task is None:
            return
        if self.runtime.state == "running":
            self.runtime.state = "stopping"
        self._stop.set()
        with contextlib.suppress(Exception):
            await asyncio.shield(self._task)

    async def _run_runner(self, stop: asyncio.Event) -> None:
        self.runtime.state = "running"
        log.info("runner started with connectors: %s", ", ".join(self.sources) or "none")
        try:
            await self.runner.run(stop)
        except Exception as exc:
            self._error = exc
            self.runtime.state = "failed"
            log.exception("the runner failed; stopping the server")
            self.server.should_exit = True
            return
        self.runtime.state = "stopped"
        log.info("runner stopped: %s", self.runner.counters.snapshot()["total"])
