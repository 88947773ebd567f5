"""`lotline serve --config`: the HTTP API, the pipeline runner and outbound delivery in one process, on
one asyncio loop.

    service = Service(config, engine, host, port)
    await service.run()          # until SIGINT/SIGTERM (or service.stop())

One loop, so /health can call each connector's `check()` where the connector lives. With an `outbound:`
section, the `Outbound` service (dispatcher and durable DBOS deliveries, `lotline.outbound`) starts beside
the runner; without one, DBOS is not launched at all. Shutdown, on a signal or `stop()`: uvicorn stops
accepting connections; the runner stops reading, finishes the batch in flight and closes every connector
(a message read but not yet in the inbox is not acknowledged, so its source delivers it again); then the
outbound dispatcher stops and DBOS shuts down (a delivery in flight resumes from its last checkpoint on
the next start, with the same idempotency key); then open HTTP requests finish. If the runner fails, or
outbound delivery cannot start, the server stops too and `run()` raises that error, so a supervisor
restarts the process.
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
from lotline.api.settings import Settings
from lotline.config import Configuration
from lotline.connectors.base import Source
from lotline.connectors.wrappers.deadletter import describe
from lotline.outbound import Outbound
from lotline.pipeline.runner import Runner

log = logging.getLogger("lotline.serve")

CHECK_TIMEOUT = 2.0  # seconds a connector's check() may take in /health


class Runtime:
    """What /health reports: the runner's state, every connector's check() and outbound delivery."""

    def __init__(self, runner: Runner, sources: dict[str, Source], outbound: Outbound | None = None) -> None:
        self.runner = runner
        self.sources = sources
        self.outbound = outbound
        self.state = "starting"  # -> running -> stopping -> stopped, or failed
        # the same states for outbound delivery; "off" when the configuration has no `outbound:` section
        self.outbound_state = "off" if outbound is None else "starting"

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """(ready, report): ready while the runner runs (and outbound delivery, when configured); the
        report is JSON-ready."""
        names = list(self.sources)
        checks = await asyncio.gather(*(self._check(self.sources[name]) for name in names))
        report: dict[str, Any] = {
            "runner": {"state": self.state, **self.runner.counters.snapshot()},
            "connectors": dict(zip(names, checks, strict=True)),
            "outbound": self._outbound(),
        }
        ready = self.state == "running" and self.outbound_state in ("off", "running")
        return ready, report

    def _outbound(self) -> dict[str, Any]:
        outbound = self.outbound
        if outbound is None:
            return {"state": self.outbound_state}
        # per route, its endpoint's circuit breaker; keyed by route name: /health needs no key, and an
        # endpoint (a webhook URL) may carry a token
        breakers = outbound.breaker_states()
        routes = {
            route.name: "disabled" if not route.enabled else breakers.get(route.endpoint, "closed")
            for route in outbound.config.routes
        }
        return {"state": self.outbound_state, "routes": routes}

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
        await self.service.stop_outbound()
        await super().shutdown(sockets)


class Service:
    """The API app with `app.state.runtime` set, the runner over the configured connectors and, with an
    `outbound:` section, the outbound deliveries (on the database `engine` opens)."""

    def __init__(
        self, config: Configuration, engine: Engine, host: str, port: int, *, log_level: str = "info"
    ) -> None:
        self.sources = config.sources()
        self.runner = Runner(engine, self.sources, config.mapper, config.runner_settings())
        routes = config.model.outbound
        self.outbound: Outbound | None = None
        if routes is not None:
            db_url = engine.url.render_as_string(hide_password=False)
            self.outbound = Outbound(engine, routes, db_url=db_url)
        self.runtime = Runtime(self.runner, self.sources, self.outbound)
        self.app = create_app(engine, Settings(warm_trace_index=True))
        self.app.state.runtime = self.runtime
        self.server = _Server(uvicorn.Config(self.app, host=host, port=port, log_level=log_level), self)
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._outbound_task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None

    async def run(self) -> None:
        """Serve until stopped; raises the runner's (or outbound start's) error if it failed."""
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run_runner(self._stop))
        if self.outbound is not None:
            self._outbound_task = asyncio.create_task(self._start_outbound(self.outbound))
        try:
            await self.server.serve()
        finally:
            await self.stop_runner()
            await self.stop_outbound()
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

    async def stop_outbound(self) -> None:
        """Stop the dispatcher, close the sinks and shut DBOS down (idempotent; after the runner, so the
        events it stored last are already in the table the next start reads from)."""
        task, self._outbound_task = self._outbound_task, None
        if task is None or self.outbound is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.shield(task)  # a start in progress completes first (DBOS launch is not cancellable)
        if self.runtime.outbound_state != "running":
            return
        self.runtime.outbound_state = "stopping"
        try:
            await self.outbound.stop()
        except Exception:
            log.exception("outbound delivery did not stop cleanly")
            self.runtime.outbound_state = "failed"
            return
        self.runtime.outbound_state = "stopped"
        log.info("outbound delivery stopped")

    async def _start_outbound(self, outbound: Outbound) -> None:
        try:
            await outbound.start()
        except Exception as exc:
            self._error = self._error or exc
            self.runtime.outbound_state = "failed"
            log.exception("outbound delivery could not start; stopping the server")
            self.server.should_exit = True
            return
        self.runtime.outbound_state = "running"
        names = ", ".join(route.name for route in outbound.config.routes) or "none"
        log.info("outbound delivery started with routes: %s", names)

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
