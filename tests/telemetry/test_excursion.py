"""The excursion rule: EPCIS ObjectEvents with sensor data on the batch, valid per lotline's validator."""

from __future__ import annotations

from typing import Any

from lotline.epcis.validation import validate_event
from lotline.telemetry.excursion import Excursion
from lotline.telemetry.rule import Output
from lotline.telemetry.sample import Sample
from tests.telemetry.helpers import LINE, at, excursion_spec, sample


def run(rule: Excursion, samples: list[Sample], until: int | None = None) -> list[dict[str, Any]]:
    out: list[Output] = []
    for s in samples:
        if rule.wants(s):
            out.extend(rule.feed(s))
    if until is not None:
        out.extend(rule.flush(until))
    events = [o for o in out if isinstance(o, dict)]
    assert len(events) == len(out)
    for event in events:
        assert validate_event(event) == [], event
    return events


def test_an_excursion_longer_than_the_minimum_is_an_observation_of_the_batch() -> None:
    rule = Excursion(excursion_spec(time_zone_offset="+01:00", biz_location=LINE, device_id="urn:x:probe:7"))
    events = run(
        rule,
        [
            sample("batch", "B-17", at(0)),
            sample("temp", 5.0, at(0)),
            sample("temp", 8.4, at(1)),  # over 8.0 from 10:01
            sample("temp", 9.1, at(2)),
            sample("temp", 8.2, at(3)),
            sample("temp", 7.9, at(4)),  # back inside at 10:04: 3 minutes >= 2
        ],
    )
    assert events == [
        {
            "type": "ObjectEvent",
            "eventTime": "2026-12-01T10:04:00.000Z",
            "eventTimeZoneOffset": "+01:00",
            "action": "OBSERVE",
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.B-17"}],
            "bizStep": "sensor_reporting",
            "readPoint": {"id": LINE},
            "bizLocation": {"id": LINE},
            "sensorElementList": [
                {
                    "sensorMetadata": {
                        "startTime": "2026-12-01T10:01:00.000Z",
                        "endTime": "2026-12-01T10:04:00.000Z",
                        "deviceID": "urn:x:probe:7",
                    },
                    "sensorReport": [
                        {
                            "type": "Temperature",
                            "exception": "ALARM_CONDITION",
                            "value": 9.1,
                            "minValue": 8.2,
                            "maxValue": 9.1,
                            "uom": "CEL",
                        }
                    ],
                }
            ],
        }
    ]


def test_an_excursion_shorter_than_the_minimum_is_ignored_and_counted() -> None:
    rule = Excursion(excursion_spec())
    samples = [sample("batch", "B-1", at(0)), sample("temp", 1.5, at(1)), sample("temp", 3.0, at(2, 59))]
    assert run(rule, samples, until=at(30)) == []
    assert rule.stats["short_excursions"] == 1


def test_a_low_excursion_reports_the_lowest_value() -> None:
    rule = Excursion(excursion_spec())
    events = run(
        rule,
        [
            sample("batch", "B-1", at(0)),
            sample("temp", 1.5, at(1)),
            sample("temp", 0.5, at(2)),
            sample("temp", 1.9, at(3)),
            sample("temp", 2.0, at(4)),  # the limit itself is inside
        ],
    )
    report = events[0]["sensorElementList"][0]["sensorReport"][0]
    assert (report["value"], report["minValue"], report["maxValue"]) == (0.5, 0.5, 1.9)


def test_a_batch_change_during_an_excursion_gives_each_batch_its_part() -> None:
    rule = Excursion(excursion_spec())
    events = run(
        rule,
        [
            sample("batch", "B-1", at(0)),
            sample("temp", 9.0, at(10)),
            sample("batch", "B-2", at(11)),  # 1 minute in: the excursion does not count yet
            sample("temp", 9.5, at(12)),
            sample("temp", 5.0, at(14)),  # 4 minutes in all: both parts count
        ],
    )
    assert [
        (
            e["quantityList"][0]["epcClass"][-3:],
            e["sensorElementList"][0]["sensorMetadata"]["startTime"][11:16],
            e["sensorElementList"][0]["sensorMetadata"]["endTime"][11:16],
            e["sensorElementList"][0]["sensorReport"][0]["maxValue"],
        )
        for e in events
    ] == [("B-1", "10:10", "10:11", 9.0), ("B-2", "10:11", "10:14", 9.5)]


def test_a_finished_part_is_released_once_time_shows_the_excursion_counts() -> None:
    rule = Excursion(excursion_spec())
    run(rule, [sample("batch", "B-1", at(0)), sample("temp", 9.0, at(10)), sample("batch", "B-2", at(11))])
    assert run(rule, [], until=at(11, 59)) == []
    released = run(rule, [], until=at(12))
    assert [e["quantityList"][0]["epcClass"][-3:] for e in released] == ["B-1"]


def test_without_a_batch_the_excursion_is_recorded_at_the_read_point() -> None:
    rule = Excursion(excursion_spec())
    events = run(rule, [sample("temp", 9.0, at(0)), sample("temp", 5.0, at(5))])
    assert "quantityList" not in events[0] and "epcList" not in events[0]
    assert events[0]["readPoint"] == {"id": LINE}
    assert rule.stats["no_batch"] == 1


def test_identifiers_are_escaped_instances_go_in_the_epc_list_and_bad_ones_are_counted() -> None:
    rule = Excursion(excursion_spec(identifier="urn:epc:class:lgtin:4012345.012345.{batch}"))
    events = run(
        rule, [sample("batch", "A/7", at(0)), sample("temp", 9.0, at(0)), sample("temp", 5.0, at(3))]
    )
    assert events[0]["quantityList"] == [{"epcClass": "urn:epc:class:lgtin:4012345.012345.A%2F7"}]
    rule = Excursion(excursion_spec(identifier="urn:epc:id:sgtin:4012345.012345.{batch}"))
    events = run(
        rule, [sample("batch", "900", at(0)), sample("temp", 9.0, at(0)), sample("temp", 5.0, at(3))]
    )
    assert events[0]["epcList"] == ["urn:epc:id:sgtin:4012345.012345.900"]
    rule = Excursion(excursion_spec())
    events = run(
        rule, [sample("batch", "not a lot", at(0)), sample("temp", 9, at(0)), sample("temp", 5, at(3))]
    )
    assert "quantityList" not in events[0] and rule.stats["bad_identifier"] == 1


def test_the_gs1_curie_of_the_measurement_type_is_accepted() -> None:
    rule = Excursion(excursion_spec(measurement="gs1:MT-Temperature", high=30.0, low=None))
    events = run(rule, [sample("temp", 31, at(0)), sample("temp", 20, at(3))])
    assert events[0]["sensorElementList"][0]["sensorReport"][0]["type"] == "Temperature"
