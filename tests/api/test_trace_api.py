"""GET /api/v1/trace/{forward|backward}: scope, errors, result shape."""

from __future__ import annotations

from lotline.store.keys import create_key
from tests.api.conftest import Api
from tests.trace.builders import (
    CUSTOMER_A,
    FINISHED,
    RAW,
    SUPPLIER,
    at,
    index_of,
    lot,
    pack,
    receive,
    ship,
    sscc,
    transform,
)


def _load(api: Api) -> None:
    index_of(
        api.engine,
        receive([RAW], SUPPLIER, at(1)),
        transform([RAW], [FINISHED], at(2)),
        pack(sscc(1), [FINISHED], at(3)),
        ship([sscc(1)], CUSTOMER_A, at(4)),
    )


def test_forward_trace_has_the_documented_shape(api: Api) -> None:
    _load(api)
    response = api.get("/api/v1/trace/forward", params={"id": RAW})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"root", "direction", "items", "parties", "events"}
    assert body["root"] == RAW and body["direction"] == "forward"
    assert {(i["id"], i["kind"], i["depth"]) for i in body["items"]} == {
        (FINISHED, "lot", 1),
        (sscc(1), "container", 2),
    }
    assert all(i["path"] and set(i["path"]) <= set(body["events"]) for i in body["items"])
    assert body["parties"] == [
        {"id": CUSTOMER_A, "relation": "destination", "events": body["parties"][0]["events"]}
    ]


def test_backward_trace_from_a_digital_link(api: Api) -> None:
    _load(api)
    response = api.get("/api/v1/trace/backward", params={"id": "https://id.gs1.org/00/040123450000000016"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {i["id"] for i in body["items"]} == {FINISHED, RAW}
    assert [p["id"] for p in body["parties"]] == [SUPPLIER]


def test_events_captured_through_the_api_show_up_in_the_next_trace(api: Api) -> None:
    _load(api)
    assert api.get("/api/v1/trace/forward", params={"id": RAW}).status_code == 200
    index_of(api.engine, transform([FINISHED], [lot("000030", "BOX-1")], at(5)))
    items = {i["id"] for i in api.get("/api/v1/trace/forward", params={"id": RAW}).json()["items"]}
    assert lot("000030", "BOX-1") in items


def test_trace_needs_the_trace_scope(api: Api) -> None:
    _, token = create_key(api.engine, "reader", frozenset({"query"}))
    response = api.get("/api/v1/trace/forward", token, params={"id": RAW})
    assert response.status_code == 403
    assert api.client.get("/api/v1/trace/forward", params={"id": RAW}).status_code == 401


def test_unknown_ids_bad_ids_and_bad_parameters_get_4xx_problems(api: Api) -> None:
    _load(api)
    cases = [
        ("/api/v1/trace/forward", {"id": lot("000099", "NOPE")}, 404),
        ("/api/v1/trace/forward", {"id": "urn:epc:id:sgtin:12"}, 400),
        ("/api/v1/trace/forward", {"id": RAW, "since": "last tuesday"}, 400),
        ("/api/v1/trace/forward", {"id": RAW, "max_depth": "-1"}, 400),
        ("/api/v1/trace/sideways", {"id": RAW}, 400),
        ("/api/v1/trace/forward", {}, 400),
    ]
    for path, params, status in cases:
        response = api.get(path, params=params)
        assert response.status_code == status, (path, params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_time_window_and_depth(api: Api) -> None:
    _load(api)
    shallow = api.get("/api/v1/trace/forward", params={"id": RAW, "max_depth": 1}).json()
    assert [i["id"] for i in shallow["items"]] == [FINISHED]
    early = api.get("/api/v1/trace/forward", params={"id": RAW, "until": at(3)}).json()
    assert [i["id"] for i in early["items"]] == [FINISHED]
