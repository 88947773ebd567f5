"""Run a FillingLine in a thread of its own, so it outlives the event loops of the code that uses it.

Tests that run each case in its own loop (`asyncio.run`, as the conformance suites do) share one
simulated server this way, and the CLI serves one from a plain function:

    with ThreadedLine(FillingLine()) as line:     # started, listening
        line.run(line.sim.produce(10))            # from synchronous code
        await line.call(line.sim.change_lot("L7"))  # from any other event loop
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from lotline.sim.filling_line import FillingLine

__all__ = ["ThreadedLine"]

T = TypeVar("T")


class ThreadedLine:
    """A FillingLine whose server runs on a private event loop in a daemon thread."""

    def __init__(self, sim: FillingLine, timeout: float = 30.0) -> None:
        self.sim = sim
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="opcua-filling-line", daemon=True)

    @property
    def endpoint(self) -> str:
        return self.sim.endpoint

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the line's loop and wait for its result (from synchronous code)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.timeout)

    def call(self, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """Run a coroutine on the line's loop; await the result from another event loop."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()
        self.run(self.sim.start())

    def close(self) -> None:
        if self._thread.is_alive():
            self.run(self.sim.stop())
            self.run(_cancel_leftovers())  # the server leaves session timers behind
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(self.timeout)
        self._loop.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


async def _cancel_leftovers() -> None:
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)
