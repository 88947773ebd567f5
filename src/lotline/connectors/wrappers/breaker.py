"""Circuit breaker per endpoint: stop calling a target that keeps failing, probe it now and then.

    closed --(failure_threshold failures in a row)--> open --(reset_after seconds)--> half-open
    half-open --(trial succeeds)--> closed;  half-open --(trial fails)--> open

While open, calls fail fast with CircuitOpen instead of piling timeouts onto a dead ERP or broker. One
`Breakers` object (not a process-global) holds the breakers of one runner, keyed by endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

from lotline.errors import LotlineError

T = TypeVar("T")
Clock = Callable[[], float]


class CircuitOpen(LotlineError, ConnectionError):
    """The endpoint's circuit is open: the call was not attempted. A ConnectionError, so retry treats it
    as transient."""


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """The breaker of one endpoint."""

    def __init__(
        self,
        endpoint: str,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.endpoint = endpoint
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return State.CLOSED
        if self._clock() - self._opened_at >= self.reset_after:
            return State.HALF_OPEN
        return State.OPEN

    def before_call(self) -> None:
        """Raise CircuitOpen unless a call may go through now (in half-open: one trial at a time)."""
        state = self.state
        if state is State.OPEN or (state is State.HALF_OPEN and self._trial_running):
            assert self._opened_at is not None
            wait = max(0.0, self.reset_after - (self._clock() - self._opened_at))
            raise CircuitOpen(f"circuit for {self.endpoint} is open; next trial in {wait:.1f}s")
        if state is State.HALF_OPEN:
            self._trial_running = True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._trial_running = False
        if self._opened_at is not None:  # a failed trial: open again for a full period
            self._opened_at = self._clock()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self._clock()

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run `operation` through the breaker; every exception counts as a failure of the endpoint."""
        self.before_call()
        try:
            result = await operation()
        except BaseException:
            self.record_failure()
            raise
        self.record_success()
        return result


class Breakers:
    """The breakers of one runner, one per endpoint, created on first use with the same settings."""

    def __init__(self, failure_threshold: int = 5, reset_after: float = 30.0, clock: Clock = time.monotonic):
        self._settings = (failure_threshold, reset_after, clock)
        self._by_endpoint: dict[str, CircuitBreaker] = {}

    def __getitem__(self, endpoint: str) -> CircuitBreaker:
        breaker = self._by_endpoint.get(endpoint)
        if breaker is None:
            threshold, reset_after, clock = self._settings
            breaker = self._by_endpoint[endpoint] = CircuitBreaker(endpoint, threshold, reset_after, clock)
        return breaker

    def states(self) -> dict[str, State]:
        return {endpoint: b.state for endpoint, b in sorted(self._by_endpoint.items())}
