"""A real HTTP receiver on a loopback port for the outbound tests, which fails on demand.

It runs uvicorn in the test's event loop. Every POST is recorded (headers and body); `applied` keeps the
first body per Idempotency-Key, as a target honouring the key would. `answers` is a queue of statuses
(with optional Retry-After) served before the default 200; `refuse` returns 422 for bodies containing a
marker; `stop()` and `start()` take the port away and give it back (the target unreachable for a while).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response


@dataclass
class Received:
    key: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)


@dataclass
class Receiver:
    port: int = 0
    posts: list[Received] = field(default_factory=list)
    applied: dict[str, bytes] = field(default_factory=dict)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    refuse: set[bytes] = field(default_factory=set)
    on_post: Callable[[Received], None] | None = None
    _server: Any = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        if request.method != "POST":
            await Response(status_code=204)(scope, receive, send)
            return
        got = Received(request.headers.get("idempotency-key", ""), dict(request.headers), body)
        self.posts.append(got)
        if self.on_post is not None:
            self.on_post(got)
        if self.answers:
            status, headers = self.answers.pop(0)
            await Response(b"not now", status_code=status, headers=headers)(scope, receive, send)
            return
        if any(marker in body for marker in self.refuse):
            await Response(b"refused: bad payload", status_code=422)(scope, receive, send)
            return
        self.applied.setdefault(got.key, body)
        await Response(b"ok", status_code=200)(scope, receive, send)

    async def start(self) -> None:
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off", interface="asgi3"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(200):
            if self._server.started:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("receiver did not start")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            if self._task is not None:
                await asyncio.wait_for(self._task, 5)
            self._server = None

    def keys(self) -> list[str]:
        return [post.key for post in self.posts]

    async def until(self, count: int, timeout: float = 15.0) -> None:
        """Wait until `count` distinct keys were applied (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.applied) < count:
            if loop.time() > deadline:
                raise AssertionError(f"only {len(self.applied)} of {count} deliveries arrived in {timeout}s")
            await asyncio.sleep(0.05)
