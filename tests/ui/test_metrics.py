"""The overview's SQL: captures per bucket by plant and source, lag percentiles, capture-job counters."""

from __future__ import annotations

import sqlalchemy as sa

from lotline.epcis.timefmt import now_micros
from lotline.pipeline.capture import PROCEED, DocumentParts, capture_parts
from lotline.store.events import Provenance
from lotline.ui.metrics import overview, percentile, plant_of, rename

PLANT_A = "urn:epc:id:sgln:4012345.00001.0"


def _event(minutes_ago: float, location: str) -> dict[str, object]:
    from datetime import UTC, datetime, timedelta

    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "eventTime": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [f"urn:epc:id:sgtin:4012345.011111.{int(minutes_ago * 1000)}"],
        "bizLocation": {"id": location},
    }


def test_overview_counts_by_plant_and_source_and_measures_lag(engine: sa.Engine) -> None:
    events = [_event(m, "urn:epc:id:sgln:4012345.00001.7") for m in (1, 2, 3)]
    capture_parts(engine, DocumentParts(events, {}, []), Provenance("mqtt"), PROCEED)
    capture_parts(
        engine,
        DocumentParts([_event(30, "urn:epc:id:sgln:4012345.00002.0")], {}, []),
        Provenance("rest"),
        PROCEED,
    )
    data = overview(engine, "1h", now=now_micros() + 1)
    by_label = {s["label"]: sum(s["counts"]) for s in data["series"]}
    assert by_label == {
        "https://id.gs1.org/414/4012345000016 · mqtt": 3,
        "https://id.gs1.org/414/4012345000023 · rest": 1,
    }
    rename(data, {"https://id.gs1.org/414/4012345000016": PLANT_A})
    assert data["series"][0]["label"] == f"{PLANT_A} · mqtt"
    assert data["events_total"] == data["captured"] == 4
    lag = {row["source"]: row for row in data["lag"]}
    assert 50 < lag["mqtt"]["p50"] < 200  # two minutes, in seconds
    assert 1700 < lag["rest"]["p95"] < 1900
    assert len(data["times"]) == 61


def test_old_captures_fall_out_of_the_window(engine: sa.Engine) -> None:
    capture_parts(engine, DocumentParts([_event(1, PLANT_A)], {}, []), Provenance("mqtt"), PROCEED)
    later = now_micros() + 2 * 3600 * 1_000_000
    data = overview(engine, "1h", now=later)
    assert data["captured"] == 0 and data["events_total"] == 1 and data["lag"] == []


def test_helpers() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert plant_of(None) == "unknown"
    assert plant_of("urn:epc:id:sgln:4012345.00001.line-2") == "https://id.gs1.org/414/4012345000016"


def test_the_tally_reads_only_what_is_new(engine: sa.Engine) -> None:
    from lotline.ui.tally import Tally

    tally = Tally()
    capture_parts(engine, DocumentParts([_event(1, PLANT_A)], {}, []), Provenance("mqtt"), PROCEED)
    first = overview(engine, "1h", tally=tally)
    capture_parts(engine, DocumentParts([_event(2, PLANT_A)], {}, []), Provenance("mqtt"), PROCEED)
    again = overview(engine, "1h", tally=tally)
    assert (first["events_total"], again["events_total"]) == (1, 2)
    assert again["captured"] == 2
    assert overview(engine, "1h", tally=tally)["captured"] == 2  # nothing new: nothing counted twice


def test_connector_events_count_under_their_source_and_plant(engine: sa.Engine) -> None:
    provenance = Provenance("connector", source="line-2-mqtt", plant="plant-a")
    capture_parts(engine, DocumentParts([_event(1, PLANT_A)], {}, []), provenance, PROCEED)
    data = overview(engine, "1h", now=now_micros() + 1)
    assert [s["label"] for s in data["series"]] == ["plant-a · line-2-mqtt"]
    assert [row["source"] for row in data["lag"]] == ["line-2-mqtt"]
