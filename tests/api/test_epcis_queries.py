"""EPCIS 2.0 named queries and subscriptions over HTTP (/epcis/queries), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import orjson

from lotline.store.keys import create_key
from tests.api.conftest import Api
from tests.outbound.conftest import CONTEXT, event

QUERY = {"name": "received", "query": {"eventType": ["ObjectEvent"], "EQ_bizStep": ["receiving"]}}
DEST = "https://client.example.com/queryCallback"


def _post(api: Api, url: str, body: Any, token: str | None = None) -> Any:
    return api.client.post(
        url, content=orjson.dumps(body), headers={**api.headers(token), "Content-Type": "application/json"}
    )


def _delete(api: Api, url: str, token: str | None = None) -> Any:
    return api.client.delete(url, headers=api.headers(token))


def _capture_some(api: Api) -> None:
    doc = {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {
            "eventList": [event(1, biz_step="receiving"), event(2), event(3, biz_step="receiving")]
        },
    }
    assert api.capture(orjson.dumps(doc)).status_code == 202


def test_create_list_get_run_and_delete_a_named_query(api: Api) -> None:
    created = _post(api, "/epcis/queries", QUERY, api.query_only)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/epcis/queries/received"
    assert _post(api, "/epcis/queries", QUERY).status_code == 409
    listed = api.get("/epcis/queries", api.query_only).json()
    assert listed == [
        {"name": "received", "query": {"eventType": ["ObjectEvent"], "EQ_bizStep": ["receiving"]}}
    ]
    assert api.get("/epcis/queries/received").json()["name"] == "received"
    _capture_some(api)
    result = api.get("/epcis/queries/received/events?perPage=1")
    assert result.status_code == 200, result.text
    assert len(result.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    assert 'rel="next"' in result.headers["link"]
    everything = api.get("/epcis/queries/received/events").json()
    times = [e["eventTime"] for e in everything["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
    assert sorted(times) == ["2026-03-01T10:00:01Z", "2026-03-01T10:00:03Z"]
    assert api.get("/epcis/queries/received/events?EQ_action=ADD").status_code == 400
    assert _delete(api, "/epcis/queries/received", api.query_only).status_code == 204
    assert api.get("/epcis/queries/received").status_code == 404


def test_bad_query_definitions_are_problems(api: Api) -> None:
    bad = _post(api, "/epcis/queries", {"name": "x", "query": {"EQ_nonsense": ["a"]}})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert _post(api, "/epcis/queries", {"name": "has space", "query": {}}).status_code == 400
    assert _post(api, "/epcis/queries", {"query": {}}).status_code == 400
    assert _post(api, "/epcis/queries", {"name": "p", "query": {"perPage": 5}}).status_code == 400
    wrong_type = api.client.post(
        "/epcis/queries", content=b"{}", headers={**api.headers(), "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    assert _post(api, "/epcis/queries", QUERY, api.capture_only).status_code == 403


def test_subscriptions_stream_and_schedule_never_show_the_token(api: Api) -> None:
    assert _post(api, "/epcis/queries", QUERY).status_code == 201
    stream = _post(
        api,
        "/epcis/queries/received/subscriptions",
        {"dest": DEST, "signatureToken": "secret", "stream": True},
    )
    assert stream.status_code == 201, stream.text
    sub = stream.json()
    assert sub["stream"] is True and sub["dest"] == DEST and "signatureToken" not in sub
    assert stream.headers["location"] == f"/epcis/queries/received/subscriptions/{sub['subscriptionID']}"
    scheduled = _post(
        api,
        "/epcis/queries/received/subscriptions",
        {
            "dest": DEST,
            "signatureToken": "secret",
            "reportIfEmpty": True,
            "schedule": {"hour": "1", "minute": "5"},
            "initialRecordTime": "2026-01-01T00:00:00Z",
        },
    )
    assert scheduled.status_code == 201, scheduled.text
    body = scheduled.json()
    assert body["schedule"] == {"hour": "1", "minute": "5"} and body["reportIfEmpty"] is True
    assert body["initialRecordTime"].startswith("2026-01-01T00:00:00")
    listed = api.get("/epcis/queries/received/subscriptions").json()
    assert {s["subscriptionID"] for s in listed} == {sub["subscriptionID"], body["subscriptionID"]}
    assert all("signatureToken" not in s for s in listed)
    one = api.get(f"/epcis/queries/received/subscriptions/{sub['subscriptionID']}")
    assert one.status_code == 200 and one.json()["queryName"] == "received"
    assert _delete(api, f"/epcis/queries/received/subscriptions/{sub['subscriptionID']}").status_code == 204
    assert api.get(f"/epcis/queries/received/subscriptions/{sub['subscriptionID']}").status_code == 404
    # deleting the query forcibly unsubscribes the rest
    assert _delete(api, "/epcis/queries/received").status_code == 204
    assert api.get(f"/epcis/queries/received/subscriptions/{body['subscriptionID']}").status_code == 404


def test_invalid_subscriptions_are_refused(api: Api) -> None:
    assert _post(api, "/epcis/queries", QUERY).status_code == 201
    url = "/epcis/queries/received/subscriptions"
    neither = _post(api, url, {"dest": DEST})
    assert neither.status_code == 400 and "stream" in neither.json()["detail"]
    both = _post(api, url, {"dest": DEST, "stream": True, "schedule": {"minute": "5"}})
    assert both.status_code == 400
    assert _post(api, url, {"dest": "ftp://x", "stream": True}).status_code == 400
    assert _post(api, url, {"dest": DEST, "schedule": {"minute": "75"}}).status_code == 400
    assert _post(api, url, {"dest": DEST, "schedule": {"fortnight": "1"}}).status_code == 400
    assert (
        _post(api, url, {"dest": DEST, "stream": True, "initialRecordTime": "yesterday"}).status_code == 400
    )
    assert _post(api, "/epcis/queries/nope/subscriptions", {"dest": DEST, "stream": True}).status_code == 404


def test_deleting_what_another_key_created_needs_admin(api: Api) -> None:
    _, other = create_key(api.engine, "other reader", frozenset({"query"}))
    assert _post(api, "/epcis/queries", QUERY, api.query_only).status_code == 201
    sub = _post(api, "/epcis/queries/received/subscriptions", {"dest": DEST, "stream": True}, api.query_only)
    sub_url = f"/epcis/queries/received/subscriptions/{sub.json()['subscriptionID']}"
    assert _delete(api, sub_url, other).status_code == 403
    assert _delete(api, "/epcis/queries/received", other).status_code == 403
    assert _delete(api, sub_url, api.full).status_code == 204  # admin
    assert _delete(api, "/epcis/queries/received", api.query_only).status_code == 204  # the owner
