"""Events captured per minute by plant and source, kept up to date by reading only what is new.

The events table is append-only and its ids grow with capture, so after the first read (one GROUP BY over
the last 7 days by the record-time index) each refresh reads the rows with a larger id: the overview costs
the same on a million events as on a thousand. Counts older than 7 days are dropped. On PostgreSQL a
transaction that commits after a later-numbered one can be missed by one refresh's count (the dashboard
counter, not the store, is off by it until the server restarts).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from lotline.store.schema import events

MINUTE = 60_000_000  # microseconds
HORIZON_MINUTES = 7 * 24 * 60


@dataclass
class Tally:
    last_id: int = 0
    total: int = 0  # events stored
    # (minute, location, source, plant from the connector or None) -> events
    minutes: dict[tuple[int, str | None, str, str | None], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, engine: Engine, now: int) -> None:
        """Count the events stored since the last refresh (all of the last 7 days the first time)."""
        horizon = now // MINUTE - HORIZON_MINUTES
        minute = events.c.record_time // MINUTE
        location = func.coalesce(events.c.biz_location, events.c.read_point)
        source = func.coalesce(
            events.c.source, events.c.interface
        )  # the connector's name, else the interface
        with self.lock, engine.connect() as conn:
            top = conn.execute(select(func.max(events.c.id))).scalar() or 0
            if top <= self.last_id:
                return
            added = conn.execute(
                select(func.count()).where(events.c.id > self.last_id, events.c.id <= top)
            ).scalar_one()
            grouped = conn.execute(
                select(minute, location, source, events.c.plant, func.count())
                .where(
                    events.c.id > self.last_id, events.c.id <= top, events.c.record_time >= horizon * MINUTE
                )
                .group_by(minute, location, source, events.c.plant)
            ).all()
            for at, loc, src, plant, count in grouped:
                self.minutes[(int(at), loc, src, plant)] += int(count)
            self.total += int(added)
            self.last_id = top
            for key in [k for k in self.minutes if k[0] < horizon]:
                del self.minutes[key]

    def snapshot(self, since_minute: int) -> list[tuple[int, str | None, str, str | None, int]]:
        with self.lock:
            return [
                (m, loc, src, plant, n)
                for (m, loc, src, plant), n in self.minutes.items()
                if m >= since_minute
            ]
