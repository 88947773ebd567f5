"""Retry with exponential backoff and full jitter, written once for every connector.

Full jitter (a uniform delay between 0 and the exponential cap) spreads the retries of many clients that
failed together, so a recovering broker or ERP is not hit by synchronised waves (AWS Architecture Blog,
"Exponential Backoff and Jitter"). Time and randomness are injected, so tests never sleep.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

from lotline.errors import LotlineError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]  # uniform in [0, 1)

# Errors that say "the other side is not there right now" rather than "this input is wrong".
TRANSIENT: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, OSError)


class RetryExhausted(LotlineError):
    """Every attempt failed; `attempts` and the last error (also the `__cause__`) go to the dead letter."""

    def __init__(self, attempts: int, error: BaseException) -> None:
        super().__init__(f"gave up after {attempts} attempts: {type(error).__name__}: {error}")
        self.attempts = attempts
        self.error = error


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry. `max_attempts` counts the first try."""

    max_attempts: int = 5
    base_delay: float = 0.1
    max_delay: float = 30.0
    retryable: tuple[type[BaseException], ...] = TRANSIENT

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("need 0 <= base_delay <= max_delay")

    def cap(self, attempt: int) -> float:
        """The longest wait after failed attempt number `attempt` (1-based): base * 2^(attempt-1), capped."""
        return min(self.max_delay, self.base_delay * (1 << min(attempt - 1, 62)))

    def delay(self, attempt: int, rand: Random = random.random) -> float:
        """Full jitter: uniform between 0 and the cap."""
        return rand() * self.cap(attempt)

    def wait(self, attempt: int, error: BaseException | None, rand: Random = random.random) -> float:
        """The wait after failed attempt `attempt`: full jitter, but never less than the error's own
        `retry_after` hint (an HTTP 429/503 Retry-After, in seconds), itself capped at `max_delay`."""
        delay = self.delay(attempt, rand)
        hint = getattr(error, "retry_after", None)
        if isinstance(hint, int | float) and hint > 0:
            delay = max(delay, min(float(hint), self.max_delay))
        return delay

    def is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, self.retryable)


async def retry(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    rand: Random = random.random,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Run `operation` until it succeeds. A non-retryable error propagates at once, unchanged; when the
    attempts run out, RetryExhausted is raised from the last error."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await operation()
        except Exception as error:
            if not policy.is_retryable(error):
                raise
            if attempt >= policy.max_attempts:
                raise RetryExhausted(attempt, error) from error
            wait = policy.wait(attempt, error, rand)
            if on_retry is not None:
                on_retry(attempt, error, wait)
            await sleep(wait)


def retry_after_seconds(value: str | None) -> float | None:
    """An HTTP Retry-After header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) in seconds: the hint an
    error's `retry_after` carries to `Retry`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())  # (a date without a zone, -0000, is read as local)
