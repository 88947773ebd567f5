"""The event detail page's Provenance panel: the per-event provenance columns of the events table
(source, source message id, plant, received time, mapping, correlation id) when they are set; nothing
invented when they are not (a REST capture). Answered without a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lotline.api.app import create_app
from lotline.pipeline.capture import ROLLBACK, capture_parts, split_document
from lotline.store.events import Provenance
from lotline.store.keys import create_key
from lotline.store.schema import events

CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
RECEIVED = 1_764_576_900_123_456  # 2025-12-01 08:15:00.123456 UTC, in microseconds


def _event(n: int, location: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": f"2026-03-01T10:00:0{n}Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "epcList": [],
        "quantityList": [{"epcClass": f"urn:epc:class:lgtin:4012345.012345.L{n}", "quantity": 1}],
    }
    if location:
        event["bizLocation"] = {"id": location}
    return event


def _capture(engine: sa.Engine, event: dict[str, Any], provenance: Provenance) -> str:
    document = {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    outcome = capture_parts(engine, split_document(document), provenance, ROLLBACK)
    assert not outcome.errors, outcome.errors
    with engine.connect() as conn:
        return str(
            conn.execute(sa.select(events.c.event_id).order_by(events.c.id.desc()).limit(1)).scalar_one()
        )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, sa.Engine]]:
    from lotline.store.engine import open_engine

    engine = open_engine(f"sqlite:///{tmp_path / 'lotline.db'}")
    _, token = create_key(engine, "viewer", frozenset({"query"}))
    with TestClient(create_app(engine)) as client:
        assert client.post("/ui/login", data={"api_key": token}).status_code == 200
        yield client, engine
    engine.dispose()


def _panel(client: TestClient, event_id: str) -> dict[str, str]:
    page = client.get("/ui/events/detail", params={"id": event_id})
    assert page.status_code == 200, page.text[:300]
    panel = re.search(r'<dl class="kv" id="provenance">(.*?)</dl>', page.text, re.S)
    assert panel is not None
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", panel.group(1), re.S)
    return {unescape(k): unescape(v) for k, v in pairs}


def test_a_connector_event_shows_its_provenance_columns(site: tuple[TestClient, sa.Engine]) -> None:
    client, engine = site
    provenance = Provenance(
        "connector",
        source_message_id="mes/line-1/conf#42",
        source="line1-mqtt",
        plant="hamburg",
        received_time=RECEIVED,
        mapping="acme-mes-confirmation@2",
        correlation_id="MO-4711",
    )
    panel = _panel(client, _capture(engine, _event(1), provenance))
    assert panel["source"] == "line1-mqtt" and panel["interface"] == "connector"
    assert panel["source message id"] == "mes/line-1/conf#42"
    assert panel["plant"] == "hamburg"
    assert panel["received time"] == "2025-12-01 08:15:00 UTC"
    assert panel["mapping"] == "acme-mes-confirmation@2"
    assert panel["correlation id"] == "MO-4711"
    assert "plant (from its location)" not in panel


def test_a_rest_capture_shows_no_invented_columns(site: tuple[TestClient, sa.Engine]) -> None:
    client, engine = site
    event_id = _capture(engine, _event(2, "urn:epc:id:sgln:4012345.00001.0"), Provenance("rest", key_id="k1"))
    panel = _panel(client, event_id)
    assert panel["source"] == "rest" and panel["API key id"] == "k1"
    for unset in ("source message id", "plant", "received time", "mapping", "correlation id"):
        assert unset not in panel, unset
    assert panel["plant (from its location)"]  # derived, and labelled as such
    assert "\u2013" not in panel.values()  # the "not set" dash
