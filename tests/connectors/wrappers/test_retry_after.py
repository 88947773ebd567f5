"""The retry wrappers wait at least as long as an error's `retry_after` hint (an HTTP Retry-After), capped
at the policy's max_delay."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lotline.connectors import Outbound, SendResult
from lotline.connectors.base import Check
from lotline.connectors.wrappers import RetryingSink, RetryPolicy, retry


class Busy(ConnectionError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("429 Too Many Requests")
        self.retry_after = retry_after


def test_policy_wait_honours_the_hint_within_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=10)
    assert policy.wait(1, Busy(3), rand=lambda: 0.5) == 3
    assert policy.wait(1, Busy(60), rand=lambda: 0.5) == 10
    assert policy.wait(1, ConnectionError(), rand=lambda: 0.5) == 0.05
    assert policy.wait(1, None, rand=lambda: 0.5) == 0.05


def test_retry_and_the_retrying_sink_sleep_the_hint() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    calls = {"n": 0}

    async def flaky() -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Busy(2)
        return "ok"

    class Sink:
        async def connect(self) -> None: ...

        async def close(self) -> None: ...

        async def check(self) -> Check:
            return Check(True)

        async def send(self, batch: Sequence[Outbound]) -> SendResult:
            calls["n"] += 1
            if calls["n"] == 3:
                raise Busy(4)
            return SendResult(tuple(o.key for o in batch))

    async def scenario() -> SendResult:
        assert await retry(flaky, RetryPolicy(base_delay=0.01), sleep=sleep) == "ok"
        sink = RetryingSink(Sink(), RetryPolicy(base_delay=0.01), sleep=sleep)
        return await sink.send([Outbound("k", b"{}")])

    assert asyncio.run(scenario()).delivered == ("k",)
    assert waits[0] == 2 and waits[1] == 4
