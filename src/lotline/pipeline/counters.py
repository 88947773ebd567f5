"""What the runner did, per source: nothing is silently dropped, so every message lands in one count.

A message read from a source is `received`; it is then a `redelivered` duplicate (its (source, message id)
is already in the inbox), or it goes through the pipeline and its events are `stored` or `duplicates`
(same event hash already stored), or the message is `dead_lettered`. Events are EPCIS events and
operational events alike (an operational event is a duplicate when its envelope id is already stored).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(slots=True)
class SourceCounts:
    received: int = 0  # messages read from the source (live)
    redelivered: int = 0  # messages already in the inbox: acknowledged, not processed again
    processed: int = 0  # messages through the pipeline (live and backlog)
    stored: int = 0  # events written
    duplicates: int = 0  # events whose hash was already stored
    dead_lettered: int = 0  # messages parked in the dead-letter store


@dataclass(slots=True)
class Counters:
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    store_errors: int = 0  # batches that failed to write (retried; their messages stay pending)

    def of(self, source: str) -> SourceCounts:
        counts = self.sources.get(source)
        if counts is None:
            counts = self.sources[source] = SourceCounts()
        return counts

    @property
    def total(self) -> SourceCounts:
        total = SourceCounts()
        for counts in self.sources.values():
            for name, value in asdict(counts).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def snapshot(self) -> dict[str, object]:
        """JSON-ready: totals, per source, and store errors (for /api, metrics and the control tower)."""
        return {
            "total": asdict(self.total),
            "sources": {name: asdict(counts) for name, counts in sorted(self.sources.items())},
            "store_errors": self.store_errors,
        }
