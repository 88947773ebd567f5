"""The Odoo source: polls mrp.production, incoming stock.picking, stock.lot, product.product and mrp.bom by
write_date (UTC, second precision: ties are common and broken by id). Receipts carry their move lines
(product, lot, quantity) so one message is one complete receipt.

Production orders carry their product's item code as `product_default_code`: product.product's
`default_code` (the "Internal Reference" of Odoo's product form), read by id (`read`, which also reads
archived products), or false when the product has none. The many2one `product_id` is `[id, display name]`,
and the display name is no item code: it is "[default_code] name" only while the context key
`display_default_code` is unset or true, and its name part is translated into the user's language."""

from __future__ import annotations

from typing import Any

from lotline.connectors.erpkit.polling import PollingSource, Record
from lotline.connectors.erpkit.positions import Cursor
from lotline.connectors.odoo.client import OdooClient
from lotline.connectors.odoo.config import OdooConfig

# feed -> (model, domain, fields)
FEEDS: dict[str, tuple[str, list[Any], list[str]]] = {
    "production_orders": (
        "mrp.production",
        [["state", "!=", "draft"]],
        [
            "name",
            "state",
            "product_id",
            "product_qty",
            "product_uom_id",
            "lot_producing_id",
            "origin",
            "date_start",
            "write_date",
        ],
    ),
    "receipts": (
        "stock.picking",
        [["picking_type_code", "=", "incoming"], ["state", "=", "done"]],
        ["name", "origin", "partner_id", "date_done", "location_dest_id", "write_date"],
    ),
    "lots": ("stock.lot", [], ["name", "product_id", "ref", "expiration_date", "write_date"]),
    "items": ("product.product", [], ["default_code", "name", "barcode", "uom_id", "write_date"]),
    "boms": (
        "mrp.bom",
        [],
        [
            "code",
            "product_tmpl_id",
            "product_id",
            "product_qty",
            "product_uom_id",
            "bom_line_ids",
            "write_date",
        ],
    ),
}
MOVE_LINE_FIELDS = ["picking_id", "product_id", "lot_id", "lot_name", "quantity", "product_uom_id"]


class OdooSource(PollingSource[OdooConfig, OdooClient]):
    topic_prefix = "odoo"
    client_type = OdooClient

    def key(self, feed: str, record: Record) -> str:
        return str(record["id"])

    def cursor(self, feed: str, record: Record) -> Cursor:
        return (str(record["write_date"]), f"{int(record['id']):012d}")

    async def fetch(self, feed: str, since: str | None) -> list[Record]:
        model, domain, fields = FEEDS[feed]
        if since is not None:
            domain = [*domain, ["write_date", ">=", since]]
        records: list[Record] = []
        while True:
            page = await self.client.call(
                model,
                "search_read",
                domain=domain,
                fields=fields,
                order="write_date asc, id asc",
                limit=self.config.page_size,
                offset=len(records),
            )
            records.extend(page)
            if len(page) < self.config.page_size:
                break
        if feed == "receipts" and records:
            await self._attach_move_lines(records)
        if feed == "production_orders" and records:
            await self._attach_product_codes(records)
        return records

    async def _attach_product_codes(self, orders: list[Record]) -> None:
        """Each order's `product_default_code`: its product's default_code (false when it has none)."""
        ids = sorted({product for order in orders if (product := _m2o(order.get("product_id")))})
        codes: dict[int, Any] = {}
        if ids:
            products = await self.client.call("product.product", "read", ids=ids, fields=["default_code"])
            codes = {int(p["id"]): p.get("default_code") or False for p in products}
        for order in orders:
            order["product_default_code"] = codes.get(_m2o(order.get("product_id")) or 0, False)

    async def _attach_move_lines(self, pickings: list[Record]) -> None:
        lines = await self.client.call(
            "stock.move.line",
            "search_read",
            domain=[["picking_id", "in", [p["id"] for p in pickings]]],
            fields=MOVE_LINE_FIELDS,
            order="id asc",
        )
        by_picking: dict[int, list[Record]] = {}
        for line in lines:
            by_picking.setdefault(int(line["picking_id"][0]), []).append(line)
        for picking in pickings:
            picking["move_lines"] = by_picking.get(int(picking["id"]), [])


def _m2o(value: Any) -> int | None:
    """The id of a many2one value ([id, display name]), None when unset (false)."""
    return int(value[0]) if isinstance(value, list) and value else None
