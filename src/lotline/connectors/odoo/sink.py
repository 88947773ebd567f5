"""The Odoo sink: production confirmations with the consumed lots, receipts of finished lots, quality
decisions and quarantine transfers, each applied idempotently.

- production_confirmation: one stock.move.line per consumed lot on the order's component move, carrying
  the reference in `reference_field` (a custom char field, `x_lotline_ref` by default: Odoo has no free
  reference on move lines, so a real server needs it created once, with Studio or a small module); lines
  already carrying the reference are not created again. Then `qty_producing` / `lot_producing_id` on the
  mrp.production, and `button_mark_done` when the confirmation is final.
- goods_receipt: the finished lot on the order and `button_mark_done` (idempotent by the order's state).
- quality_decision / quarantine_transfer: Odoo has no hold flag on stock.lot, so a hold is an internal
  transfer of the lot's stock to `hold_location`, a release a transfer back; the picking's `origin`
  (Source Document) carries the reference, so a retried transfer is found, not created twice.

Before writing a model the sink checks its fields (fields_get): Odoo's create() ignores unknown fields
with only a server-side warning, so a renamed field (Odoo 16's qty_done is Odoo 17's quantity) would
otherwise be lost silently.
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
from lotline.connectors.odoo.client import OdooClient
from lotline.connectors.odoo.config import OdooConfig
from lotline.connectors.odoo.payloads import (
    consumption_line,
    m2o,
    transfer_line,
    transfer_move,
    transfer_picking,
)
from lotline.model.operational import QualityDecision

DONE = ("done", "cancel")


class OdooSink(CommandSink[OdooConfig, OdooClient]):
    reference_length = 64
    client_type = OdooClient

    async def apply(self, reference: str, command: Command) -> None:
        if isinstance(command, ProductionConfirmation):
            await self._confirm(reference, command)
        elif isinstance(command, GoodsReceipt):
            await self._receive(command)
        elif isinstance(command, QualityDecisionCommand):
            await self._decide(reference, command)
        else:
            await self._transfer(reference, command, self.config.stock_location, self.config.hold_location)

    # --- lookups --------------------------------------------------------------------------------------

    async def _one(self, model: str, domain: list[Any], fields: list[str], what: str) -> dict[str, Any]:
        found = await self.client.call(model, "search_read", domain=domain, fields=fields, limit=1)
        if not found:
            raise ErpRejected(f"Odoo has no {what}")
        record: dict[str, Any] = found[0]
        return record

    async def _order(self, name: str) -> dict[str, Any]:
        return await self._one(
            "mrp.production",
            [["name", "=", name]],
            ["state", "product_id", "lot_producing_id"],
            f"production order {name!r} (mrp.production)",
        )

    async def _product(self, code: str) -> int:
        found = await self._one("product.product", [["default_code", "=", code]], ["id"], f"item {code!r}")
        return int(found["id"])

    async def _lot(self, product: int, name: str, create: bool = False) -> int:
        domain = [["name", "=", name], ["product_id", "=", product]]
        found = await self.client.call("stock.lot", "search_read", domain=domain, fields=["id"], limit=1)
        if found:
            return int(found[0]["id"])
        if not create:
            raise ErpRejected(f"Odoo has no lot {name!r} of product id {product}")
        created = await self.client.call(
            "stock.lot", "create", vals_list=[{"name": name, "product_id": product}]
        )
        return int(created[0])

    async def _location(self, name: str) -> int:
        found = await self._one(
            "stock.location", [["complete_name", "=", name]], ["id"], f"location {name!r}"
        )
        return int(found["id"])

    # --- commands -------------------------------------------------------------------------------------

    async def _confirm(self, reference: str, command: ProductionConfirmation) -> None:
        ref = self.config.reference_field
        await self.client.require_fields("stock.move.line", "quantity", "lot_id", "move_id", ref)
        order = await self._order(command.orderId)
        if order["state"] in DONE:
            posted = await self.client.call("stock.move.line", "search_count", domain=[[ref, "=", reference]])
            if posted or not command.consumed:
                return
            raise ErpRejected(f"production order {command.orderId} is {order['state']}: cannot consume lots")
        existing = await self.client.call(
            "stock.move.line", "search_read", domain=[[ref, "=", reference]], fields=["product_id", "lot_id"]
        )
        done = {(m2o(line["product_id"]), m2o(line["lot_id"])) for line in existing}
        for used in command.consumed:
            product = await self._product(used.item)
            lot = await self._lot(product, used.lot)
            if (product, lot) in done:
                continue
            move = await self._one(
                "stock.move",
                [["raw_material_production_id", "=", order["id"]], ["product_id", "=", product]],
                ["location_id", "location_dest_id"],
                f"component move of {used.item!r} on order {command.orderId}",
            )
            line = consumption_line(move, product, lot, used.quantity, ref, reference)
            await self.client.call("stock.move.line", "create", vals_list=[line])
        values: dict[str, Any] = {"qty_producing": command.yieldQuantity}
        if command.lot:
            values["lot_producing_id"] = await self._lot(m2o(order["product_id"]), command.lot, create=True)
        await self.client.call("mrp.production", "write", ids=[order["id"]], vals=values)
        if command.final:
            await self._mark_done(order["id"], command.orderId)

    async def _receive(self, command: GoodsReceipt) -> None:
        order = await self._order(command.orderId)
        lot = await self._lot(m2o(order["product_id"]), command.lot, create=True)
        if order["state"] == "done":
            if m2o(order["lot_producing_id"]) != lot:
                raise ErpRejected(f"order {command.orderId} is done with another finished lot")
            return
        values = {"lot_producing_id": lot, "qty_producing": command.quantity}
        await self.client.call("mrp.production", "write", ids=[order["id"]], vals=values)
        await self._mark_done(order["id"], command.orderId)

    async def _mark_done(self, order_id: int, name: str) -> None:
        context = {"skip_backorder": True}
        await self.client.call("mrp.production", "button_mark_done", ids=[order_id], context=context)
        state = (await self._order(name))["state"]
        if state != "done":  # Odoo answered with a wizard (backorder, consumption warning) instead
            raise ErpRejected(f"Odoo did not close order {name} (state {state}): it asks for a decision")

    async def _decide(self, reference: str, command: QualityDecisionCommand) -> None:
        hold, stock = self.config.hold_location, self.config.stock_location
        if command.decision in (QualityDecision.on_hold, QualityDecision.rejected):
            await self._transfer(reference, command, stock, hold)
        elif command.decision is QualityDecision.released:
            await self._transfer(reference, command, hold, stock, nothing_is_fine=True)
        else:
            raise ErpRejected("Odoo has no conditional release: map the decision to released or on_hold")

    async def _transfer(
        self,
        reference: str,
        command: QualityDecisionCommand | QuarantineTransfer,
        source: str,
        destination: str,
        nothing_is_fine: bool = False,
    ) -> None:
        await self.client.require_fields("stock.picking", "origin", "picking_type_id")
        found = await self.client.call(
            "stock.picking", "search_read", domain=[["origin", "=", reference]], fields=["state"], limit=1
        )
        if found:
            if found[0]["state"] != "done":
                await self.client.call("stock.picking", "button_validate", ids=[found[0]["id"]])
            return
        product = await self._product(command.item)
        lot = await self._lot(product, command.lot)
        src, dst = await self._location(source), await self._location(destination)
        quantity = getattr(command, "quantity", None) or await self._on_hand(lot, src)
        if quantity <= 0:
            if nothing_is_fine:
                return
            raise ErpRejected(f"no stock of lot {command.lot!r} at {source} to move to {destination}")
        kind = await self._one(
            "stock.picking.type", [["name", "=", self.config.internal_picking_type]], ["id"], "internal type"
        )
        [picking] = await self.client.call(
            "stock.picking",
            "create",
            vals_list=[transfer_picking(kind["id"], src, dst, reference, command.reason)],
        )
        [move] = await self.client.call(
            "stock.move", "create", vals_list=[transfer_move(picking, product, quantity, src, dst, reference)]
        )
        line = transfer_line(picking, move, product, lot, quantity, src, dst)
        await self.client.call("stock.move.line", "create", vals_list=[line])
        await self.client.call("stock.picking", "button_validate", ids=[picking])

    async def _on_hand(self, lot: int, location: int) -> float:
        quants = await self.client.call(
            "stock.quant",
            "search_read",
            domain=[["lot_id", "=", lot], ["location_id", "=", location]],
            fields=["quantity"],
        )
        return float(sum(q["quantity"] for q in quants))
