"""The Odoo source: polls mrp.production, incoming stock.picking, stock.lot, product.product and mrp.bom by
write_date (UTC, second precision: ties are common and broken by id). Receipts carry their move lines
(product, lot, quantity) so one message is one complete receipt."""

from __future__ import annotations

from typing import Any

import httpx

from lotline.connectors.base import Check
from lotline.connectors.erpkit.polling import PollingSource, Record
from lotline.connectors.erpkit.positions import Cursor, FilePositions, MemoryPositions, Positions
from lotline.connectors.odoo.client import OdooClient
from lotline.connectors.odoo.config import OdooConfig
from lotline.connectors.wrappers.retry import RetryPolicy

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


class OdooSource(PollingSource):
    def __init__(
        self,
        config: OdooConfig,
        positions: Positions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if positions is None:
            positions = FilePositions(config.position_file) if config.position_file else MemoryPositions()
        super().__init__(
            config.name,
            config.feeds,
            positions,
            poll_interval=config.poll_interval,
            since=config.since,
            overlap=config.overlap_seconds,
            retry_policy=RetryPolicy(max_attempts=config.retry_attempts, base_delay=0.2, max_delay=30.0),
            topic_prefix="odoo",
        )
        self.config = config
        self._transport = transport
        self.client = OdooClient(config, transport)

    async def open(self) -> None:
        self.client = OdooClient(self.config, self._transport)

    async def shut(self) -> None:
        await self.client.aclose()

    async def probe(self) -> Check:
        client = OdooClient(self.config, self._transport)
        try:
            await client.call("res.users", "search_count", domain=[])
        finally:
            await client.aclose()
        return Check(True, f"Odoo at {self.config.url} ({self.config.protocol})")

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
        return records

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
