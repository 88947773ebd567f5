"""The SAP fake, seeded with released production orders, a batch, a goods receipt and an inspection lot."""

from __future__ import annotations

import pytest

from lotline.connectors.sap import SapConfig
from tests.connectors.erp_support import QUICK, live, live_fake
from tests.fakes.sap_fake import FakeSap

__all__ = ["live", "live_fake"]  # the live fake fixtures, shared by the ERPs


@pytest.fixture
def fake() -> FakeSap:
    fake = FakeSap()
    for number, changed in (
        ("1000042", "2026-12-01T08:00:00Z"),
        ("1000043", "2026-12-01T08:00:00Z"),
        ("1000044", "2026-12-01T08:00:00Z"),
    ):
        fake.add(
            "A_ProductionOrder_2",
            ManufacturingOrder=number,
            ManufacturingOrderType="PP01",
            Material="FG-1",
            ProductionPlant="1010",
            MfgOrderPlannedTotalQty="1000",
            ProductionUnit="EA",
            OrderIsReleased="X",
            OrderIsTechnicallyCompleted="",
            OrderIsClosed="",
            LastChangeDateTime=changed,
        )
    fake.add(
        "A_ProductionOrder_2",
        ManufacturingOrder="1000045",
        Material="FG-1",
        OrderIsReleased="",
        LastChangeDateTime="2026-12-01T08:00:00Z",
    )
    fake.add(
        "Batch",
        Material="RM-7",
        BatchIdentifyingPlant="",
        Batch="S-17",
        Supplier="300001",
        LastChangeDateTime="2026-12-01T07:00:00Z",
    )
    fake.add(
        "A_MaterialDocumentHeader",
        MaterialDocumentYear="2026",
        MaterialDocument="5000000001",
        GoodsMovementCode="01",
        CreationDate="2026-12-01",
        CreationTime="PT07H30M00S",
        to_MaterialDocumentItem={
            "results": [
                {
                    "Material": "RM-7",
                    "Batch": "S-17",
                    "GoodsMovementType": "101",
                    "QuantityInEntryUnit": "500",
                    "EntryUnit": "KG",
                }
            ]
        },
    )
    fake.add(
        "A_InspectionLot",
        InspectionLot="010000000123",
        Material="FG-1",
        Batch="FG-L1",
        ChangedDateTime="2026-12-01T09:00:00Z",
    )
    return fake


def config(url: str = "http://sap.test", **overrides: object) -> SapConfig:
    values = {
        "url": url,
        "token_url": "/oauth/token",
        "client_id": "lotline",
        "client_secret": "s3cret",
        "sap_client": "100",
        "page_size": 3,
        **QUICK,
        **overrides,
    }
    return SapConfig.model_validate(values)
