"""Serve a fake ASGI app with uvicorn on a free loopback port in a background thread, and the faults every
fake can inject (outage, 429 with Retry-After, 5xx), applied as a middleware before the fake's routes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from lotline.sim.ports import free_port


@dataclass
class Faults:
    """What the next requests get instead of an answer. Counters count down per request."""

    unavailable: int = 0  # answer 503 to this many requests
    rate_limited: int = 0  # answer 429 with Retry-After to this many requests
    retry_after: int = 1
    server_errors: int = 0  # answer 500 to this many requests
    requests: int = 0  # requests seen (all of them)
    log: list[str] = field(default_factory=list)  # "METHOD path" of every request

    def clear(self) -> None:
        self.unavailable = self.rate_limited = self.server_errors = 0


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults = self.faults
        faults.requests += 1
        faults.log.append(f"{scope['method']} {scope['path']}")
        status, headers = 0, [(b"content-type", b"application/json")]
        if faults.unavailable > 0:
            faults.unavailable -= 1
            status = 503
        elif faults.rate_limited > 0:
            faults.rate_limited -= 1
            status = 429
            headers.append((b"retry-after", str(faults.retry_after).encode()))
        elif faults.server_errors > 0:
            faults.server_errors -= 1
            status = 500
        if not status:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"error": "injected by the fake"}'})


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1:<port>; stop() and start() again simulate an outage."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the fake did not start on port {self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = self._thread = None
