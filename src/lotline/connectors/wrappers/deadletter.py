"""Dead-lettering: what cannot be processed or delivered is parked with everything needed to replay it.

The dead letter keeps the original input (never a transformed one), the failing stage, the error and the
attempt count (the Dead Letter Channel of Enterprise Integration Patterns). Where it is parked is injected
as a `Park` callable: `lotline.store.dlq` for the store, a list in tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from lotline.connectors.base import Message, Outbound


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One parked message. `message_id` is the source's id (inbound) or the idempotency key (outbound)."""

    source: str
    message_id: str
    payload: bytes
    stage: str
    error: str
    attempts: int = 1
    topic: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def inbound(cls, message: Message, stage: str, error: str, attempts: int = 1) -> DeadLetter:
        return cls(
            message.source,
            message.message_id,
            message.payload,
            stage,
            error,
            attempts,
            message.topic,
            dict(message.headers),
        )

    @classmethod
    def outbound(cls, sink: str, item: Outbound, stage: str, error: str, attempts: int = 1) -> DeadLetter:
        return cls(sink, item.key, item.payload, stage, error, attempts, item.topic, dict(item.headers))


Park = Callable[[list[DeadLetter]], Awaitable[None]]


def describe(error: BaseException) -> str:
    """The error as a dead letter records it: its type and message, one line."""
    text = str(error).strip().replace("\n", " ")
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
