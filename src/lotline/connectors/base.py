"""The connector contract: what every Source and Sink looks like.

A Source yields one message at a time together with its ack. The runner calls the ack only after the
message is durably in lotline (stored, recognised as a duplicate, or parked in the dead-letter store), so
a source never forgets a message lotline has not kept. A Sink takes a batch of outbound messages and says
which of them were delivered.

    async with source:                       # connect() ... close()
        message, ack = await source.read()
        ...                                  # inbox, pipeline
        await ack()                          # or: await ack(error) to ask for redelivery

Connectors move bytes; they never build EPCIS (that is `lotline.mapping`). Retries, batching, backoff,
circuit breaking and dead-lettering are wrappers in `lotline.connectors.wrappers`, not code in a connector.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict


def now_us() -> int:
    """Microseconds since the epoch: lotline's one clock for received and record times."""
    return time.time_ns() // 1000


@dataclass(frozen=True, slots=True)
class Message:
    """One message as a source delivered it, before any mapping.

    `message_id` is the source's own id for the message (MQTT topic and sequence, file path and digest,
    SQL table and key, ...): deterministic, so a redelivered message has the same id and is stored once.
    """

    source: str
    message_id: str
    payload: bytes
    topic: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    received_at: int = field(default_factory=now_us)


class Ack(Protocol):
    """Settle a message: `await ack()` when lotline kept it, `await ack(error)` to ask for redelivery."""

    def __call__(self, error: BaseException | None = None, /) -> Awaitable[None]: ...


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message for a sink: its payload and the idempotency key the target can deduplicate on."""

    key: str
    payload: bytes
    topic: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a sink did with a batch: the keys delivered and, for the others, why not."""

    delivered: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True, slots=True)
class Check:
    """The answer to a connection check: reachable or not, and what the operator should look at."""

    ok: bool
    detail: str = ""


class ConnectorConfig(BaseModel):
    """Base of every connector's typed configuration. The model is also the documentation of the options:
    each field carries a `description`, and docs/connectors.md is generated from these models."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@runtime_checkable
class Source(Protocol):
    """Where messages come from."""

    async def connect(self) -> None: ...

    async def read(self) -> tuple[Message, Ack]: ...

    async def close(self) -> None: ...

    async def check(self) -> Check: ...


@runtime_checkable
class Sink(Protocol):
    """Where messages go."""

    async def connect(self) -> None: ...

    async def send(self, batch: Sequence[Outbound]) -> SendResult: ...

    async def close(self) -> None: ...

    async def check(self) -> Check: ...


class Lifecycle:
    """Mixin: `async with connector:` connects and always closes."""

    async def connect(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class _Connected(Protocol):
    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def check(self) -> Check: ...


Inner = TypeVar("Inner", bound=_Connected)


class Wrapping(Lifecycle, Generic[Inner]):
    """Base of a connector that wraps another (a retrying sink, a source that stamps or records what it
    reads): connecting, closing and checking are the wrapped connector's."""

    def __init__(self, inner: Inner) -> None:
        self.inner = inner

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def check(self) -> Check:
        return await self.inner.check()


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """One connector kind, declared once beside its code and registered with one line in pyproject.toml:

        [project.entry-points."lotline.connectors"]
        mqtt = "lotline.connectors.mqtt:SPEC"

    Third-party packages register in the same entry-point group.
    """

    kind: str
    config: type[ConnectorConfig]
    summary: str
    source: Callable[[Any], Source] | None = None
    sink: Callable[[Any], Sink] | None = None
    extra: str | None = None  # the pip extra that brings its client library, for the install hint
