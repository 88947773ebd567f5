"""Capture: jobs, rollback versus proceed, duplicates, single events."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
import sqlalchemy as sa

from lotline.store.schema import events
from tests.api.conftest import Api

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]


def object_event(serial: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2024-03-01T10:{serial % 60:02d}:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": [f"urn:epc:id:sgtin:4012345.011111.{serial}"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
        **extra,
    }


def document(*event_list: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-03-01T10:00:00.000Z",
            "epcisBody": {"eventList": list(event_list)},
        }
    )


def stored_count(api: Api) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def test_capture_returns_202_with_the_job_location_and_stores_every_event(api: Api) -> None:
    response = api.capture(document(object_event(1), object_event(2)))
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location.startswith("/epcis/capture/")
    job = api.get(location).json()
    assert job["running"] is False and job["success"] is True
    assert job["captureErrorBehaviour"] == "rollback"
    assert job["eventsStored"] == 2 and job["errors"] == []
    assert stored_count(api) == 2


def test_events_without_eventid_get_their_cbv_hash_as_eventid(api: Api) -> None:
    api.capture(document(object_event(1)))
    (event,) = api.all_events()
    assert event["eventID"].startswith("ni:///sha-256;") and event["eventID"].endswith("?ver=CBV2.0")
    assert "recordTime" in event


def test_rollback_stores_nothing_when_one_event_is_invalid(api: Api) -> None:
    bad = object_event(2)
    del bad["eventTime"]
    response = api.capture(document(object_event(1), bad))
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["index"] == 1
    assert "eventTime" in problem["errors"][0]["reason"]
    assert stored_count(api) == 0
    job = api.get(f"/epcis/capture/{problem['captureID']}").json()
    assert job["success"] is False and job["eventsStored"] == 0


def test_proceed_stores_the_valid_events_and_reports_the_others(api: Api) -> None:
    bad = object_event(2, eventTime="2024-02-30T10:00:00Z")
    response = api.capture(
        document(object_event(1), bad, object_event(3)), **{"GS1-Capture-Error-Behaviour": "proceed"}
    )
    assert response.status_code == 202
    job = response.json()
    assert job["success"] is False and job["eventsStored"] == 2
    assert [e["index"] for e in job["errors"]] == [1]
    assert stored_count(api) == 2


def test_a_captured_again_document_is_counted_as_duplicates_not_stored_twice(api: Api) -> None:
    doc = document(object_event(1), object_event(2))
    api.capture(doc)
    second = api.capture(doc).json()
    assert second["success"] is True
    assert second["eventsDuplicate"] == 2 and second["eventsStored"] == 0
    assert stored_count(api) == 2


def test_the_same_event_in_another_representation_is_a_duplicate(api: Api) -> None:
    urn = object_event(7)
    digital_link = object_event(7, epcList=["https://id.gs1.org/01/04012345111118/21/7"])
    api.capture(document(urn))
    job = api.capture(document(digital_link)).json()
    assert job["eventsDuplicate"] == 1


def test_an_eventid_reused_for_a_different_event_is_rejected(api: Api) -> None:
    api.capture(document(object_event(1, eventID="urn:uuid:6a1f0c8e-5b7e-4a62-9d43-3b5b8f1e2c11")))
    response = api.capture(document(object_event(2, eventID="urn:uuid:6a1f0c8e-5b7e-4a62-9d43-3b5b8f1e2c11")))
    assert response.status_code == 400
    assert "already used" in response.json()["errors"][0]["reason"]


def test_single_event_capture_gives_201_then_409_for_a_duplicate(api: Api) -> None:
    body = orjson.dumps(object_event(5))
    first = api.post_json("/epcis/events", body)
    assert first.status_code == 201, first.text
    event_id = first.json()["eventID"]
    assert first.headers["location"] == f"/epcis/events/{quote(event_id, safe='')}"
    fetched = api.get(first.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"] == event_id
    again = api.post_json("/epcis/events", body)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_capture_jobs_are_listed_newest_first_with_pagination(api: Api) -> None:
    for serial in range(3):
        api.capture(document(object_event(serial)))
    first = api.get("/epcis/capture?perPage=2")
    assert first.status_code == 200
    assert len(first.json()) == 2 and 'rel="next"' in first.headers["link"]
    rest = api.get(first.headers["link"].split(">")[0].lstrip("<")).json()
    assert len(rest) == 1
    ids = [j["captureID"] for j in first.json() + rest]
    assert len(set(ids)) == 3


def test_an_unknown_capture_job_is_404_problem(api: Api) -> None:
    response = api.get("/epcis/capture/cj-nope")
    assert response.status_code == 404
    assert response.json()["type"] == "epcisException:NoSuchResourceException"


def test_user_extension_fields_and_their_context_survive_capture(api: Api) -> None:
    doc = orjson.loads(document(object_event(1, **{"ex:batchNote": "night shift"})))
    doc["@context"] = [*CONTEXT, {"ex": "https://example.com/ns/"}]
    api.capture(orjson.dumps(doc))
    response = api.get("/epcis/events").json()
    assert {"ex": "https://example.com/ns/"} in response["@context"]
    assert (
        response["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["ex:batchNote"] == "night shift"
    )


def test_an_error_declaration_is_stored_beside_the_event_it_declares_in_error(api: Api) -> None:
    original = object_event(9)
    declaration = {
        **original,
        "errorDeclaration": {"declarationTime": "2024-03-02T08:00:00.000+01:00", "reason": "incorrect_data"},
    }
    api.capture(document(original))
    job = api.capture(document(declaration)).json()
    assert job["eventsStored"] == 1, "the declaration hashes like the original but must be stored"
    (declared,) = api.all_events("EXISTS_errorDeclaration=true")
    (first, _) = api.all_events()
    assert declared["eventID"] == first["eventID"], "a declaration carries the eventID it declares in error"
    by_id = api.get(f"/epcis/events/{quote(first['eventID'], safe='')}").json()
    assert "errorDeclaration" not in by_id["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]
    assert api.capture(document(declaration)).json()["eventsDuplicate"] == 1
