"""TickSource: a source of tick messages, so intervals and debounces close when no samples arrive.

Rules take time only from sample timestamps: when a line stops sending (a stopped machine, report by
exception), nothing would ever close its open interval. The runner reads a TickSource like any source:

    runner = Runner(engine, {"line-2": sparkplug, "tick": TickSource(every=10)}, stage)

Every `every` seconds (aligned to multiples of it, so ticks have the same ids across restarts) it delivers
`tick_message(now)`, which goes through the inbox like any message; the TelemetryStage answers it with
`flush(now - lateness)`. The tick carries the time, so the stage itself never reads a clock. No runner
change is needed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from lotline.connectors.base import Ack, Check, Lifecycle, Message
from lotline.telemetry.stage import tick_message

__all__ = ["TickSource"]


async def _no_ack(error: BaseException | None = None, /) -> None:
    return None


class TickSource(Lifecycle):
    """Delivers a tick every `every` seconds (wall clock, aligned)."""

    def __init__(
        self,
        every: float,
        *,
        name: str = "telemetry-tick",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if every <= 0:
            raise ValueError("every must be positive")
        self.every, self.name = every, name
        self._clock, self._sleep = clock, sleep
        self._last: int | None = None

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def check(self) -> Check:
        return Check(True, f"a tick every {self.every:g} s")

    async def read(self) -> tuple[Message, Ack]:
        step = round(self.every * 1_000_000)
        while True:
            now = round(self._clock() * 1_000_000)
            due = now // step * step
            if due != self._last and (self._last is None or due > self._last):
                self._last = due
                return tick_message(due, self.name), _no_ack
            await self._sleep((due + step - now) / 1_000_000)
