"""Bad input gets a clear 4xx problem, never a 5xx, and never a half-stored document."""

from __future__ import annotations

import json
from collections.abc import Iterator

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotline.api.settings import Settings
from tests.api.conftest import Api, make_api
from tests.api.test_capture import document, object_event, stored_count


def problem_of(response: object) -> dict[str, object]:
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status"} <= body.keys()
    return body


def _without(key: str) -> bytes:
    event = object_event(1)
    del event[key]
    return document(event)


BAD_DOCUMENTS = {
    "malformed JSON": b'{"type": "EPCISDocument", ',
    "not UTF-8": b'{"type": "EPCISDocument\xff"}',
    "a JSON array": b"[1, 2, 3]",
    "a JSON string": b'"EPCISDocument"',
    "empty body": b"",
    "unknown document type": orjson.dumps({"type": "Invoice", "epcisBody": {"eventList": []}}),
    "no epcisBody": orjson.dumps(
        {"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z"}
    ),
    "eventList not a list": orjson.dumps(
        {
            "@context": [],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-01-01T00:00:00Z",
            "epcisBody": {"eventList": {}},
        }
    ),
    "event missing eventTime": _without("eventTime"),
    "event missing action": _without("action"),
    "event not an object": document("just a string"),  # type: ignore[arg-type]
    "unknown event type": document({**object_event(1), "type": "TeleportEvent"}),
    "invalid month": document(object_event(1, eventTime="2024-13-01T10:00:00.000+01:00")),
    "timestamp without offset": document(object_event(1, eventTime="2024-03-01T10:00:00")),
    "timestamp that is not a date": document(object_event(1, eventTime="yesterday")),
    "bad timezone offset": document(object_event(1, eventTimeZoneOffset="+25:00")),
    "unknown action": document(object_event(1, action="MAYBE")),
    "epc that is not a URI": document(object_event(1, epcList=["not a uri"])),
    "negative quantity": document(
        object_event(
            1,
            quantityList=[
                {"epcClass": "urn:epc:class:lgtin:4012345.011111.L1", "quantity": -5, "uom": "KGM"}
            ],
        )
    ),
    "ilmd on OBSERVE": document(object_event(1, ilmd={"cbvmda:lotNumber": "L1"})),
    "deeply nested JSON": b'{"a":' * 2000 + b"1" + b"}" * 2000,
    "malformed XML": b"<epcis:EPCISDocument xmlns:epcis='urn:epcglobal:epcis:xsd:2'><EPCISBody>",
    "XML with an entity bomb": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<epcis:EPCISDocument xmlns:epcis='urn:epcglobal:epcis:xsd:2'>&lol2;</epcis:EPCISDocument>"
    ),
}


@pytest.mark.parametrize("name", list(BAD_DOCUMENTS))
def test_bad_documents_get_400_problem_and_nothing_is_stored(api: Api, name: str) -> None:
    body = BAD_DOCUMENTS[name]
    content_type = "application/xml" if body.lstrip().startswith(b"<") else "application/ld+json"
    response = api.capture(body, **{"Content-Type": content_type})
    assert response.status_code == 400, response.text
    problem = problem_of(response)
    assert problem["detail"], "the problem must say what is wrong"
    assert stored_count(api) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_is_415(api: Api, content_type: str) -> None:
    response = api.capture(document(object_event(1)), **{"Content-Type": content_type})
    assert response.status_code == 415
    assert "application/json" in str(problem_of(response)["detail"])


def test_unknown_capture_error_behaviour_is_400(api: Api) -> None:
    response = api.capture(document(object_event(1)), **{"GS1-Capture-Error-Behaviour": "ignore"})
    assert response.status_code == 400


@pytest.fixture
def small_api(engine: sa.Engine) -> Iterator[Api]:
    yield from make_api(engine, Settings(capture_limit=3, capture_file_size_limit=2_000))


def test_a_body_over_the_size_limit_is_413(small_api: Api) -> None:
    events = [object_event(i, **{"ex:pad": "x" * 200}) for i in range(2)]
    doc = orjson.loads(document(*events))
    doc["@context"].append({"ex": "https://example.com/"})
    response = small_api.capture(orjson.dumps(doc) + b" " * 2_000)
    assert response.status_code == 413
    assert "2000 bytes" in str(problem_of(response)["detail"])
    assert stored_count(small_api) == 0


def test_more_events_than_the_capture_limit_is_413(small_api: Api) -> None:
    response = small_api.capture(document(*(object_event(i) for i in range(4))))
    assert response.status_code == 413
    assert problem_of(response)["type"] == "epcisException:CaptureLimitExceededException"


def test_discovery_advertises_the_capture_limits(small_api: Api) -> None:
    response = small_api.get("/epcis")
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "3"
    assert response.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "2000"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (document(object_event(1)), 400),  # a document, not an event
        (orjson.dumps({**object_event(1), "eventTime": "soon"}), 400),
    ],
)
def test_bad_single_events_get_4xx(api: Api, body: bytes, status: int) -> None:
    response = api.post_json("/epcis/events", body)
    assert response.status_code == status
    problem_of(response)


@pytest.mark.parametrize(
    "query",
    [
        "GE_eventTime=not-a-time",
        "eventType=Nope",
        "perPage=0",
        "perPage=abc",
        "orderBy=colour",
        "orderDirection=SIDEWAYS",
        "MATCH_epc=urn:epc:id:sgtin:12",
        "nextPageToken=%%%",
        "EXISTS_errorDeclaration=perhaps",
        "whatever=1",
    ],
)
def test_bad_query_parameters_get_400_problem(api: Api, query: str) -> None:
    response = api.get(f"/epcis/events?{query}")
    assert response.status_code == 400, response.text
    assert problem_of(response)["type"] == "epcisException:QueryParameterException"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)
event_keys = st.sampled_from(
    [
        "type",
        "eventTime",
        "eventTimeZoneOffset",
        "action",
        "epcList",
        "bizStep",
        "readPoint",
        "quantityList",
        "parentID",
        "childEPCs",
        "inputEPCList",
        "sourceList",
        "bizTransactionList",
        "ilmd",
        "eventID",
        "errorDeclaration",
    ]
)
fuzzed_events = st.builds(
    lambda base, changes: {**base, **changes},
    st.sampled_from([object_event(1), {"type": "AggregationEvent"}, {"type": "TransformationEvent"}, {}]),
    st.dictionaries(event_keys, json_values, max_size=4),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(fuzzed_events, min_size=1, max_size=3), raw=st.binary(max_size=40))
def test_fuzzed_captures_never_get_a_5xx(api: Api, events: list[dict[str, object]], raw: bytes) -> None:
    before = stored_count(api)
    # stdlib json: it also writes integers beyond 64 bits, which a client may send
    doc = orjson.loads(document())
    doc["epcisBody"]["eventList"] = events
    response = api.capture(json.dumps(doc).encode())
    assert response.status_code < 500, response.text
    if response.status_code == 400:
        assert stored_count(api) == before
    assert api.capture(raw).status_code < 500
    assert api.post_json("/epcis/events", json.dumps(events[0]).encode()).status_code < 500
