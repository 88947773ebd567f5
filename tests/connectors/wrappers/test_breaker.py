"""Circuit breaker: closed -> open after N failures -> half-open after the reset time -> closed or open."""

from __future__ import annotations

import asyncio

import pytest

from lotline.connectors.wrappers.breaker import Breakers, CircuitBreaker, CircuitOpen, State


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def fail() -> None:
    raise ConnectionError("down")


async def succeed() -> str:
    return "ok"


def call(breaker: CircuitBreaker, op: object) -> object:
    try:
        return asyncio.run(breaker.call(op))  # type: ignore[arg-type]
    except Exception as exc:
        return exc


def test_opens_after_the_threshold_and_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker("erp", failure_threshold=3, reset_after=10, clock=clock)
    for _ in range(3):
        assert isinstance(call(breaker, fail), ConnectionError)
    assert breaker.state is State.OPEN
    attempted = []

    async def tracked() -> None:
        attempted.append(1)

    assert isinstance(call(breaker, tracked), CircuitOpen)
    assert attempted == []


def test_half_open_trial_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_after=10, clock=clock)
    call(breaker, fail)
    clock.now = 10
    assert breaker.state is State.HALF_OPEN
    assert call(breaker, succeed) == "ok"
    assert breaker.state is State.CLOSED


def test_half_open_trial_failure_opens_for_a_full_period() -> None:
    clock = Clock()
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_after=10, clock=clock)
    call(breaker, fail)
    clock.now = 15
    assert isinstance(call(breaker, fail), ConnectionError)
    assert breaker.state is State.OPEN
    clock.now = 24
    assert breaker.state is State.OPEN
    clock.now = 25
    assert breaker.state is State.HALF_OPEN


def test_only_one_trial_at_a_time_in_half_open() -> None:
    clock = Clock()
    breaker = CircuitBreaker("erp", failure_threshold=1, reset_after=1, clock=clock)
    call(breaker, fail)
    clock.now = 1
    breaker.before_call()  # the trial starts
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    breaker.record_success()
    assert breaker.state is State.CLOSED


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker("erp", failure_threshold=2, clock=Clock())
    call(breaker, fail)
    call(breaker, succeed)
    call(breaker, fail)
    assert breaker.state is State.CLOSED


def test_breakers_are_per_endpoint() -> None:
    breakers = Breakers(failure_threshold=1, clock=Clock())
    call(breakers["erp"], fail)
    assert breakers.states() == {"erp": State.OPEN}
    assert breakers["wms"].state is State.CLOSED
    assert breakers["erp"] is breakers["erp"]
