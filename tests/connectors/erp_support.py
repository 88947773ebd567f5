"""Helpers shared by the ERP connector tests: canonical commands, a dead-letter list, the live fake fixtures,
reading a source dry, and adapters that let the transport-level conformance suites drive record-level ERP
connectors.

Each ERP's conftest defines `fake` (its seeded contract fake) and takes `live` and `live_fake` from here."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import orjson
import pytest

from lotline.connectors import Ack, Message, Outbound, SendResult, Sink, Source, Wrapping
from lotline.connectors.erpkit.polling import PollingSource
from lotline.connectors.wrappers import DeadLetter
from tests.fakes.server import LiveServer

T0 = "2026-12-01T08:15:00+01:00"
#: Options every test config sets: poll fast, give up soon.
QUICK: dict[str, object] = {"poll_interval": 0.02, "retry_attempts": 3}


def command(kind: str, **fields: Any) -> bytes:
    return json.dumps({"kind": kind, "time": T0, **fields}).encode()


def confirmation(order: str, consumed: list[dict[str, Any]], **fields: Any) -> bytes:
    values: dict[str, Any] = {"orderId": order, "yieldQuantity": 990, "uom": "EA", "final": True}
    values.update(fields)
    return command("production_confirmation", consumed=consumed, **values)


class Parked:
    """A `park` callable for the dead-lettering wrapper that keeps what it got."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def __call__(self, letters: list[DeadLetter]) -> None:
        self.letters.extend(letters)


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


def transport(fake: Any) -> httpx.ASGITransport:
    """The fake's app in process, no socket."""
    return httpx.ASGITransport(app=fake.app)


async def read_all(source: PollingSource[Any, Any], ack: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """(message id, record) of everything the source has now, polling until it has no more."""
    got = []
    while source._ready or await source.poll():
        message, settle = await source.read()
        got.append((message.message_id, orjson.loads(message.payload)))
        if ack:
            await settle()
    return got


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    """One uvicorn per module; each test swaps in a fresh fake behind it (holder["fake"])."""
    holder: dict[str, Any] = {}

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await holder["fake"].app(scope, receive, send)

    server = LiveServer(app)
    server.start()
    yield server, holder
    server.stop()


@pytest.fixture
def live_fake(live: tuple[LiveServer, dict[str, Any]], fake: Any) -> tuple[str, Any]:
    """(URL, fake): the test's `fake` served over a real socket."""
    server, holder = live
    holder["fake"] = fake
    return server.url, fake


class _View(Wrapping[Source | Sink]):
    """Lifecycle and check of the connector it wraps."""


class FieldSource(_View):
    """Conformance view of an ERP source: the message payload is one text field of the record it carries
    (the harness wrote the conformance payload into that field). Ids, order and settling are the real
    source's."""

    def __init__(self, inner: Source, field: str) -> None:
        super().__init__(inner)
        self.source, self.field = inner, field

    async def read(self) -> tuple[Message, Ack]:
        message, ack = await self.source.read()
        text = orjson.loads(message.payload)[self.field]
        view = Message(
            message.source,
            message.message_id,
            text.encode(),
            message.topic,
            message.headers,
            message.received_at,
        )
        return view, ack


class CommandSinkView(_View):
    """Conformance view of an ERP sink: each conformance payload (any JSON) travels inside a valid command,
    in a text field the harness reads back from the fake."""

    def __init__(self, inner: Sink, wrap: Any) -> None:
        super().__init__(inner)
        self.sink, self.wrap = inner, wrap

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        return await self.sink.send([Outbound(o.key, self.wrap(o), o.topic, o.headers) for o in batch])
