"""Every endpoint but /health needs a key; scopes decide what a key may do."""

from __future__ import annotations

import pytest

from lotline.store.keys import create_key, revoke_key
from tests.api.conftest import Api, make_api

PROTECTED = [
    ("GET", "/epcis"),
    ("GET", "/epcis/events"),
    ("POST", "/epcis/capture"),
    ("POST", "/epcis/events"),
    ("GET", "/epcis/capture"),
    ("GET", "/epcis/no/such/path"),
    ("GET", "/nothing-here"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_requests_without_a_key_get_401_problem(api: Api, method: str, path: str) -> None:
    response = api.client.request(method, path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer ll_abc_def", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "])
def test_unknown_or_malformed_keys_get_401(api: Api, header: str) -> None:
    response = api.client.get("/epcis/events", headers={"Authorization": header})
    assert response.status_code == 401


def test_health_needs_no_key(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "trace_index": {"state": "not built", "events": 0},  # built by the first trace
    }


def test_a_query_only_key_cannot_capture(api: Api) -> None:
    response = api.post_json("/epcis/capture", b"{}", token=api.query_only)
    assert response.status_code == 403
    assert "capture" in response.json()["detail"]
    assert api.get("/epcis/events", api.query_only).status_code == 200


def test_a_capture_only_key_cannot_query(api: Api) -> None:
    response = api.get("/epcis/events", api.capture_only)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_revoked_key_is_refused(api: Api) -> None:
    key, token = create_key(api.engine, "temp", frozenset({"query"}))
    revoke_key(api.engine, key.id)
    for fresh in make_api(api.engine):
        assert fresh.get("/epcis/events", token).status_code == 401
