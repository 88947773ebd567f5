"""An API client over a fresh database (SQLite and PostgreSQL), with keys of each scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lotline.api.app import create_app
from lotline.api.settings import Settings
from lotline.store.keys import create_key


@dataclass
class Api:
    """A test client plus tokens: `full` (capture+query+trace+admin), `query_only`, `capture_only`."""

    client: TestClient
    engine: sa.Engine
    full: str
    query_only: str
    capture_only: str

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.full}", **extra}

    def get(self, url: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(token), **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    def post_json(
        self, url: str, body: bytes | str, token: str | None = None, **headers: str
    ) -> httpx.Response:
        content = body.encode() if isinstance(body, str) else body
        all_headers = {"Content-Type": "application/ld+json", **self.headers(token), **headers}
        return self.client.post(url, content=content, headers=all_headers)

    def capture(self, doc: bytes | str, **headers: str) -> httpx.Response:
        return self.post_json("/epcis/capture", doc, **headers)

    def all_events(self, query: str = "", token: str | None = None) -> list[dict[str, Any]]:
        """Every event of a query, following the Link header across pages."""
        url = "/epcis/events" + (f"?{query}" if query else "")
        events: list[dict[str, Any]] = []
        for _ in range(10_000):
            response = self.get(url, token)
            assert response.status_code == 200, response.text
            events.extend(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
            link = response.headers.get("link")
            if not link:
                return events
            url = link.split(">")[0].lstrip("<")
        raise AssertionError("pagination did not end")


def make_api(engine: sa.Engine, settings: Settings | None = None) -> Iterator[Api]:
    app = create_app(engine, settings)
    all_scopes = frozenset({"capture", "query", "trace", "admin"})
    _, full = create_key(engine, "full", all_scopes)
    _, query_only = create_key(engine, "reader", frozenset({"query"}))
    _, capture_only = create_key(engine, "writer", frozenset({"capture"}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, engine, full, query_only, capture_only)


@pytest.fixture
def api(engine: sa.Engine) -> Iterator[Api]:
    yield from make_api(engine)
