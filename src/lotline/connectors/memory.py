"""The in-memory connector: lotline's shipped fake, which swaps only the transport.

Tests and demos run the real runner, inbox, wrappers and pipeline over it. A `MemoryBroker` holds named
channels; each channel is a durable queue with one consumer group, like a JetStream stream with a durable
consumer: a message read but not settled goes back to the queue on `ack(error)` or when its source closes,
so redelivery and crash recovery can be tested without a server. `broker.down = True` simulates an outage.

Sources and sinks made from config alone (the registry path) share `DEFAULT_BROKER`, the in-process
transport (like Benthos' `inproc`); tests pass their own broker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import Field

from lotline.connectors.base import (
    Ack,
    Check,
    ConnectorConfig,
    ConnectorSpec,
    Lifecycle,
    Message,
    Outbound,
    SendResult,
)


class MemoryConfig(ConnectorConfig):
    """An in-process channel: for tests, demos and wiring one lotline pipeline into another."""

    channel: str = Field(description="The in-process channel to read from or write to.")
    name: str = Field(default="memory", description="The source name stamped on every message read.")
    max_payload_bytes: int | None = Field(
        default=None,
        ge=0,
        description="A sink refuses (per key) payloads larger than this; unlimited if unset.",
    )


@dataclass(slots=True)
class _Entry:
    seq: int
    payload: bytes
    topic: str
    headers: Mapping[str, str]


@dataclass
class _Channel:
    log: list[_Entry] = field(default_factory=list)  # everything ever published, in order
    ready: deque[int] = field(default_factory=deque)  # positions waiting for a reader
    inflight: set[int] = field(default_factory=set)  # read, not yet settled
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def wake(self) -> None:
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.get_loop().call_soon_threadsafe(_resolve, waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class BrokerDown(ConnectionError):
    """The simulated outage of a `MemoryBroker`."""


class MemoryBroker:
    """Named durable channels in this process."""

    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}
        self.down = False

    def channel(self, name: str) -> _Channel:
        return self._channels.setdefault(name, _Channel())

    def publish(
        self,
        channel: str,
        payloads: Sequence[bytes],
        topic: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Append messages to a channel (what a device or upstream system would do)."""
        self.ensure_up()
        chan = self.channel(channel)
        for payload in payloads:
            position = len(chan.log)
            chan.log.append(_Entry(position + 1, payload, topic, dict(headers or {})))
            chan.ready.append(position)
        chan.wake()

    def published(self, channel: str) -> list[bytes]:
        """Every payload a channel has received, in order (what a sink delivered)."""
        return [entry.payload for entry in self.channel(channel).log]

    def backlog(self, channel: str) -> int:
        """Messages not yet read from a channel."""
        return len(self.channel(channel).ready)

    def ensure_up(self) -> None:
        if self.down:
            raise BrokerDown("the in-memory broker is down (simulated outage)")


DEFAULT_BROKER = MemoryBroker()


class MemorySource(Lifecycle):
    """Reads a channel; message ids are `<channel>/<sequence>`, so a redelivery keeps its id."""

    def __init__(self, config: MemoryConfig, broker: MemoryBroker | None = None) -> None:
        self.config = config
        self.broker = broker or DEFAULT_BROKER
        self._connected = False
        self._mine: set[int] = set()  # positions this source holds unsettled

    async def connect(self) -> None:
        self.broker.ensure_up()
        self._connected = True

    async def close(self) -> None:
        if not self._connected:
            return
        self._connected = False
        chan = self.broker.channel(self.config.channel)
        for position in sorted(self._mine, reverse=True):
            chan.inflight.discard(position)
            chan.ready.appendleft(position)
        self._mine.clear()
        chan.wake()

    async def check(self) -> Check:
        if self.broker.down:
            return Check(False, "the in-memory broker is down (simulated outage)")
        return Check(True, f"channel {self.config.channel!r}")

    async def read(self) -> tuple[Message, Ack]:
        chan = self.broker.channel(self.config.channel)
        while True:
            if not self._connected:
                raise RuntimeError("read() before connect() or after close()")
            self.broker.ensure_up()
            if chan.ready:
                break
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            chan.waiters.append(waiter)
            await waiter
        position = chan.ready.popleft()
        chan.inflight.add(position)
        self._mine.add(position)
        entry = chan.log[position]
        message = Message(
            source=self.config.name,
            message_id=f"{self.config.channel}/{entry.seq}",
            payload=entry.payload,
            topic=entry.topic,
            headers=entry.headers,
        )
        return message, self._settler(position)

    def _settler(self, position: int) -> Ack:
        async def ack(error: BaseException | None = None, /) -> None:
            if position not in self._mine:  # settled already, or handed back on close
                return
            self._mine.discard(position)
            chan = self.broker.channel(self.config.channel)
            chan.inflight.discard(position)
            if error is not None:
                chan.ready.appendleft(position)
                chan.wake()

        return ack


class MemorySink(Lifecycle):
    """Appends each outbound message to a channel, with its key in the `key` header."""

    def __init__(self, config: MemoryConfig, broker: MemoryBroker | None = None) -> None:
        self.config = config
        self.broker = broker or DEFAULT_BROKER

    async def connect(self) -> None:
        self.broker.ensure_up()

    async def close(self) -> None:
        return None

    async def check(self) -> Check:
        if self.broker.down:
            return Check(False, "the in-memory broker is down (simulated outage)")
        return Check(True, f"channel {self.config.channel!r}")

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        self.broker.ensure_up()
        limit = self.config.max_payload_bytes
        delivered: list[str] = []
        failed: dict[str, str] = {}
        for item in batch:
            if limit is not None and len(item.payload) > limit:
                failed[item.key] = f"payload of {len(item.payload)} bytes exceeds max_payload_bytes={limit}"
                continue
            self.broker.publish(
                self.config.channel, [item.payload], item.topic, {**item.headers, "key": item.key}
            )
            delivered.append(item.key)
        return SendResult(tuple(delivered), failed)


SPEC = ConnectorSpec(
    kind="memory",
    config=MemoryConfig,
    summary="In-process channels: the shipped fake for tests and demos (swaps only the transport).",
    source=MemorySource,
    sink=MemorySink,
)
