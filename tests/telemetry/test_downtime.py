"""The downtime rule: debounced start and end events with reason and duration."""

from __future__ import annotations

from typing import Any

from lotline.model.operational import EquipmentState, event_data
from lotline.telemetry.downtime import Downtime
from lotline.telemetry.rule import Output
from lotline.telemetry.sample import Sample
from tests.telemetry.helpers import at, downtime_spec, sample


def run(rule: Downtime, samples: list[Sample], until: int | None = None) -> list[dict[str, Any]]:
    out: list[Output] = []
    for s in samples:
        if rule.wants(s):
            out.extend(rule.feed(s))
    if until is not None:
        out.extend(rule.flush(until))
    return [event_data(o) for o in out if isinstance(o, EquipmentState)]


def test_a_downtime_gives_a_start_and_an_end_event() -> None:
    rule = Downtime(downtime_spec(), plant="plant-a")
    events = run(
        rule,
        [
            sample("state", 6, at(0)),
            sample("reason", 0, at(0)),
            sample("state", 9, at(1)),  # ABORTED at 10:01
            sample("reason", "JAM", at(1, 20)),  # the operator enters the reason afterwards
            sample("state", 6, at(5)),  # running again at 10:05
            sample("reason", "0", at(5)),  # the PLC clears it: the downtime keeps JAM
            sample("state", 6, at(6)),
        ],
    )
    assert events == [
        {
            "time": "2026-12-01T10:01:00Z",
            "plant": "plant-a",
            "equipment": "F1",
            "state": "down",
            "reason": "JAM",
            "counters": {},
        },
        {
            "time": "2026-12-01T10:05:00Z",
            "plant": "plant-a",
            "equipment": "F1",
            "state": "running",
            "reason": "JAM",
            "periodStart": "2026-12-01T10:01:00Z",
            "durationSeconds": 240.0,
            "counters": {},
        },
    ]


def test_flickers_shorter_than_the_minimum_are_ignored() -> None:
    rule = Downtime(downtime_spec())
    events = run(
        rule,
        [
            sample("state", "running", at(0)),
            sample("state", "down", at(1)),
            sample("state", "running", at(1, 29)),  # 29 s: below min_duration (30 s)
            sample("state", "stopped", at(2)),
            sample("state", "running", at(2, 5)),
        ],
        until=at(10),
    )
    assert events == []
    assert rule.stats["flickers"] == 2


def test_a_short_run_inside_a_downtime_does_not_end_it() -> None:
    rule = Downtime(downtime_spec())
    events = run(
        rule,
        [
            sample("state", 6, at(0)),
            sample("state", 9, at(1)),
            sample("state", 6, at(3)),
            sample("state", 2, at(3, 5)),  # 5 s of running: below min_up (10 s)
            sample("state", 6, at(4)),
        ],
        until=at(10),
    )
    assert [(e["time"], e["state"], e.get("durationSeconds")) for e in events] == [
        ("2026-12-01T10:01:00Z", "down", None),
        ("2026-12-01T10:04:00Z", "running", 180.0),
    ]
    assert rule.stats["short_runs_absorbed"] == 1


def test_time_alone_confirms_a_downtime_when_no_samples_come() -> None:
    rule = Downtime(downtime_spec())
    assert run(rule, [sample("state", 6, at(0)), sample("state", 9, at(1))]) == []
    assert run(rule, [], until=at(1, 29)) == []
    started = run(rule, [], until=at(1, 30))
    assert [(e["time"], e["state"]) for e in started] == [("2026-12-01T10:01:00Z", "down")]
    assert run(rule, [sample("state", 6, at(20))], until=at(20, 9)) == []
    ended = run(rule, [], until=at(20, 10))
    assert [(e["time"], e["durationSeconds"]) for e in ended] == [("2026-12-01T10:20:00Z", 19 * 60.0)]


def test_no_minimum_means_immediate_events_and_unknown_states_are_counted() -> None:
    rule = Downtime(downtime_spec(min_duration=0, min_up=0))
    events = run(
        rule,
        [
            sample("state", 6, at(0)),
            sample("state", 42, at(1)),  # not in the map, not a state name
            sample("state", 9, at(2)),
            sample("state", 6, at(3)),
            sample("state", 9, at(2, 30)),  # older than the last state: stale
            sample("state", None, at(4), quality="bad"),
        ],
    )
    assert [(e["time"], e["state"]) for e in events] == [
        ("2026-12-01T10:02:00Z", "down"),
        ("2026-12-01T10:03:00Z", "running"),
    ]
    assert rule.stats == {"unknown_state": 1, "stale": 1, "bad_quality": 1}
