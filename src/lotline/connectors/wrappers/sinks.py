"""The shared wrappers as Sinks around a Sink: chunk to a batch size, break the circuit, retry, park.

    sink = resilient(erp_sink, name="erp", retry=RetryPolicy(), breaker=breakers["erp"], max_batch=200,
                     park=dlq_parker)

A wrapper is itself a Sink, so the runner and the conformance suite see one shape. Per-key failures are
retried for the failed keys only; what still fails after the last attempt is parked, never dropped.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from lotline.connectors.base import Outbound, SendResult, Sink, Wrapping
from lotline.connectors.wrappers.batching import chunks
from lotline.connectors.wrappers.breaker import CircuitBreaker
from lotline.connectors.wrappers.deadletter import DeadLetter, Park, describe
from lotline.connectors.wrappers.retry import Random, RetryExhausted, RetryPolicy, Sleep


class ChunkingSink(Wrapping[Sink]):
    """Sends at most `max_batch` messages per call to the inner sink (targets limit request sizes)."""

    def __init__(self, inner: Sink, max_batch: int) -> None:
        super().__init__(inner)
        self.max_batch = max_batch

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        delivered: list[str] = []
        failed: dict[str, str] = {}
        for chunk in chunks(list(batch), self.max_batch):
            result = await self.inner.send(chunk)
            delivered.extend(result.delivered)
            failed.update(result.failed)
        return SendResult(tuple(delivered), failed)


class BreakerSink(Wrapping[Sink]):
    """Fails fast (CircuitOpen) while the target's circuit is open."""

    def __init__(self, inner: Sink, breaker: CircuitBreaker) -> None:
        super().__init__(inner)
        self.breaker = breaker

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        return await self.breaker.call(lambda: self.inner.send(batch))


class RetryingSink(Wrapping[Sink]):
    """Retries transient errors, and keys the target reported failed, with backoff and jitter (never
    sooner than an error's `retry_after` hint, e.g. an HTTP Retry-After).

    After the last attempt the remaining keys are reported failed with the reason and the attempt count.
    """

    def __init__(
        self,
        inner: Sink,
        policy: RetryPolicy,
        *,
        sleep: Sleep = asyncio.sleep,
        rand: Random = random.random,
    ) -> None:
        super().__init__(inner)
        self.policy = policy
        self._sleep = sleep
        self._rand = rand
        self.attempts: dict[str, int] = {}  # key -> attempts used by the last send

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        pending = list(batch)
        delivered: list[str] = []
        failed: dict[str, str] = {}
        self.attempts = {}
        for attempt in range(1, self.policy.max_attempts + 1):
            for item in pending:
                self.attempts[item.key] = attempt
            last_error: BaseException | None = None
            try:
                result = await self.inner.send(pending)
            except Exception as error:
                if not self.policy.is_retryable(error):
                    raise
                failed = {item.key: describe(error) for item in pending}
                last_error = error
            else:
                delivered.extend(result.delivered)
                failed = dict(result.failed)
                pending = [item for item in pending if item.key in failed]
            if not pending:
                break
            if attempt < self.policy.max_attempts:
                await self._sleep(self.policy.wait(attempt, last_error, self._rand))
        return SendResult(tuple(delivered), failed)


class DeadLetteringSink(Wrapping[Sink]):
    """Parks every key the inner sink (usually a RetryingSink) finally failed, with stage "send"."""

    def __init__(self, inner: Sink, name: str, park: Park) -> None:
        super().__init__(inner)
        self.name = name
        self.park = park

    async def send(self, batch: Sequence[Outbound]) -> SendResult:
        try:
            result = await self.inner.send(batch)
        except RetryExhausted as exhausted:
            result = SendResult((), {item.key: describe(exhausted.error) for item in batch})
        if result.failed:
            attempts = getattr(self.inner, "attempts", {})
            await self.park(
                [
                    DeadLetter.outbound(
                        self.name, item, "send", result.failed[item.key], attempts.get(item.key, 1)
                    )
                    for item in batch
                    if item.key in result.failed
                ]
            )
        return result


def resilient(
    sink: Sink,
    *,
    name: str,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    max_batch: int | None = None,
    park: Park | None = None,
    sleep: Sleep = asyncio.sleep,
    rand: Random = random.random,
) -> Sink:
    """The usual stack: park(retry(breaker(chunk(sink)))). Leave a part out by passing None."""
    wrapped: Sink = sink
    if max_batch is not None:
        wrapped = ChunkingSink(wrapped, max_batch)
    if breaker is not None:
        wrapped = BreakerSink(wrapped, breaker)
    if retry is not None:
        wrapped = RetryingSink(wrapped, retry, sleep=sleep, rand=rand)
    if park is not None:
        wrapped = DeadLetteringSink(wrapped, name, park)
    return wrapped
