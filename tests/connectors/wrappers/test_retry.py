"""Retry: exponential caps, full jitter, which errors are retried, and giving up with the attempt count."""

from __future__ import annotations

import asyncio

import pytest

from lotline.connectors.wrappers.retry import RetryExhausted, RetryPolicy, retry


class Flaky:
    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("refused")
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def run(flaky: Flaky, policy: RetryPolicy, rand: float = 1.0) -> tuple[str | BaseException, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> str:
        return await retry(flaky, policy, sleep=sleep, rand=lambda: rand)

    try:
        return asyncio.run(go()), slept
    except BaseException as exc:
        return exc, slept


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay=0.1, max_delay=0.5)
    assert [policy.cap(a) for a in range(1, 6)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    assert policy.cap(10_000) == 0.5


def test_full_jitter_is_uniform_below_the_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    assert policy.delay(3, lambda: 0.0) == 0.0
    assert policy.delay(3, lambda: 0.5) == 2.0


def test_transient_errors_are_retried_until_success() -> None:
    flaky = Flaky(2)
    result, slept = run(flaky, RetryPolicy(max_attempts=5, base_delay=0.1))
    assert result == "ok" and flaky.calls == 3
    assert slept == [0.1, 0.2]


def test_giving_up_reports_the_attempts_and_the_last_error() -> None:
    flaky = Flaky(10)
    result, slept = run(flaky, RetryPolicy(max_attempts=3, base_delay=0.1))
    assert isinstance(result, RetryExhausted)
    assert result.attempts == 3 and isinstance(result.error, ConnectionError)
    assert flaky.calls == 3 and len(slept) == 2


def test_a_non_retryable_error_propagates_at_once() -> None:
    flaky = Flaky(1, ValueError("bad input"))
    result, slept = run(flaky, RetryPolicy(max_attempts=5))
    assert isinstance(result, ValueError) and flaky.calls == 1 and slept == []


def test_the_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=2, max_delay=1)
