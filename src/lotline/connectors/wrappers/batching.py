"""Batching by size and time: the pure accumulator, and collecting a batch from an async queue.

Throughput needs batches (one transaction, one network round trip for many messages); latency needs a
deadline (a lone message must not wait for 499 friends). A batch is ready at `max_items`, or `max_wait`
seconds after its first item arrived, whichever comes first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    max_items: int = 500
    max_wait: float = 0.02  # seconds after the first item

    def __post_init__(self) -> None:
        if self.max_items < 1 or self.max_wait < 0:
            raise ValueError("need max_items >= 1 and max_wait >= 0")


class Batcher(Generic[T]):
    """Accumulates items; says when the batch is ready and hands it over. No I/O, no sleeping."""

    def __init__(self, policy: BatchPolicy, clock: Clock = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._items: list[T] = []
        self._first_at: float | None = None

    def add(self, item: T) -> None:
        if not self._items:
            self._first_at = self._clock()
        self._items.append(item)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        return len(self._items) >= self.policy.max_items

    def remaining_wait(self) -> float | None:
        """Seconds until the batch is due by time; None while empty."""
        if self._first_at is None:
            return None
        return max(0.0, self.policy.max_wait - (self._clock() - self._first_at))

    @property
    def ready(self) -> bool:
        wait = self.remaining_wait()
        return self.full or (wait is not None and wait <= 0)

    def take(self) -> list[T]:
        items, self._items, self._first_at = self._items, [], None
        return items


def chunks(items: list[T], size: int) -> list[list[T]]:
    """`items` in consecutive slices of at most `size`."""
    return [items[start : start + size] for start in range(0, len(items), size)]


async def collect(queue: asyncio.Queue[T], policy: BatchPolicy, clock: Clock = time.monotonic) -> list[T]:
    """Wait for a first item, then gather until the batch is full or `max_wait` has passed."""
    batcher: Batcher[T] = Batcher(policy, clock)
    batcher.add(await queue.get())
    while not batcher.ready:
        try:
            batcher.add(queue.get_nowait())
            continue
        except asyncio.QueueEmpty:
            pass
        try:
            batcher.add(await asyncio.wait_for(queue.get(), batcher.remaining_wait()))
        except TimeoutError:
            break
    return batcher.take()
