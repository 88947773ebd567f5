"""POST /api/v1/recalls: scope, errors, the JSON report and the FSMA 204 spreadsheet downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

import httpx2 as httpx
import openpyxl
import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lotline.api import recall as recall_api
from lotline.api.app import create_app
from lotline.store.keys import create_key
from lotline.trace.fsma import FSMA_COLUMNS
from tests.api.conftest import Api
from tests.trace.builders import CUSTOMER_A, CUSTOMER_B, PLANT
from tests.trace.test_recall import NOPE, RAW, load

URL = "/api/v1/recalls"


@pytest.fixture
def api(engine: sa.Engine) -> Iterator[Api]:
    """The app with the recall router (included here until app.py registers it)."""
    app = create_app(engine)
    registered = any(
        getattr(route, "original_router", None) is recall_api.router or getattr(route, "path", None) == URL
        for route in app.routes
    )
    if not registered:
        app.include_router(recall_api.router)
    _, full = create_key(engine, "full", frozenset({"capture", "query", "trace", "admin"}))
    _, query_only = create_key(engine, "reader", frozenset({"query"}))
    _, capture_only = create_key(engine, "writer", frozenset({"capture"}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, engine, full, query_only, capture_only)


def post(
    api: Api,
    body: object,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"Content-Type": "application/json", **api.headers(token), **(headers or {})}
    return api.client.post(URL, content=orjson.dumps(body), headers=sent, params=params)


def test_the_json_report(api: Api) -> None:
    load(api.engine)
    response = post(api, {"ids": [RAW, NOPE]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "generated_at",
        "suspects",
        "items",
        "shipments",
        "quantities",
        "suppliers",
        "events",
    }
    assert body["suspects"] == [
        {"id": RAW, "found": True, "kind": "lot", "reached": 7},
        {"id": NOPE, "found": False},
    ]
    assert [s["to"]["parties"] for s in body["shipments"]] == [[CUSTOMER_A], [CUSTOMER_B], [PLANT]]
    assert body["shipments"][0]["references"][1] == {
        "type": "bol",
        "id": "urn:epcglobal:cbv:bt:4012345000009:BOL-9",
    }
    assert {q["state"] for q in body["quantities"]} == {"on_hand", "in_transit", "delivered", "consumed"}


def test_csv_and_xlsx_downloads(api: Api) -> None:
    load(api.engine)
    for params, headers in (({"format": "csv"}, None), (None, {"Accept": "text/csv"})):
        response = post(api, {"ids": [RAW]}, headers=headers, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="recall-fsma204-') and disposition.endswith(
            '.csv"'
        )
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert lines[0] == list(FSMA_COLUMNS) and len(lines) == 14
    response = post(api, {"ids": [RAW]}, params={"format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["FSMA 204"]
    assert [c.value for c in sheet[1]] == list(FSMA_COLUMNS) and sheet.max_row == 14
    assert sheet["G2"].value == datetime(2026, 3, 1)


def test_recalls_need_the_trace_scope(api: Api) -> None:
    load(api.engine)
    assert post(api, {"ids": [RAW]}, api.query_only).status_code == 403
    _, tracer = create_key(api.engine, "quality", frozenset({"trace"}))
    assert post(api, {"ids": [RAW]}, tracer).status_code == 200
    assert api.client.post(URL, json={"ids": [RAW]}).status_code == 401


def test_bad_bodies_unknown_ids_and_bad_ids_get_problems(api: Api) -> None:
    load(api.engine)
    cases: list[tuple[object, int]] = [
        ({"ids": [NOPE]}, 404),
        ({"ids": []}, 400),
        ({"ids": "urn:epc:class:lgtin:4012345.000001.SUGAR-1"}, 400),
        ({"ids": [RAW, 7]}, 400),
        ({"lots": [RAW]}, 400),
        ({"ids": [RAW], "extra": 1}, 400),
        ([RAW], 400),
        ({"ids": ["urn:epc:id:sgtin:12"]}, 400),
        ({"ids": [RAW] * 1001}, 400),
    ]
    for body, status in cases:
        response = post(api, body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    response = api.client.post(
        URL, content=b"{not json", headers=api.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 400 and "not JSON" in response.json()["detail"]
    response = post(api, {"ids": [RAW]}, params={"format": "pdf"})
    assert response.status_code == 400


def test_the_endpoint_is_in_the_openapi_document(api: Api) -> None:
    spec = api.get("/openapi.json").json()
    operation = spec["paths"][URL]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["ids"]
    assert set(operation["responses"]["200"]["content"]) >= {"application/json", "text/csv"}
