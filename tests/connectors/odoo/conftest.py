"""The Odoo fake, seeded with a small plant: one item with a component, lots, locations, one order."""

from __future__ import annotations

import pytest

from lotline.connectors.odoo import OdooConfig
from tests.connectors.erp_support import QUICK, live, live_fake
from tests.fakes.odoo_fake import FakeOdoo

__all__ = ["live", "live_fake"]  # the live fake fixtures, shared by the ERPs


@pytest.fixture
def fake() -> FakeOdoo:
    fake = FakeOdoo()
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
    return fake


def config(url: str = "http://odoo.test", **overrides: object) -> OdooConfig:
    return OdooConfig.model_validate(
        {"url": url, "database": "lotline", "api_key": "odoo-key-1", "page_size": 2, **QUICK, **overrides}
    )
