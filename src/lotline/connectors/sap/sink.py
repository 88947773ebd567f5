"""The SAP sink: production confirmations with consumed batches, goods receipts of finished batches,
usage decisions and blocked-stock transfers, each idempotent.

Idempotency, and what a real system needs for it:
- confirmations carry the reference in ConfirmationText (40 characters); before posting, the sink reads
  the order's confirmations (`ProdnOrdConf2?$filter=OrderID eq '...'`) and compares the texts itself (it
  does not rely on ConfirmationText being filterable). A confirmation cancelled in SAP still counts.
- material documents carry it in MaterialDocumentHeaderText (25 characters, so references are shortened
  to `ll-<digest>` when longer), looked up with `$filter=MaterialDocumentHeaderText eq '...'` — a real
  system should be checked to support that filter on the header text (the published document lists
  `$filter` on the header entity set without restricting the properties).
- a usage decision exists at most once per inspection lot: an existing one with the same code is success,
  another code is a rejection (SAP changes decisions only through the UI's change-UD transaction).
"""

from __future__ import annotations

from lotline.connectors.erpkit.commands import (
    Command,
    GoodsReceipt,
    ProductionConfirmation,
    QualityDecisionCommand,
    QuarantineTransfer,
)
from lotline.connectors.erpkit.errors import ErpRejected
from lotline.connectors.erpkit.sink import CommandSink
from lotline.connectors.sap import payloads
from lotline.connectors.sap.client import SapClient
from lotline.connectors.sap.config import SapConfig
from lotline.model.operational import QualityDecision

CONFIRMATION = "API_PROD_ORDER_CONFIRMATION_2_SRV"
MATDOC = "API_MATERIAL_DOCUMENT_SRV"
INSPECTION = "API_INSPECTIONLOT_SRV"


def _quote(value: str) -> str:
    return value.replace("'", "''")


class SapSink(CommandSink[SapConfig, SapClient]):
    reference_length = 25  # MaterialDocumentHeaderText; ConfirmationText takes 40
    client_type = SapClient

    async def ping(self, client: SapClient) -> str:
        return await client.ping(CONFIRMATION, "ProdnOrdConf2")  # the service the sink posts to

    async def apply(self, reference: str, command: Command) -> None:
        cfg = self.config
        if isinstance(command, ProductionConfirmation):
            await self._confirm(reference, command)
        elif isinstance(command, GoodsReceipt):
            item = payloads.receipt_item(command, cfg.plant, cfg.storage_location)
            await self._material_document("101", reference, command, [item])
        elif isinstance(command, QualityDecisionCommand) and command.inspectionLot:
            await self._usage_decision(command)
        else:
            await self._block(reference, command)

    async def _confirm(self, reference: str, command: ProductionConfirmation) -> None:
        posted = await self.client.get(
            CONFIRMATION, "ProdnOrdConf2", {"$filter": f"OrderID eq '{_quote(command.orderId)}'"}
        )
        if any(c.get("ConfirmationText") == reference for c in posted):
            return
        body = payloads.confirmation(command, reference, self.config.plant, self.config.storage_location)
        await self.client.post(CONFIRMATION, "ProdnOrdConf2", body)

    async def _material_document(
        self, movement: str, reference: str, command: Command, items: list[dict[str, object]]
    ) -> None:
        found = await self.client.get(
            MATDOC,
            "A_MaterialDocumentHeader",
            {"$filter": f"MaterialDocumentHeaderText eq '{_quote(reference)}'", "$top": 1},
        )
        if found:
            return
        await self.client.post(
            MATDOC,
            "A_MaterialDocumentHeader",
            payloads.material_document(movement, reference, command.time, items),
        )

    async def _block(self, reference: str, command: QualityDecisionCommand | QuarantineTransfer) -> None:
        if isinstance(command, QualityDecisionCommand) and command.decision is QualityDecision.conditional:
            raise ErpRejected("a conditional release needs an inspection lot (usage decision) in SAP")
        released = (
            isinstance(command, QualityDecisionCommand) and command.decision is QualityDecision.released
        )
        quantity = getattr(command, "quantity", None)
        if quantity is None:
            raise ErpRejected(
                "SAP posts blocked stock per quantity: give `quantity`, or an inspection lot for a usage decision"
            )
        cfg = self.config
        item = payloads.block_item(
            "343" if released else "344", command.item, command.lot, quantity, getattr(command, "uom", None),
            cfg.plant, cfg.storage_location, command.reason,
        )  # fmt: skip
        await self._material_document(item["GoodsMovementType"], reference, command, [item])

    async def _usage_decision(self, command: QualityDecisionCommand) -> None:
        assert command.inspectionLot is not None
        cfg = self.config
        code = cfg.accept_code if command.decision is QualityDecision.released else cfg.reject_code
        lot = _quote(command.inspectionLot)
        existing = await self.client.get(
            INSPECTION, "A_InspLotUsageDecision", {"$filter": f"InspectionLot eq '{lot}'"}
        )
        if existing:
            if existing[0].get("InspectionLotUsageDecisionCode") == code:
                return
            raise ErpRejected(f"inspection lot {command.inspectionLot} already has another usage decision")
        body = payloads.usage_decision(
            command.inspectionLot, code, cfg.ud_code_group, cfg.ud_selected_set, cfg.plant
        )
        await self.client.post(INSPECTION, "A_InspLotUsageDecision", body)
