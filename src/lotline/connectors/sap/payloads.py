"""The SAP entities the sink creates, as pure functions (golden-tested: tests/mapping/test_golden_outbound.py).

- A_ProdnOrdConf2 (API_PROD_ORDER_CONFIRMATION_2_SRV "ProdnOrdConf2"): OrderID, OrderOperation, yield,
  scrap, unit, ConfirmationText, IsFinalConfirmation, PostingDate, and the goods movements in
  `to_ProdnOrdConfMatlDocItm` (movement type 261 = goods issue to the order, with the batch consumed).
- A_MaterialDocumentHeader (API_MATERIAL_DOCUMENT_SRV, properties as in ../shared's OpenAPI):
  GoodsMovementCode 02 + movement type 101 = goods receipt for a production order; code 04 + 344 =
  transfer unrestricted -> blocked stock, 343 = blocked -> unrestricted. MaterialDocumentHeaderText (25)
  carries the idempotency reference.
- A_InspLotUsageDecision (API_INSPECTIONLOT_SRV): level L (lot), catalog 3, code group, selected set, code.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

from lotline.connectors.erpkit.commands import GoodsReceipt, ProductionConfirmation

MOVEMENT_CODE = {"101": "02", "343": "04", "344": "04", "261": "03"}


def odata_date(when: datetime) -> str:
    """An Edm.DateTime for OData V2 JSON: `/Date(<ms since the epoch, midnight UTC of the day>)/`."""
    midnight = calendar.timegm((when.year, when.month, when.day, 0, 0, 0))
    return f"/Date({midnight * 1000})/"


def _qty(value: float) -> str:
    return f"{value:.3f}"


def confirmation(command: ProductionConfirmation, reference: str, plant: str, storage: str) -> dict[str, Any]:
    """A production order confirmation with the component batches consumed (261)."""
    body: dict[str, Any] = {
        "OrderID": command.orderId,
        "ConfirmationText": reference,
        "ConfirmationYieldQuantity": _qty(command.yieldQuantity),
        "ConfirmationScrapQuantity": _qty(command.scrapQuantity),
        "IsFinalConfirmation": command.final,
        "PostingDate": odata_date(command.time),
    }
    if command.operation:
        body["OrderOperation"] = command.operation
    if command.uom:
        body["ConfirmationUnit"] = command.uom
    movements = [
        {
            "Material": used.item,
            "Plant": plant,
            "StorageLocation": storage,
            "Batch": used.lot,
            "GoodsMovementType": "261",
            "OrderID": command.orderId,
            "EntryUnit": used.uom or "",
            "QuantityInEntryUnit": _qty(used.quantity),
        }
        for used in command.consumed
    ]
    if movements:
        body["to_ProdnOrdConfMatlDocItm"] = {"results": movements}
    return body


def material_document(
    movement: str,
    reference: str,
    when: datetime,
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """A material document header with its items (deep insert)."""
    return {
        "GoodsMovementCode": MOVEMENT_CODE[movement],
        "PostingDate": odata_date(when),
        "DocumentDate": odata_date(when),
        "MaterialDocumentHeaderText": reference,
        "to_MaterialDocumentItem": {"results": items},
    }


def receipt_item(command: GoodsReceipt, plant: str, storage: str) -> dict[str, Any]:
    """Goods receipt of a finished batch for its production order (101)."""
    return {
        "Material": command.item,
        "Plant": plant,
        "StorageLocation": command.location or storage,
        "Batch": command.lot,
        "GoodsMovementType": "101",
        "ManufacturingOrder": command.orderId,
        "ManufacturingOrderItem": "0001",
        "GoodsMovementRefDocType": "F",
        "EntryUnit": command.uom or "",
        "QuantityInEntryUnit": _qty(command.quantity),
    }


def block_item(
    movement: str,
    material: str,
    batch: str,
    quantity: float,
    uom: str | None,
    plant: str,
    storage: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """A stock type transfer of one batch: 344 into blocked stock, 343 back to unrestricted; the reason
    goes in the item text (50 characters)."""
    item = {
        "Material": material,
        "Plant": plant,
        "StorageLocation": storage,
        "Batch": batch,
        "GoodsMovementType": movement,
        "EntryUnit": uom or "",
        "QuantityInEntryUnit": _qty(quantity),
    }
    if reason:
        item["MaterialDocumentItemText"] = reason[:50]
    return item


def usage_decision(
    inspection_lot: str, code: str, group: str, selected_set: str, plant: str
) -> dict[str, Any]:
    return {
        "InspectionLot": inspection_lot,
        "InspLotUsageDecisionLevel": "L",
        "InspLotUsageDecisionCatalog": "3",
        "SelectedCodeSetPlant": plant,
        "InspLotUsgeDcsnSelectedSet": selected_set,
        "InspLotUsageDecisionCodeGroup": group,
        "InspectionLotUsageDecisionCode": code,
    }
