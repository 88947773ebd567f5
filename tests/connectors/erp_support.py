"""Helpers shared by the ERP connector tests: canonical commands, a dead-letter list, adapters that let the
transport-level conformance suites drive record-level ERP connectors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import orjson

from lotline.connectors import Ack, Check, Message, Outbound, SendResult, Sink, Source
from lotline.connectors.wrappers import DeadLetter

T0 = "2026-12-01T08:15:00+01:00"


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


class FieldSource:
    """Conformance view of an ERP source: the message payload is one text field of the record it carries
    (the harness wrote the conformance payload into that field). Ids, order and settling are the real
    source's."""

    def __init__(self, inner: Source, field: str) -> None:
        self.inner, self.field = inner, field

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def check(self) -> Check:
        return await self.inner.check()

    async def read(self) -> tuple[Message, Ack]:
        message, ack = await self.inner.read()
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


class CommandSinkView:
    """Conformance view of an ERP sink: each conformance payload (any JSON) travels inside a valid command,
    in a text field the harness reads back from the fake."""

    def __init__(self, inner: Sink, wrap: Any) -> None:
        self.inner, self.wrap = inner, wrap

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def check(self) -> Check:
        return await self.inner.check()

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        return await self.inner.send([Outbound(o.key, self.wrap(o), o.topic, o.headers) for o in batch])
