"""GET /api/v1/completeness: scope, filters, errors, result shape. (The route is registered in the app by
`app.include_router(completeness.router)`; until then these tests mount it on the test app themselves.)"""

from __future__ import annotations

from lotline.api import completeness
from lotline.store.keys import create_key
from tests.api.conftest import Api
from tests.trace.builders import (
    BATCH,
    CUSTOMER_A,
    RAW,
    RAW_2,
    SITE_1,
    SITE_2,
    SUPPLIER,
    at,
    index_of,
    lot,
    receive,
    ship,
    sscc,
    transform,
)

URL = "/api/v1/completeness"


def _mounted(api: Api) -> Api:
    if not any(getattr(r, "path", None) == URL for r in api.client.app.routes):  # type: ignore[attr-defined]
        api.client.app.include_router(completeness.router)  # type: ignore[attr-defined]
    return api


def _load(api: Api) -> None:
    index_of(
        api.engine,
        receive([RAW], SUPPLIER, at(1)),
        transform([RAW], [BATCH], at(2)),  # clean at site 1
        {
            **transform([RAW_2], [lot("000011", "MIX-7")], at(2)),
            "readPoint": {"id": SITE_2},
        },  # never received
        ship([sscc(5)], CUSTOMER_A, at(3), site=SITE_2),  # shipped empty
    )


def test_completeness_has_the_documented_shape(api: Api) -> None:
    _load(_mounted(api))
    response = api.get(URL)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"score", "events_checked", "counts", "plants", "findings"}
    assert body["events_checked"] == 4
    assert body["counts"]["input-never-received"] == 1 and body["counts"]["container-shipped-empty"] == 1
    assert sum(body["counts"].values()) == 2
    assert {(f["rule"], f["id"], f["plant"], f["severity"]) for f in body["findings"]} == {
        ("input-never-received", RAW_2, SITE_2, "error"),
        ("container-shipped-empty", sscc(5), SITE_2, "error"),
    }
    for finding in body["findings"]:
        assert set(finding) == {"rule", "severity", "id", "plant", "message", "events"}
        assert finding["events"] and finding["message"]
    plants = {p["plant"]: p for p in body["plants"]}
    assert plants[SITE_1]["score"] == 100 and plants[SITE_2]["score"] < 100
    assert set(plants[SITE_1]) == {
        "plant",
        "score",
        "objects",
        "objects_with_findings",
        "events",
        "errors",
        "warnings",
    }


def test_filters_by_plant_in_any_form_and_by_rule(api: Api) -> None:
    _load(_mounted(api))
    by_dl = api.get(URL, params={"plant": "https://id.gs1.org/414/4012345000023"}).json()
    assert [p["plant"] for p in by_dl["plants"]] == [SITE_2] and len(by_dl["findings"]) == 2
    assert api.get(URL, params={"plant": SITE_1}).json()["findings"] == []
    by_rule = api.get(URL, params={"rule": "container-shipped-empty"}).json()
    assert [f["id"] for f in by_rule["findings"]] == [sscc(5)]
    assert by_rule["counts"]["input-never-received"] == 0
    both = api.get(URL, params={"plant": SITE_1, "rule": "container-shipped-empty"}).json()
    assert both["findings"] == []


def test_an_empty_store_scores_100(api: Api) -> None:
    body = _mounted(api).get(URL).json()
    assert body["score"] == 100 and body["findings"] == [] and body["plants"] == []


def test_bad_filters_get_problems(api: Api) -> None:
    _load(_mounted(api))
    unknown_rule = api.get(URL, params={"rule": "everything"})
    assert unknown_rule.status_code == 400
    assert unknown_rule.headers["content-type"] == "application/problem+json"
    bad_gln = api.get(URL, params={"plant": "urn:epc:id:sgln:4012345.0000X.0"})
    assert bad_gln.status_code == 400 and "plant" in bad_gln.json()["detail"]
    unknown_plant = api.get(URL, params={"plant": "urn:epc:id:sgln:4012345.00009.0"})
    assert unknown_plant.status_code == 404
    assert SITE_1 in unknown_plant.json()["detail"], "the known plants are listed"


def test_completeness_needs_the_trace_scope(api: Api) -> None:
    _mounted(api)
    _, token = create_key(api.engine, "reader", frozenset({"query", "capture"}))
    response = api.get(URL, token)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "trace" in response.json()["detail"]
    assert api.client.get(URL).status_code == 401


def test_events_captured_since_the_last_check_show_up(api: Api) -> None:
    _load(_mounted(api))
    first = api.get(URL).json()
    assert api.get(URL).json() == first, "nothing new: the same report"
    index_of(
        api.engine,
        transform([BATCH], [lot("000020", "BAR-1")], at(4)),
        transform([lot("000099", "X-1")], [lot("000020", "BAR-2")], at(4, 9)),
    )
    again = api.get(URL).json()
    assert again["events_checked"] == first["events_checked"] + 2
    assert again["counts"]["input-never-received"] == first["counts"]["input-never-received"] + 1
