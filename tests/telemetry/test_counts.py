"""The counts rule: counters, rollovers and resets, orders changing mid-interval, closing by time."""

from __future__ import annotations

from typing import Any

from lotline.model.operational import OperationConfirmation, event_data
from lotline.telemetry.counts import Counts
from lotline.telemetry.rule import Output
from lotline.telemetry.sample import Sample
from tests.telemetry.helpers import at, counts_spec, sample


def run(rule: Counts, samples: list[Sample], until: int | None = None) -> list[dict[str, Any]]:
    out: list[Output] = []
    for s in samples:
        if rule.wants(s):
            out.extend(rule.feed(s))
    if until is not None:
        out.extend(rule.flush(until))
    assert all(isinstance(o, OperationConfirmation) for o in out)
    return [event_data(o) for o in out if isinstance(o, OperationConfirmation)]


def brief(events: list[dict[str, Any]]) -> list[tuple[str, str, str, float, float]]:
    return [
        (e["periodStart"], e["time"], e["orderId"], e["yieldQuantity"], e["scrapQuantity"]) for e in events
    ]


def test_an_interval_closes_into_one_confirmation_per_order() -> None:
    rule = Counts(counts_spec(work_center="FILL-1"), plant="plant-a")
    events = run(
        rule,
        [
            sample("order", "MO-1", at(0)),
            sample("good", 100, at(0, 10)),  # baseline
            sample("scrap", 0, at(0, 10)),
            sample("good", 150, at(1)),
            sample("scrap", 3, at(5)),
            sample("good", 200, at(14)),
            sample("good", 210, at(16)),  # the equipment's time passes 10:15: the first interval closes
        ],
    )
    assert events == [
        {
            "time": "2026-12-01T10:15:00Z",
            "periodStart": "2026-12-01T10:00:00Z",
            "plant": "plant-a",
            "orderId": "MO-1",
            "operation": "0020",
            "workCenter": "FILL-1",
            "equipment": "F1",
            "yieldQuantity": 100.0,
            "scrapQuantity": 3.0,
            "uom": "EA",
            "final": False,
        }
    ]
    assert rule.flush(at(29)) == []
    assert brief(run(rule, [], until=at(30))) == [
        ("2026-12-01T10:15:00Z", "2026-12-01T10:30:00Z", "MO-1", 10.0, 0.0)
    ]


def test_flush_closes_only_intervals_that_ended() -> None:
    rule = Counts(counts_spec())
    run(rule, [sample("order", "MO-1", at(0)), sample("good", 0, at(1)), sample("good", 5, at(2))])
    assert rule.flush(at(14, 59)) == []
    assert brief(run(rule, [], until=at(15))) == [
        ("2026-12-01T10:00:00Z", "2026-12-01T10:15:00Z", "MO-1", 5, 0)
    ]
    assert rule.flush(at(60)) == [], "an interval in which nothing counted gives no confirmation"


def test_counter_rollover_and_reset() -> None:
    rule = Counts(counts_spec())
    events = run(
        rule,
        [
            sample("order", "MO-1", at(0)),
            sample("good", 65530, at(1)),
            sample("good", 4, at(2)),  # UInt16 wrapped: 65530 -> 65535 -> 0 -> 4 is 10
            sample("good", 30000, at(3)),
            sample("good", 5, at(4)),  # a big drop is a reset (the PLC cleared it): 5 more
            sample("scrap", 50, at(1)),
            sample("scrap", 2, at(5)),  # no rollover configured: a reset
        ],
        until=at(15),
    )
    assert brief(events) == [("2026-12-01T10:00:00Z", "2026-12-01T10:15:00Z", "MO-1", 10 + 29996 + 5, 2)]
    assert rule.stats["rollovers"] == 1 and rule.stats["resets"] == 2


def test_an_order_change_mid_interval_splits_the_counts() -> None:
    rule = Counts(counts_spec())
    events = run(
        rule,
        [
            sample("order", "MO-1", at(0)),
            sample("good", 0, at(0, 1)),
            sample("good", 40, at(5)),
            sample("order", "MO-2", at(6)),  # the PLC resets the counter with the new order
            sample("good", 0, at(6)),
            sample("good", 30, at(10)),
            sample("scrap", 0, at(6)),
            sample("scrap", 1, at(12)),
        ],
        until=at(15),
    )
    assert brief(events) == [
        ("2026-12-01T10:00:00Z", "2026-12-01T10:15:00Z", "MO-1", 40, 0),
        ("2026-12-01T10:00:00Z", "2026-12-01T10:15:00Z", "MO-2", 30, 1),
    ]


def test_each_equipment_has_its_own_counters_and_intervals() -> None:
    rule = Counts(counts_spec())
    events = run(
        rule,
        [
            sample("order", "MO-1", at(0), "F1"),
            sample("order", "MO-9", at(0), "F2"),
            sample("good", 0, at(1), "F1"),
            sample("good", 1000, at(1), "F2"),
            sample("good", 7, at(2), "F1"),
            sample("good", 1003, at(2), "F2"),
            sample("good", 9, at(2), "G1"),  # not this rule's equipment
        ],
        until=at(15),
    )
    assert [(e["equipment"], e["orderId"], e["yieldQuantity"]) for e in events] == [
        ("F1", "MO-1", 7),
        ("F2", "MO-9", 3),
    ]


def test_counts_without_an_order_are_tallied_or_confirmed_on_the_unassigned_order() -> None:
    samples = [sample("good", 0, at(1)), sample("good", 12, at(2)), sample("order", "", at(3))]
    rule = Counts(counts_spec())
    assert run(rule, samples, until=at(15)) == []
    assert rule.stats["unassigned_good"] == 12
    rule = Counts(counts_spec(unassigned_order="UNPLANNED"))
    assert [e["orderId"] for e in run(rule, samples, until=at(15))] == ["UNPLANNED"]


def test_increments_stale_and_bad_samples() -> None:
    rule = Counts(counts_spec(good={"signal": "good", "mode": "increment"}))
    events = run(
        rule,
        [
            sample("order", "MO-1", at(0)),
            sample("good", 5, at(1)),
            sample("good", 5, at(1)),  # the same reading again (a redelivery): stale
            sample("good", 3, at(2)),
            sample("good", 4, at(3), quality="bad"),
            sample("good", "n/a", at(4)),
            sample("good", -2, at(5)),
        ],
        until=at(15),
    )
    assert brief(events)[0][3] == 8
    assert rule.stats == {"stale": 1, "bad_quality": 1, "not_a_number": 1, "negative": 1}


def test_late_readings_count_in_the_open_interval() -> None:
    rule = Counts(counts_spec())
    run(rule, [sample("order", "MO-1", at(0)), sample("good", 0, at(14))])
    closed = run(rule, [sample("scrap", 0, at(14)), sample("order", "MO-1", at(16))])
    assert closed == []  # nothing counted yet: no confirmation
    events = run(rule, [sample("good", 6, at(14, 30))], until=at(30))  # older than the equipment's time
    assert brief(events) == [("2026-12-01T10:15:00Z", "2026-12-01T10:30:00Z", "MO-1", 6, 0)]


def test_the_order_can_come_from_a_lookup() -> None:
    def schedule(equipment: str, time: int) -> str | None:
        return "MO-A" if time < at(5) else "MO-B"

    rule = Counts(counts_spec(order={"lookup": "schedule"}), lookup=schedule)
    events = run(
        rule, [sample("good", 0, at(1)), sample("good", 2, at(2)), sample("good", 7, at(6))], until=at(15)
    )
    assert [(e["orderId"], e["yieldQuantity"]) for e in events] == [("MO-A", 2), ("MO-B", 5)]
