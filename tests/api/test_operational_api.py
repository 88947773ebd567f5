"""/api/v1/operational-events and /api/v1/events/{eventID}/provenance: scope `query`, filters, paging."""

from __future__ import annotations

from urllib.parse import quote

from lotline.store.engine import writer
from lotline.store.events import Provenance
from lotline.store.operational import store_on
from tests.api.conftest import Api
from tests.api.test_capture import document, object_event
from tests.store.test_provenance import envelope


def seed(api: Api) -> None:
    prov = Provenance("connector", plant="plant-a")
    batch = [envelope(1), envelope(2, correlationid="MO-7"), envelope(3, type="io.lotline.order.status.v1")]
    with writer(api.engine).begin() as conn:
        store_on(conn, batch, [prov] * 3, 1)


def ids(api: Api, query: str, token: str | None = None) -> list[str]:
    response = api.get(f"/api/v1/operational-events?{query}", token)
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()["operationalEvents"]]


def test_filters(api: Api) -> None:
    seed(api)
    assert ids(api, "", api.query_only) == ["env-1", "env-2", "env-3"]
    assert ids(api, "type=io.lotline.order.status.v1") == ["env-3"]
    assert ids(api, "correlationId=MO-7&plant=plant-a") == ["env-2"]
    assert ids(api, "plant=plant-b") == []
    assert ids(api, "since=2026-12-01T08:02:00Z&until=2026-12-01T09:03:00%2B01:00") == ["env-2"]
    assert ids(api, "subject=FILLER-1&limit=2") == ["env-1", "env-2"]


def test_bad_parameters_are_problems(api: Api) -> None:
    for query in ("since=yesterday", "after=abc", "limit=0"):
        response = api.get(f"/api/v1/operational-events?{query}")
        assert response.status_code == 400, query
        assert response.headers["content-type"] == "application/problem+json"


def test_the_query_scope_is_needed(api: Api) -> None:
    assert api.get("/api/v1/operational-events", api.capture_only).status_code == 403
    assert api.client.get("/api/v1/operational-events").status_code == 401
    assert api.get("/api/v1/events/x/provenance", api.capture_only).status_code == 403


def test_provenance_of_a_captured_event_and_of_an_unknown_one(api: Api) -> None:
    event = object_event(5, eventID="urn:uuid:6f0a3c52-5b8a-4c1e-9d1e-000000000005")
    assert api.capture(document(event)).status_code == 202
    response = api.get(f"/api/v1/events/{quote(event['eventID'], safe='')}/provenance", api.query_only)
    assert response.status_code == 200, response.text
    [record] = response.json()["provenance"]
    assert record["interface"] == "rest" and record["source"] is None and record["keyId"] is not None
    missing = api.get("/api/v1/events/urn:uuid:nothing/provenance")
    assert missing.status_code == 404 and "urn:uuid:nothing" in missing.json()["detail"]
