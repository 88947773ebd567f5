"""The sink wrappers: chunking, retrying failed keys only, circuit breaking, parking what still fails."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lotline.connectors import Outbound, SendResult, Sink
from lotline.connectors.memory import MemoryBroker, MemoryConfig, MemorySink
from lotline.connectors.wrappers import (
    CircuitBreaker,
    CircuitOpen,
    DeadLetter,
    RetryPolicy,
    resilient,
)


class Recording:
    """Wraps a sink and records the batch sizes it was asked to send; fails the first `down` calls."""

    def __init__(self, inner: Sink, down: int = 0) -> None:
        self.inner = inner
        self.down = down
        self.batches: list[list[str]] = []

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def check(self):  # type: ignore[no-untyped-def]
        return await self.inner.check()

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        self.batches.append([o.key for o in batch])
        if self.down:
            self.down -= 1
            raise ConnectionError("refused")
        return await self.inner.send(batch)


async def no_sleep(_: float) -> None:
    return None


def outbound(n: int, size: int = 1) -> list[Outbound]:
    return [Outbound(f"k{i}", b"x" * size) for i in range(n)]


def test_chunking_and_retry_deliver_everything() -> None:
    broker = MemoryBroker()
    inner = Recording(MemorySink(MemoryConfig(channel="out"), broker), down=1)
    sink = resilient(inner, name="erp", retry=RetryPolicy(max_attempts=3), max_batch=2, sleep=no_sleep)
    result = asyncio.run(sink.send(outbound(5)))
    assert result.ok and sorted(result.delivered) == ["k0", "k1", "k2", "k3", "k4"]
    assert inner.batches[0] == ["k0", "k1"]  # the failed first call
    assert len(broker.published("out")) == 5


def test_only_failed_keys_are_retried_and_the_rest_are_parked() -> None:
    broker = MemoryBroker()
    inner = Recording(MemorySink(MemoryConfig(channel="out", max_payload_bytes=1), broker))
    parked: list[DeadLetter] = []

    async def park(letters: list[DeadLetter]) -> None:
        parked.extend(letters)

    sink = resilient(inner, name="erp", retry=RetryPolicy(max_attempts=3), park=park, sleep=no_sleep)
    batch = [Outbound("small", b"x"), Outbound("big", b"xx")]
    result = asyncio.run(sink.send(batch))
    assert result.delivered == ("small",) and set(result.failed) == {"big"}
    assert inner.batches == [["small", "big"], ["big"], ["big"]]
    [letter] = parked
    assert (letter.source, letter.message_id, letter.payload, letter.stage, letter.attempts) == (
        "erp",
        "big",
        b"xx",
        "send",
        3,
    )


def test_an_open_circuit_fails_fast_and_everything_is_parked() -> None:
    broker = MemoryBroker()
    broker.down = True
    inner = Recording(MemorySink(MemoryConfig(channel="out"), broker))
    breaker = CircuitBreaker("erp", failure_threshold=2, reset_after=60)
    parked: list[DeadLetter] = []

    async def park(letters: list[DeadLetter]) -> None:
        parked.extend(letters)

    sink = resilient(
        inner, name="erp", retry=RetryPolicy(max_attempts=4), breaker=breaker, park=park, sleep=no_sleep
    )
    result = asyncio.run(sink.send(outbound(2)))
    assert len(inner.batches) == 2, "after two failures the breaker stops the calls"
    assert not result.delivered and set(result.failed) == {"k0", "k1"}
    assert CircuitOpen.__name__ in result.failed["k0"]
    assert {p.message_id for p in parked} == {"k0", "k1"}
