"""Shared by the telemetry tests: times, samples and rule specs built by hand."""

from __future__ import annotations

from typing import Any

from lotline.epcis.timefmt import parse_time
from lotline.telemetry.sample import Quality, Sample
from lotline.telemetry.spec import CountsRule, DowntimeRule, ExcursionRule

T0 = parse_time("2026-12-01T10:00:00Z")  # an interval boundary (15 min)
SECOND = 1_000_000
MINUTE = 60 * SECOND
BATCH_CLASS = "urn:epc:class:lgtin:4012345.012345.{batch}"
LINE = "urn:epc:id:sgln:4012345.00002.0"


def at(minutes: float = 0, seconds: float = 0) -> int:
    """T0 plus minutes and seconds, in microseconds."""
    return T0 + round(minutes * MINUTE + seconds * SECOND)


def sample(signal: str, value: Any, time: int, equipment: str = "F1", quality: str = "good") -> Sample:
    return Sample(equipment, signal, value, time, Quality(quality))


def counts_spec(**overrides: Any) -> CountsRule:
    spec: dict[str, Any] = {
        "name": "output",
        "kind": "counts",
        "equipment": "F*",
        "good": {"signal": "good", "rollover": 65536},
        "scrap": {"signal": "scrap"},
        "order": {"signal": "order"},
        "interval": "15m",
        "operation": "0020",
        "uom": "EA",
    }
    return CountsRule.model_validate({**spec, **overrides})


def downtime_spec(**overrides: Any) -> DowntimeRule:
    spec: dict[str, Any] = {
        "name": "downtime",
        "kind": "downtime",
        "equipment": "F*",
        "state": {"signal": "state", "map": {"6": "running", "9": "down", "2": "stopped"}},
        "reason": {"signal": "reason"},
        "downtime_states": ["down", "stopped"],
        "min_duration": "30s",
        "min_up": "10s",
    }
    return DowntimeRule.model_validate({**spec, **overrides})


def excursion_spec(**overrides: Any) -> ExcursionRule:
    spec: dict[str, Any] = {
        "name": "temperature",
        "kind": "excursion",
        "equipment": "F*",
        "signal": "temp",
        "low": 2.0,
        "high": 8.0,
        "min_duration": "2m",
        "uom": "CEL",
        "batch": {"signal": "batch"},
        "identifier": BATCH_CLASS,
        "read_point": LINE,
    }
    return ExcursionRule.model_validate({**spec, **overrides})
