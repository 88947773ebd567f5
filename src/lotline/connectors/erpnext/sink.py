"""The ERPNext sink: Stock Entries (Manufacture, Material Transfer) and batch blocks, idempotent by a
custom field.

- production_confirmation / goods_receipt: a submitted Stock Entry of purpose Manufacture against the
  Work Order: consumed batches from `stores_warehouse` (or the order's WIP warehouse), the finished batch
  into the order's `fg_warehouse`. A confirmation's entry already receives its lot, so a goods_receipt of
  a lot some Manufacture entry of the order brought in is a no-op. Rows set `use_serial_batch_fields` so `batch_no` is given directly
  (ERPNext v15 otherwise wants a Serial and Batch Bundle per row).
- quarantine_transfer: a submitted Stock Entry of purpose Material Transfer to `quarantine_warehouse`.
- quality_decision: Batch `disabled` (on_hold, rejected: the batch can no longer be used in transactions)
  or enabled again (released), with the reason in the batch description; idempotent by nature.

Idempotency: Stock Entries carry the reference in `reference_field` (`custom_lotline_ref`, a Custom Field
of type Data on Stock Entry that a real site needs created once); the sink lists Stock Entries with that
reference before inserting.
"""

from __future__ import annotations

from typing import Any

from lotline.connectors.erpkit.commands import (
    Command,
    GoodsReceipt,
    ProductionConfirmation,
    QualityDecisionCommand,
    QuarantineTransfer,
)
from lotline.connectors.erpkit.errors import ErpRejected
from lotline.connectors.erpkit.sink import CommandSink
from lotline.connectors.erpnext.client import ErpNextClient
from lotline.connectors.erpnext.config import ErpNextConfig
from lotline.connectors.erpnext.payloads import manufacture_entry, transfer_entry
from lotline.model.operational import QualityDecision


class ErpNextSink(CommandSink[ErpNextConfig, ErpNextClient]):
    reference_length = 140  # a Data field
    client_type = ErpNextClient

    async def apply(self, reference: str, command: Command) -> None:
        if isinstance(command, QualityDecisionCommand):
            await self._decide(command)
            return
        ref = self.config.reference_field
        await self.client.require_fields("Stock Entry", ref, "stock_entry_type", "work_order")
        await self.client.require_fields("Stock Entry Detail", "batch_no", "use_serial_batch_fields")
        posted = await self.client.get_list("Stock Entry", ["name"], [[ref, "=", reference]], 0, 1)
        if posted or (isinstance(command, GoodsReceipt) and await self._received(command)):
            return
        entry = await self._entry(command)
        if not entry["items"]:
            return  # an intermediate operation that consumed nothing: nothing for ERPNext to book
        entry[ref] = reference
        await self.client.insert("Stock Entry", entry)

    async def _entry(
        self, command: ProductionConfirmation | GoodsReceipt | QuarantineTransfer
    ) -> dict[str, Any]:
        if isinstance(command, QuarantineTransfer):
            quantity = command.quantity or await self._batch_qty(command.lot)
            if quantity <= 0:
                raise ErpRejected(f"no stock of batch {command.lot!r} in {self.config.stores_warehouse}")
            return transfer_entry(
                command, quantity, self.config.stores_warehouse, self.config.quarantine_warehouse
            )
        order = await self.client.get_doc("Work Order", command.orderId)
        if order is None:
            raise ErpRejected(f"ERPNext has no Work Order {command.orderId!r}")
        if order.get("docstatus") != 1 or order.get("status") in ("Stopped", "Closed", "Cancelled"):
            raise ErpRejected(f"Work Order {command.orderId} is {order.get('status')}: cannot manufacture")
        return manufacture_entry(command, order, self.config.stores_warehouse)

    async def _received(self, command: GoodsReceipt) -> bool:
        """Whether a Manufacture entry of the order already brought in the lot (a final confirmation is the
        receipt in ERPNext: its finished row)."""
        filters = [["work_order", "=", command.orderId], ["docstatus", "=", 1]]
        for listed in await self.client.get_list("Stock Entry", ["name"], filters, 0, 100):
            entry = await self.client.get_doc("Stock Entry", str(listed["name"]))
            rows = (entry or {}).get("items", [])
            if any(row.get("is_finished_item") and row.get("batch_no") == command.lot for row in rows):
                return True
        return False

    async def _batch_qty(self, batch: str) -> float:
        doc = await self.client.get_doc("Batch", batch)
        if doc is None:
            raise ErpRejected(f"ERPNext has no Batch {batch!r}")
        return float(doc.get("batch_qty") or 0)

    async def _decide(self, command: QualityDecisionCommand) -> None:
        if command.decision is QualityDecision.conditional:
            raise ErpRejected("ERPNext batches have no conditional release: map it to released or on_hold")
        if await self.client.get_doc("Batch", command.lot) is None:
            raise ErpRejected(f"ERPNext has no Batch {command.lot!r}")
        blocked = command.decision is not QualityDecision.released
        values: dict[str, Any] = {"disabled": 1 if blocked else 0}
        if command.reason:
            values["description"] = f"{command.decision.value}: {command.reason}"
        await self.client.update("Batch", command.lot, values)
