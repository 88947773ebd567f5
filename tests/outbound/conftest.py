"""Outbound test fixtures: a store (SQLite and PostgreSQL), DBOS on it, events to capture."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lotline.outbound import Outbound, OutboundConfig, RouteConfig
from lotline.pipeline.capture import ROLLBACK, capture_parts, split_document
from lotline.store.events import Provenance

CONTEXT = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
FAST = {"max_attempts": 30, "base_delay": 0.05, "max_delay": 0.3}


def event(
    n: int, lot: str = "L1", biz_step: str = "shipping", event_type: str = "ObjectEvent"
) -> dict[str, Any]:
    """A distinct ObjectEvent per n (its time differs), naming lot `lot`."""
    return {
        "type": event_type,
        "eventTime": f"2026-03-01T10:{n // 60:02d}:{n % 60:02d}Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": biz_step,
        "epcList": [],
        "quantityList": [{"epcClass": f"urn:epc:class:lgtin:4012345.012345.{lot}", "quantity": 1}],
    }


def capture(engine: sa.Engine, events: list[dict[str, Any]]) -> None:
    document = {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    outcome = capture_parts(engine, split_document(document), Provenance("rest"), ROLLBACK)
    assert not outcome.errors, outcome.errors


@dataclass
class Store:
    url: str
    engine: sa.Engine
    schema: str  # DBOS's schema on PostgreSQL

    def outbound(self, *routes: RouteConfig, **config: Any) -> Outbound:
        settings = {"poll_interval": 0.1, "queue_poll": 0.05, **config}
        return Outbound(
            self.engine,
            OutboundConfig(routes=list(routes), **settings),
            db_url=self.url,
            system_schema=self.schema,
        )


@pytest.fixture
def store(db_url: str, engine: sa.Engine) -> Iterator[Store]:
    schema = "dbos_" + secrets.token_hex(5)
    yield Store(db_url, engine, schema)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """SQLite only: for behaviour that does not depend on the database (retries, ordering, breakers)."""
    from lotline.store.engine import open_engine

    url = f"sqlite:///{tmp_path / 'lotline.db'}"
    engine = open_engine(url)
    yield Store(url, engine, "dbos")
    engine.dispose()


def webhook_route(url: str, name: str = "hook", **options: Any) -> RouteConfig:
    target = {"kind": "webhook", "config": {"url": url, "secret": "route-secret"}}
    return RouteConfig.model_validate({"name": name, "target": target, "retry": FAST, **options})


def run(body: Callable[[], Awaitable[None]], timeout: float = 40.0) -> None:
    """Run one async test body in its own loop, bounded."""

    async def bounded() -> None:
        await asyncio.wait_for(body(), timeout)

    asyncio.run(bounded())
