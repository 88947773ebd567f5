"""Run one async test body in its own event loop, between the harness's start() and stop().

The suites are plain synchronous pytest tests (no asyncio plugin needed); each case owns one loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class _Harness(Protocol):
    timeout: float

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def run_case(harness: _Harness, body: Callable[[], Awaitable[None]], steps: int = 10) -> None:
    """Run `body`; the whole case may take `steps` times the harness's timeout at most."""

    async def case() -> None:
        await harness.start()
        try:
            await asyncio.wait_for(body(), harness.timeout * steps)
        finally:
            await harness.stop()

    asyncio.run(case())


async def within(harness: _Harness, step: Awaitable[T]) -> T:
    """One step of a case, failing the test if it takes longer than the harness's timeout."""
    return await asyncio.wait_for(step, harness.timeout)
