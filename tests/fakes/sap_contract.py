"""What the SAP fake knows of each service: entity sets, the properties of the ones without a published
document in ../shared (from the SAP Business Accelerator Hub pages; the subset the connector uses), and
the OpenAPI schemas of API_MATERIAL_DOCUMENT_SRV and API_INSPECTIONLOT_SRV from ../shared."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import SHARED

OPENAPI = SHARED / "data" / "sap-s4hana"
PROPERTIES: dict[str, list[str]] = {
    "A_ProductionOrder_2": [
        "ManufacturingOrder",
        "ManufacturingOrderType",
        "Material",
        "ProductionPlant",
        "MfgOrderPlannedTotalQty",
        "ProductionUnit",
        "OrderIsReleased",
        "OrderIsTechnicallyCompleted",
        "OrderIsClosed",
        "OrderIsConfirmed",
        "MfgOrderPlannedStartDate",
        "Batch",
        "LastChangeDateTime",
    ],
    "ProdnOrdConf2": [
        "ConfirmationGroup",
        "ConfirmationCount",
        "OrderID",
        "OrderOperation",
        "Sequence",
        "ConfirmationText",
        "ConfirmationYieldQuantity",
        "ConfirmationScrapQuantity",
        "ConfirmationUnit",
        "IsFinalConfirmation",
        "PostingDate",
        "to_ProdnOrdConfMatlDocItm",
    ],
    "ProdnOrdConfMatlDocItm": [
        "Material",
        "Plant",
        "StorageLocation",
        "Batch",
        "GoodsMovementType",
        "OrderID",
        "EntryUnit",
        "QuantityInEntryUnit",
    ],
    "Batch": [
        "Material",
        "BatchIdentifyingPlant",
        "Batch",
        "Supplier",
        "BatchBySupplier",
        "ManufactureDate",
        "ShelfLifeExpirationDate",
        "BatchIsMarkedForDeletion",
        "LastChangeDateTime",
    ],
}
SERVICES = {
    "A_ProductionOrder_2": "API_PRODUCTION_ORDER_2_SRV",
    "ProdnOrdConf2": "API_PROD_ORDER_CONFIRMATION_2_SRV",
    "Batch": "API_BATCH_SRV",
    "A_MaterialDocumentHeader": "API_MATERIAL_DOCUMENT_SRV",
    "A_InspectionLot": "API_INSPECTIONLOT_SRV",
    "A_InspLotUsageDecision": "API_INSPECTIONLOT_SRV",
}


def openapi_properties(file: str, name: str) -> dict[str, Any]:
    spec = json.loads((OPENAPI / file).read_text(encoding="utf-8"))
    schema: dict[str, Any] = spec["components"]["schemas"][name]["properties"]
    return schema
