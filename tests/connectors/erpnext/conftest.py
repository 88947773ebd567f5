"""The ERPNext fake, seeded with one work order, its component batch in stock, and a receipt."""

from __future__ import annotations

import pytest

from lotline.connectors.erpnext import ErpNextConfig
from tests.connectors.erp_support import QUICK, live, live_fake
from tests.fakes.erpnext_fake import FakeErpNext

__all__ = ["live", "live_fake"]  # the live fake fixtures, shared by the ERPs


@pytest.fixture
def fake() -> FakeErpNext:
    fake = FakeErpNext()
    fake.insert("Item", {"name": "FG-1", "item_code": "FG-1", "item_name": "Syrup 1L", "has_batch_no": 1})
    fake.insert("Item", {"name": "RM-7", "item_code": "RM-7", "item_name": "Sugar", "has_batch_no": 1})
    fake.insert("Batch", {"name": "S-17", "batch_id": "S-17", "item": "RM-7"})
    fake.stock[("S-17", "Stores - LL")] = 500.0
    fake.insert(
        "Work Order",
        {
            "name": "MFG-WO-2026-00042",
            "status": "Not Started",
            "production_item": "FG-1",
            "qty": 1000,
            "stock_uom": "Nos",
            "fg_warehouse": "Finished Goods - LL",
            "docstatus": 1,
        },
    )
    fake.insert(
        "Purchase Receipt",
        {
            "name": "MAT-PRE-2026-00007",
            "supplier": "Sugar Co",
            "docstatus": 1,
            "items": [{"item_code": "RM-7", "batch_no": "S-17", "qty": 500}],
        },
    )
    return fake


def config(url: str = "http://erpnext.test", **overrides: object) -> ErpNextConfig:
    return ErpNextConfig.model_validate(
        {"url": url, "api_key": "key1", "api_secret": "secret1", "page_size": 2, **QUICK, **overrides}
    )
