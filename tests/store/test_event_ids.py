"""Looking events up by eventID, whether the eventID is the event's own or its hash (given to events
captured without one), on SQLite and PostgreSQL: queries, single reads and the capture's conflict check
find both kinds, and one kind never hides the other."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lotline.pipeline.capture import PROCEED, ROLLBACK, DocumentParts, capture_parts
from lotline.store.events import Provenance, get_event
from lotline.store.provenance import event_provenance
from lotline.store.query import parse_query, run_query


def _event(serial: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-03-01T08:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": [f"urn:epc:id:sgtin:4012345.011111.{serial}"],
        "action": "OBSERVE",
        "bizStep": "inspecting",
        **extra,
    }


def _capture(engine: sa.Engine, event: dict[str, Any], behaviour: str = ROLLBACK) -> Any:
    return capture_parts(engine, DocumentParts([event], {}, []), Provenance("test"), behaviour)


def _found(engine: sa.Engine, *event_ids: str) -> list[str]:
    page = run_query(engine, parse_query({"EQ_eventID": list(event_ids)}))
    return sorted(e["eventID"] for e in page.events)


def test_hash_ids_and_own_ids_are_both_found(engine: sa.Engine) -> None:
    hashed = _capture(engine, _event(1)).stored_ids[0]  # captured without an eventID: its hash
    own = "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7"
    _capture(engine, _event(2, eventID=own))
    assert hashed.startswith("ni:///sha-256;")
    assert _found(engine, hashed) == [hashed]
    assert _found(engine, own) == [own]
    assert _found(engine, hashed, own, "urn:uuid:not-stored") == sorted([hashed, own])
    for event_id in (hashed, own):
        stored = get_event(engine, event_id)
        assert stored is not None and stored["eventID"] == event_id
        assert [p["eventID"] for p in event_provenance(engine, event_id)] == [event_id]


def test_an_own_id_equal_to_another_events_hash_is_a_conflict(engine: sa.Engine) -> None:
    hashed = _capture(engine, _event(1)).stored_ids[0]
    outcome = _capture(engine, _event(2, eventID=hashed), PROCEED)
    assert outcome.stored == 0
    assert "already used by a different event" in outcome.errors[0]["reason"]
    assert _found(engine, hashed) == [hashed]


def test_an_error_declaration_is_found_with_its_original(engine: sa.Engine) -> None:
    hashed = _capture(engine, _event(1)).stored_ids[0]
    declaration = _event(
        1,
        eventID=hashed,
        errorDeclaration={"declarationTime": "2026-03-02T08:00:00.000+01:00", "reason": "incorrect_data"},
    )
    assert _capture(engine, declaration).stored == 1
    assert [p["errorDeclaration"] for p in event_provenance(engine, hashed)] == [False, True]
    stored = get_event(engine, hashed)
    assert stored is not None and "errorDeclaration" not in stored  # the original first
    assert _found(engine, hashed) == [hashed, hashed]
