"""Restarts: a rule set saved mid-stream (through JSON) and restored gives what the uninterrupted one gives;
feeding again what the saved state has seen changes nothing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lotline.epcis.validation import validate_event
from lotline.model.operational import OperationalEvent, event_data
from lotline.telemetry.counts import Counts
from lotline.telemetry.downtime import Downtime
from lotline.telemetry.excursion import Excursion
from lotline.telemetry.ruleset import RuleSet
from lotline.telemetry.sample import Quality, Sample
from lotline.telemetry.spec import CountsRule, DowntimeRule, ExcursionRule, RulesFile
from tests.telemetry.helpers import SECOND, T0, at, counts_spec, downtime_spec, excursion_spec, sample

SPECS = [counts_spec(interval="5m"), downtime_spec(), excursion_spec()]
FILE = RulesFile.model_validate(
    {"telemetry": "t", "version": 1, "rules": [s.model_dump(mode="json") for s in SPECS]}
)

Step = Sample | int  # a sample, or flush(until)


def fresh() -> RuleSet:
    counts, downtime, excursion = FILE.rules
    assert isinstance(counts, CountsRule) and isinstance(downtime, DowntimeRule)
    assert isinstance(excursion, ExcursionRule)
    return RuleSet(FILE, [Counts(counts), Downtime(downtime), Excursion(excursion)])


def play(rules: RuleSet, steps: list[Step]) -> list[Any]:
    out: list[Any] = []
    for step in steps:
        produced = rules.flush(step) if isinstance(step, int) else rules.feed(step)
        for name, output in produced:
            out.append((name, event_data(output) if isinstance(output, OperationalEvent) else output))
    return out


def interrupted(steps: list[Step], split: int, replay_from: int | None = None) -> tuple[list[Any], RuleSet]:
    before = fresh()
    out = play(before, steps[:split])
    saved = json.loads(json.dumps(before.to_state()))
    after = fresh().restore(saved)
    if replay_from is not None:  # the source delivers again what the saved state has seen
        assert play(after, [s for s in steps[replay_from:split] if isinstance(s, Sample)]) == []
    return out + play(after, steps[split:]), after


SIGNALS = {
    "order": st.sampled_from(["MO-1", "MO-2", ""]),
    "good": st.integers(0, 70_000),
    "scrap": st.integers(0, 50),
    "state": st.sampled_from([6, 9, 2, "running", 42]),
    "reason": st.sampled_from(["0", "JAM", "E7"]),
    "temp": st.floats(0, 12, allow_nan=False),
    "batch": st.sampled_from(["B1", "B2"]),
}


@st.composite
def streams(draw: st.DrawFn) -> list[Step]:
    steps: list[Step] = []
    time = T0
    for _ in range(draw(st.integers(0, 60))):
        time += draw(st.integers(0, 200)) * SECOND
        if draw(st.integers(0, 9)) == 0:
            steps.append(time + draw(st.integers(0, 600)) * SECOND)  # a tick, maybe ahead of the samples
            continue
        signal = draw(st.sampled_from(sorted(SIGNALS)))
        quality = Quality.bad if draw(st.integers(0, 19)) == 0 else Quality.good
        late = draw(st.integers(0, 9)) == 0
        stamp = time - draw(st.integers(0, 300)) * SECOND if late else time
        steps.append(
            Sample(draw(st.sampled_from(["F1", "F2"])), signal, draw(SIGNALS[signal]), stamp, quality)
        )
    return steps


@settings(max_examples=150, deadline=None)
@given(streams(), st.data())
def test_save_and_restore_anywhere_gives_the_uninterrupted_output(
    steps: list[Step], data: st.DataObject
) -> None:
    whole = fresh()
    expected = play(whole, steps)
    for _, output in expected:  # every excursion event is valid EPCIS, its time range in order
        if output.get("type") == "ObjectEvent":
            assert validate_event(output) == []
            metadata = output["sensorElementList"][0]["sensorMetadata"]
            assert metadata["startTime"] <= metadata["endTime"] == output["eventTime"]
    split = data.draw(st.integers(0, len(steps)))
    got, resumed = interrupted(steps, split)
    assert got == expected
    assert resumed.stats() == whole.stats()


def test_replaying_what_the_state_has_seen_counts_nothing_twice() -> None:
    steps: list[Step] = [
        sample("order", "MO-1", at(0)),
        sample("good", 0, at(1)),
        sample("state", 9, at(1)),
        sample("batch", "B1", at(1)),
        sample("good", 10, at(2)),
        sample("temp", 9.5, at(2)),
        sample("good", 25, at(3)),
        sample("good", 40, at(6)),  # the 5-minute interval closes
        sample("state", 6, at(8)),
        sample("temp", 5.0, at(9)),
        at(20),
    ]
    expected = play(fresh(), steps)
    assert len(expected) == 5  # confirmations (2), downtime start and end, the excursion
    for split in range(len(steps) + 1):
        for replay_from in range(split + 1):
            got, _ = interrupted(steps, split, replay_from)
            assert got == expected, (split, replay_from)


def test_a_state_of_another_rule_set_is_refused() -> None:
    state = fresh().to_state()
    other = RulesFile.model_validate({**FILE.model_dump(mode="json"), "telemetry": "other"})
    try:
        RuleSet(other, []).restore(state)
    except ValueError as exc:
        assert "does not belong" in str(exc)
    else:
        raise AssertionError("restored a foreign state")
