"""The Odoo fake, seeded with a small plant: one item with a component, lots, locations, one order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lotline.connectors.odoo import OdooConfig
from tests.fakes.odoo_fake import FakeOdoo
from tests.fakes.server import LiveServer


def seed(fake: FakeOdoo) -> None:
    fake.create("res.users", [{"login": "integration", "name": "Integration"}])
    fake.create(
        "stock.location",
        [
            {"name": "Stock", "complete_name": "WH/Stock"},
            {"name": "Quarantine", "complete_name": "WH/Quarantine"},
            {"name": "Production", "complete_name": "Virtual Locations/Production"},
        ],
    )
    fake.create("stock.picking.type", [{"name": "Internal Transfers", "code": "internal"}])
    [fg, rm] = fake.create(
        "product.product",
        [{"default_code": "FG-1", "name": "Syrup 1L"}, {"default_code": "RM-7", "name": "Sugar"}],
    )
    [s17, s18] = fake.create(
        "stock.lot", [{"name": "S-17", "product_id": rm}, {"name": "S-18", "product_id": rm}]
    )
    assert s18 == 2
    fake.create("stock.quant", [{"product_id": rm, "lot_id": s17, "location_id": 1, "quantity": 500.0}])
    [mo] = fake.create(
        "mrp.production",
        [
            {
                "name": "WH/MO/00042",
                "state": "confirmed",
                "product_id": fg,
                "product_qty": 1000.0,
                "origin": "SO-9",
            }
        ],
    )
    fake.create(
        "stock.move",
        [
            {
                "name": "Sugar",
                "product_id": rm,
                "raw_material_production_id": mo,
                "product_uom_qty": 300.0,
                "location_id": 1,
                "location_dest_id": 3,
            }
        ],
    )


@pytest.fixture
def fake() -> FakeOdoo:
    odoo = FakeOdoo()
    seed(odoo)
    return odoo


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[LiveServer, dict[str, FakeOdoo]]]:
    """One uvicorn per module; each test swaps in a fresh fake behind it (holder["fake"])."""
    holder: dict[str, FakeOdoo] = {}

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await holder["fake"].app(scope, receive, send)

    server = LiveServer(app)
    server.start()
    yield server, holder
    server.stop()


@pytest.fixture
def live_fake(live: tuple[LiveServer, dict[str, FakeOdoo]], fake: FakeOdoo) -> tuple[str, FakeOdoo]:
    server, holder = live
    holder["fake"] = fake
    return server.url, fake


def config(url: str = "http://odoo.test", **overrides: object) -> OdooConfig:
    values: dict[str, object] = {
        "url": url,
        "database": "lotline",
        "api_key": "odoo-key-1",
        "poll_interval": 0.02,
        "page_size": 2,
        "retry_attempts": 3,
    }
    values.update(overrides)
    return OdooConfig.model_validate(values)
