"""Batching: ready at max_items or max_wait after the first item; collect() from a queue."""

from __future__ import annotations

import asyncio

from lotline.connectors.wrappers.batching import Batcher, BatchPolicy, chunks, collect


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ready_when_full() -> None:
    batcher: Batcher[int] = Batcher(BatchPolicy(max_items=3, max_wait=10), Clock())
    for i in range(2):
        batcher.add(i)
    assert not batcher.ready
    batcher.add(2)
    assert batcher.ready and batcher.take() == [0, 1, 2] and len(batcher) == 0


def test_ready_when_the_first_item_is_old_enough() -> None:
    clock = Clock()
    batcher: Batcher[str] = Batcher(BatchPolicy(max_items=100, max_wait=0.05), clock)
    assert batcher.remaining_wait() is None and not batcher.ready
    batcher.add("a")
    clock.now = 0.04
    assert not batcher.ready and abs((batcher.remaining_wait() or 0) - 0.01) < 1e-9
    clock.now = 0.05
    assert batcher.ready


def test_chunks() -> None:
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([], 2) == []


def test_collect_takes_what_is_there_up_to_the_size() -> None:
    async def go() -> tuple[list[int], list[int]]:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(7):
            queue.put_nowait(i)
        policy = BatchPolicy(max_items=5, max_wait=0.001)
        return await collect(queue, policy), await collect(queue, policy)

    assert asyncio.run(go()) == ([0, 1, 2, 3, 4], [5, 6])
