"""The EPCIS 2.0 REST resources around the query: one event by eventID, events by EPC, by event type and by
business step, discovery headers, the GS1-EPC-Format header and content negotiation (JSON-LD, XML, 406)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from lotline.api.settings import Settings
from tests.api.conftest import Api, make_api
from tests.api.test_query_params import (
    ALL,
    DATABASES,
    ERROR_EVENT_ID,
    LOT1,
    LOT1_DL,
    LOT2_DL,
    LOT9,
    LOT9_DL,
    SGTIN_A1,
    SGTIN_A1_DL,
    SGTIN_A2,
    SGTIN_A2_DL,
    SGTIN_B1,
    SGTIN_B1_DL,
    SGTIN_B2,
    SGTIN_B2_DL,
    SSCC_1,
    SSCC_1_DL,
    SSCC_2,
    SSCC_2_DL,
    Loaded,
    load,
    shared_api,
)


@pytest.fixture(scope="module", params=DATABASES)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    with shared_api(request.param, tmp_path_factory) as api:
        yield Loaded(api, load(api))


def event_list(document: dict[str, Any]) -> list[dict[str, Any]]:
    assert document["type"] == "EPCISQueryDocument"
    events: list[dict[str, Any]] = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def all_tags(api: Api, path: str, params: dict[str, str] | None = None) -> list[str]:
    """Tags of every event under `path`, following Link headers."""
    url, tags = f"{path}?{urlencode(params or {})}", []
    for _ in range(100):
        response = api.get(url)
        assert response.status_code == 200, response.text
        tags += [e["ex:tag"] for e in event_list(response.json())]
        if "link" not in response.headers:
            return tags
        url = response.headers["link"].split(">")[0].lstrip("<")
    raise AssertionError("pagination did not end")


def one_event(response: Any) -> dict[str, Any]:
    """The event served by GET /epcis/events/{eventID}: the one event of an EPCISQueryDocument (the binding's
    shape, see test_one_event_is_served_in_an_epcis_query_document), or the bare event."""
    body: dict[str, Any] = response.json()
    if body.get("type") == "EPCISQueryDocument":
        (event,) = event_list(body)
        return event
    return body


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"epcisException:{kind}" and problem["status"] == status
    return problem


# --- /epcis/events/{eventID} ---------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["commission", "pack", "mix-1", "sell", "assoc", "error"])
def test_an_event_is_found_by_its_url_encoded_event_id(loaded: Loaded, tag: str) -> None:
    event_id = loaded.served[tag]["eventID"]
    if tag == "error":
        assert event_id == ERROR_EVENT_ID  # a custom eventID is kept
    else:
        assert event_id.startswith("ni:///sha-256;") and event_id.endswith("?ver=CBV2.0")
    response = loaded.api.get(f"/epcis/events/{quote(event_id, safe='')}")
    assert response.status_code == 200, response.text
    event = one_event(response)
    assert event["eventID"] == event_id and event["ex:tag"] == tag


def test_one_event_is_served_in_an_epcis_query_document(loaded: Loaded) -> None:
    response = loaded.api.get(f"/epcis/events/{quote(ERROR_EVENT_ID, safe='')}")
    assert response.status_code == 200
    assert [e["ex:tag"] for e in event_list(response.json())] == ["error"]


@pytest.mark.parametrize(
    "event_id",
    ["ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0", "urn:uuid:00000000-0000-4000-8000-000000000000", "nothing"],
)
def test_an_unknown_event_id_is_404_problem(loaded: Loaded, event_id: str) -> None:
    response = loaded.api.get(f"/epcis/events/{quote(event_id, safe='')}")
    problem = assert_problem(response, 404, "NoSuchResourceException")
    assert event_id in problem["detail"]


# --- /epcis/epcs/{epc}/events, /epcis/eventTypes/{type}/events, /epcis/bizSteps/{bizStep}/events ---------

A1_EVENTS = {"commission", "inspect", "pack", "mix-1", "error"}
SSCC_1_EVENTS = {"pack", "ship", "receive", "unpack"}
LOT1_EVENTS = {"pack", "stock", "mix-1"}


@pytest.mark.parametrize(
    ("epc", "expected"),
    [
        (SGTIN_A1, A1_EVENTS),
        (SGTIN_A1_DL, A1_EVENTS),
        (SSCC_1, SSCC_1_EVENTS),
        (SSCC_1_DL, SSCC_1_EVENTS),
        (LOT1, LOT1_EVENTS),
        (LOT1_DL, LOT1_EVENTS),
        (LOT9, {"mix-1"}),
        (LOT2_DL, {"mix-2"}),
        ("urn:epc:id:sgtin:4012345.011111.9999", set()),
    ],
    ids=["sgtin-urn", "sgtin-dl", "sscc-urn", "sscc-dl", "lgtin-urn", "lgtin-dl", "output-class", "input-class", "unknown"],
)  # fmt: skip
def test_events_by_epc_finds_instances_and_classes_in_any_field_and_either_form(
    loaded: Loaded, epc: str, expected: set[str]
) -> None:
    assert sorted(all_tags(loaded.api, f"/epcis/epcs/{quote(epc, safe='')}/events")) == sorted(expected)


def test_events_by_epc_combine_with_query_parameters_and_pages(loaded: Loaded) -> None:
    path = f"/epcis/epcs/{quote(SGTIN_A1_DL, safe='')}/events"
    assert sorted(all_tags(loaded.api, path, {"eventType": "ObjectEvent"})) == [
        "commission",
        "error",
        "inspect",
    ]
    assert sorted(all_tags(loaded.api, path, {"perPage": "2"})) == sorted(A1_EVENTS)


def test_a_token_from_one_epc_is_refused_by_another_epc(loaded: Loaded) -> None:
    first = loaded.api.get(f"/epcis/epcs/{quote(SGTIN_A1, safe='')}/events?perPage=1")
    token = first.headers["link"].split("nextPageToken=")[1].split(">")[0]
    other = loaded.api.get(f"/epcis/epcs/{quote(SSCC_1, safe='')}/events?perPage=1&nextPageToken={token}")
    assert_problem(other, 400, "QueryParameterException")


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("ObjectEvent", {"commission", "inspect", "ship", "receive", "stock", "error"}),
        ("AggregationEvent", {"pack", "unpack"}),
        ("TransformationEvent", {"mix-1", "mix-2"}),
        ("TransactionEvent", {"sell"}),
        ("AssociationEvent", {"assoc"}),
    ],
)
def test_events_by_event_type(loaded: Loaded, event_type: str, expected: set[str]) -> None:
    assert sorted(all_tags(loaded.api, f"/epcis/eventTypes/{event_type}/events")) == sorted(expected)


def test_events_by_event_type_combine_with_query_parameters(loaded: Loaded) -> None:
    path = "/epcis/eventTypes/ObjectEvent/events"
    assert all_tags(loaded.api, path, {"EQ_bizStep": "shipping"}) == ["ship"]
    assert_problem(loaded.api.get(f"{path}?eventType=AggregationEvent"), 400, "QueryParameterException")


@pytest.mark.parametrize(
    ("biz_step", "expected"),
    [
        ("shipping", {"ship", "sell"}),
        ("urn:epcglobal:cbv:bizstep:shipping", {"ship", "sell"}),
        ("https://ref.gs1.org/cbv/BizStep-shipping", {"ship", "sell"}),
        ("receiving", {"receive", "error"}),
        ("destroying", set()),
    ],
)
def test_events_by_biz_step_in_bare_and_uri_form(loaded: Loaded, biz_step: str, expected: set[str]) -> None:
    assert sorted(all_tags(loaded.api, f"/epcis/bizSteps/{quote(biz_step, safe='')}/events")) == sorted(
        expected
    )


# --- discovery --------------------------------------------------------------------------------------------


@pytest.fixture
def limited_api(engine: sa.Engine) -> Iterator[Api]:
    yield from make_api(engine, Settings(capture_limit=321, capture_file_size_limit=654_321))


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/epcis"), ("OPTIONS", "/epcis"), ("OPTIONS", "/epcis/events")]
)
def test_discovery_headers_announce_versions_and_capture_limits(
    limited_api: Api, method: str, path: str
) -> None:
    response = limited_api.client.request(method, path, headers=limited_api.headers())
    assert response.status_code in (200, 204), response.text
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-CBV-Version"] == "2.0.0"
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "321"
    assert response.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "654321"


def test_discovery_lists_the_endpoints_named_queries_included(limited_api: Api) -> None:
    body = limited_api.client.get("/epcis", headers=limited_api.headers()).json()
    endpoints = body["endpoints"]
    assert "/epcis/capture" in endpoints and "/epcis/events" in endpoints
    assert "/epcis/queries" in endpoints
    assert "/epcis/queries/{queryName}/events" in endpoints
    assert "/epcis/queries/{queryName}/subscriptions" in endpoints
    app = limited_api.client.app
    assert isinstance(app, FastAPI)
    paths = set(app.openapi()["paths"])
    for endpoint in endpoints:  # each one is served (the path parameters named as in GS1's OpenAPI)
        served = endpoint.replace("{queryName}", "{name}").replace("{subscriptionID}", "{subscription_id}")
        served = served.replace("{eventType}", "{event_type}").replace("{bizStep}", "{biz_step}")
        assert any(_same_shape(served, path) for path in paths), endpoint


def _same_shape(a: str, b: str) -> bool:
    """The same path with any names for its {parameters}."""
    split_a, split_b = a.split("/"), b.split("/")
    return len(split_a) == len(split_b) and all(
        x == y or (x.startswith("{") and y.startswith("{")) for x, y in zip(split_a, split_b, strict=True)
    )


def test_query_responses_carry_the_version_headers(loaded: Loaded) -> None:
    response = loaded.api.get("/epcis/events?eventType=TransactionEvent")
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0" and response.headers["GS1-CBV-Version"] == "2.0.0"


# --- GS1-EPC-Format ---------------------------------------------------------------------------------------

AS_DIGITAL_LINK = {
    "commission": {"epcList": [SGTIN_A1_DL, SGTIN_A2_DL]},
    "inspect": {"epcList": [SGTIN_A1_DL]},
    "pack": {"parentID": SSCC_1_DL, "childEPCs": [SGTIN_A1_DL, SGTIN_A2_DL], "childQuantityList": [LOT1_DL]},
    "ship": {"epcList": [SSCC_1_DL]},
    "stock": {"quantityList": [LOT1_DL]},
    "mix-1": {"inputEPCList": [SGTIN_A1_DL], "inputQuantityList": [LOT1_DL], "outputEPCList": [SGTIN_B1_DL],
              "outputQuantityList": [LOT9_DL]},
    "mix-2": {"inputQuantityList": [LOT2_DL], "outputEPCList": [SGTIN_B2_DL]},
    "sell": {"parentID": SSCC_2_DL, "epcList": [SGTIN_B1_DL]},
    "assoc": {"childEPCs": [SGTIN_B2_DL]},
}  # fmt: skip
AS_CAPTURED = {
    "commission": {"epcList": [SGTIN_A1, SGTIN_A2]},
    "inspect": {"epcList": [SGTIN_A1_DL]},
    "pack": {"parentID": SSCC_1, "childEPCs": [SGTIN_A1, SGTIN_A2_DL], "childQuantityList": [LOT1]},
    "receive": {"epcList": [SSCC_1_DL]},
    "mix-1": {"inputEPCList": [SGTIN_A1], "inputQuantityList": [LOT1], "outputEPCList": [SGTIN_B1_DL],
              "outputQuantityList": [LOT9_DL]},
    "sell": {"parentID": SSCC_2, "epcList": [SGTIN_B1]},
    "assoc": {"childEPCs": [SGTIN_B2]},
}  # fmt: skip


def epc_fields(event: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {
        name: [q["epcClass"] for q in event[name]] if name.endswith("QuantityList") or name == "quantityList"
        else event[name]
        for name in names
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("Always_GS1_Digital_Link", AS_DIGITAL_LINK),
        ("No_Preference", AS_CAPTURED),
        ("Never_Translates", AS_CAPTURED),
    ],
)
def test_epc_format_header_on_queries(loaded: Loaded, fmt: str, expected: dict[str, dict[str, Any]]) -> None:
    response = loaded.api.get("/epcis/events?perPage=50", headers={"GS1-EPC-Format": fmt})
    assert response.status_code == 200, response.text
    served = {e["ex:tag"]: e for e in event_list(response.json())}
    assert set(served) == ALL
    for tag, fields in expected.items():
        assert epc_fields(served[tag], list(fields)) == fields, tag


def test_always_digital_link_on_one_event(loaded: Loaded) -> None:
    event_id = loaded.served["pack"]["eventID"]
    response = loaded.api.get(
        f"/epcis/events/{quote(event_id, safe='')}", headers={"GS1-EPC-Format": "Always_GS1_Digital_Link"}
    )
    assert response.status_code == 200, response.text
    fields = AS_DIGITAL_LINK["pack"]
    assert epc_fields(one_event(response), list(fields)) == fields


def test_always_epc_urn_keeps_urns_and_serves_every_event(loaded: Loaded) -> None:
    response = loaded.api.get("/epcis/events?perPage=50", headers={"GS1-EPC-Format": "Always_EPC_URN"})
    assert response.status_code == 200, response.text
    served = {e["ex:tag"]: e for e in event_list(response.json())}
    assert served["commission"]["epcList"] == [SGTIN_A1, SGTIN_A2] and served["sell"]["parentID"] == SSCC_2


@pytest.mark.parametrize("path", ["/epcis/events", "/epcis/eventTypes/ObjectEvent/events"])
@pytest.mark.parametrize(
    "fmt", ["always_gs1_digital_link", "DigitalLink", "Always_GS1_Digital_Link, No_Preference"]
)
def test_a_bad_epc_format_header_is_400(loaded: Loaded, path: str, fmt: str) -> None:
    response = loaded.api.get(path, headers={"GS1-EPC-Format": fmt})
    problem = assert_problem(response, 400, "ValidationException")
    assert "GS1-EPC-Format" in problem["detail"]


# --- content negotiation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/xml", "text/xml", "application/xml;q=0.9, text/csv;q=0.1"])
def test_xml_query_document_reads_back_to_the_same_events(loaded: Loaded, accept: str) -> None:
    from lotline.epcis.xml import parse_xml_document

    query = "/epcis/events?perPage=50&orderBy=eventTime&orderDirection=ASC"
    as_json = event_list(loaded.api.get(query).json())
    response = loaded.api.get(query, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.content.lstrip().startswith(b"<")
    as_xml = event_list(parse_xml_document(response.content))
    assert [comparable(e) for e in as_xml] == [comparable(e) for e in as_json]


def comparable(event: dict[str, Any]) -> dict[str, Any]:
    """What must survive JSON -> XML -> JSON: identity, type, times, EPCs, vocabulary, extension field."""
    keep = ("eventID", "type", "eventTime", "recordTime", "action", "bizStep", "disposition", "epcList",
            "childEPCs", "parentID", "inputEPCList", "outputEPCList", "transformationID", "readPoint",
            "bizLocation", "bizTransactionList", "sourceList", "destinationList", "ex:tag")  # fmt: skip
    out = {k: event[k] for k in keep if k in event}
    for name in ("eventTime", "recordTime"):
        out[name] = datetime.fromisoformat(event[name])  # the same instant, however it is written
    for name in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
        if name in event:
            out[name] = [(q["epcClass"], float(q["quantity"]), q.get("uom")) for q in event[name]]
    if "errorDeclaration" in event:
        out["errorDeclaration"] = event["errorDeclaration"].get("reason")
    return out


@pytest.mark.parametrize("path", ["/epcis/events", "/epcis/epcs/urn:epc:id:sscc:4012345.1234567890/events"])
@pytest.mark.parametrize("accept", ["text/csv", "application/pdf, text/html"])
def test_an_unsupported_accept_is_406(loaded: Loaded, path: str, accept: str) -> None:
    assert_problem(loaded.api.get(path, headers={"Accept": accept}), 406, "NotAcceptableException")


def test_an_unsupported_accept_on_one_event_is_406(loaded: Loaded) -> None:
    response = loaded.api.get(
        f"/epcis/events/{quote(ERROR_EVENT_ID, safe='')}", headers={"Accept": "text/csv"}
    )
    assert_problem(response, 406, "NotAcceptableException")


@pytest.mark.parametrize("accept", ["application/json", "application/ld+json", "*/*", "application/*"])
def test_json_accept_headers_get_json_ld(loaded: Loaded, accept: str) -> None:
    response = loaded.api.get("/epcis/events?eventType=AssociationEvent", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert [e["ex:tag"] for e in event_list(response.json())] == ["assoc"]
