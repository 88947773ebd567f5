"""What every telemetry rule is: a deterministic state machine fed samples in order.

    outputs = rule.feed(sample)      # business events that closed because of this sample
    outputs = rule.flush(until)      # ... because time reached `until` (no news means no change)
    state = rule.to_state()          # JSON-able; Rule.from_state(spec, state) resumes exactly there

Time comes only from sample timestamps and from `flush(until)`: no clock, no randomness, so the same samples
give the same events, and a rule restored from its state gives what the uninterrupted rule would have. A
sample of a signal older than (or as old as) the last one the rule took for that signal and equipment is
stale and skipped: feeding a rule again what its saved state already covers changes nothing.

An output is an operational event (a `lotline.model` object; the stage wraps it in its CloudEvents
envelope) or an EPCIS event (a JSON-LD dict).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any, Protocol, Self

from lotline.model.operational import OperationalEvent
from lotline.telemetry.sample import Sample

__all__ = ["Output", "Rule", "Stats", "equipment_matches"]

Output = OperationalEvent | dict[str, Any]


class Stats(dict[str, float]):
    """Counters of what a rule skipped or absorbed (stale, bad quality, flickers, ...): nothing is dropped
    without a trace. Part of the rule's state."""

    def add(self, name: str, amount: float = 1) -> None:
        self[name] = self.get(name, 0) + amount


class Rule(Protocol):
    name: str
    stats: Stats

    def wants(self, sample: Sample) -> bool:
        """Whether the sample is for this rule (its equipment and one of its signals)."""
        ...

    def feed(self, sample: Sample) -> list[Output]: ...

    def flush(self, until: int) -> list[Output]: ...

    def to_state(self) -> dict[str, Any]: ...

    def restore(self, state: Mapping[str, Any]) -> Self: ...


def equipment_matches(pattern: str, equipment: str) -> bool:
    return pattern == equipment or fnmatch.fnmatchcase(equipment, pattern)
