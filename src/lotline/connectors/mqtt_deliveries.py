"""Messages between the MQTT client's thread and a source: arrival order, local redelivery, ordered PUBACKs.

Rules (no MQTT library here, so they are testable on their own):
- PUBACKs go out in the order the messages arrived (MQTT 3.1.1 and 5, section 4.6): a message settled
  early waits for the ones before it. Unsettled messages hold the broker back through its in-flight window.
- `settle(d, error)` puts the delivery back; the next `next()` returns it again (same delivery, so the
  same lotline Message), without a PUBACK.
- A delivery belongs to one connection (its `generation`). Once a message of a newer connection arrives,
  acks for older ones are moot: the broker redelivers them from the persistent session, and lotline's
  inbox recognises them by their deterministic message id.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class Delivery:
    """One message from the broker, as the session hands it to a source."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    mid: int
    generation: int
    user_properties: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    settled: bool = False
    converted: Any = None  # the source's Message for this delivery, kept for local redelivery


class Deliveries:
    """The queue a source reads from. `puback(d)` is called for each QoS 1 delivery, in arrival order, once
    it and all before it are settled; it decides whether the delivery's connection is still the live one."""

    def __init__(self, puback: Callable[[Delivery], None]) -> None:
        self._puback = puback
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._redeliver: deque[Delivery] = deque()
        self._pending: deque[Delivery] = deque()  # QoS 1 deliveries of the newest connection, in order

    def arrived(self, d: Delivery) -> None:
        self._queue.put_nowait(d)

    async def next(self) -> Delivery:
        """The next message: one put back by settle(d, error) first, then the broker's in arrival order."""
        if self._redeliver:
            return self._redeliver.popleft()
        d = await self._queue.get()
        if d.qos > 0:
            if self._pending and self._pending[0].generation != d.generation:
                self._pending.clear()
            self._pending.append(d)
        return d

    def settle(self, d: Delivery, error: BaseException | None = None) -> None:
        """Acknowledge a delivery (PUBACK, in arrival order), or with an error put it back for redelivery."""
        if d.settled:
            return
        if error is not None:
            if d not in self._redeliver:
                self._redeliver.append(d)
            return
        d.settled = True
        while self._pending and self._pending[0].settled:
            self._puback(self._pending.popleft())

    @property
    def unsettled(self) -> int:
        """QoS 1 messages read from the newest connection and not yet acknowledged to the broker."""
        return len(self._pending)
