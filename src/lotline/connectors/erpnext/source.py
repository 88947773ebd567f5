"""The ERPNext source: polls submitted Work Orders, submitted Purchase Receipts (each with its items, read
as the whole document), Batches, Items and BOMs by `modified` (microsecond precision; ties broken by name)."""

from __future__ import annotations

from typing import Any

from lotline.connectors.erpkit.polling import PollingSource, Record
from lotline.connectors.erpkit.positions import Cursor
from lotline.connectors.erpnext.client import ErpNextClient
from lotline.connectors.erpnext.config import ErpNextConfig

# feed -> (DocType, filters, fields, read the whole document)
FEEDS: dict[str, tuple[str, list[Any], list[str], bool]] = {
    "work_orders": (
        "Work Order",
        [["docstatus", "=", 1]],
        [
            "name",
            "status",
            "production_item",
            "qty",
            "produced_qty",
            "stock_uom",
            "bom_no",
            "fg_warehouse",
            "planned_start_date",
            "modified",
        ],
        False,
    ),
    "purchase_receipts": ("Purchase Receipt", [["docstatus", "=", 1]], ["name", "modified"], True),
    "batches": (
        "Batch",
        [],
        [
            "name",
            "batch_id",
            "item",
            "manufacturing_date",
            "expiry_date",
            "disabled",
            "supplier",
            "description",
            "modified",
        ],
        False,
    ),
    "items": (
        "Item",
        [],
        ["name", "item_code", "item_name", "stock_uom", "has_batch_no", "gtin", "modified"],
        False,
    ),
    "boms": ("BOM", [["docstatus", "=", 1]], ["name", "modified"], True),
}


class ErpNextSource(PollingSource[ErpNextConfig, ErpNextClient]):
    topic_prefix = "erpnext"
    client_type = ErpNextClient

    def key(self, feed: str, record: Record) -> str:
        return str(record["name"])

    def cursor(self, feed: str, record: Record) -> Cursor:
        return (str(record["modified"]), str(record["name"]))

    async def fetch(self, feed: str, since: str | None) -> list[Record]:
        doctype, filters, fields, whole = FEEDS[feed]
        if since is not None:
            filters = [*filters, ["modified", ">=", since]]
        records: list[Record] = []
        while True:
            page = await self.client.get_list(doctype, fields, filters, len(records), self.config.page_size)
            records.extend(page)
            if len(page) < self.config.page_size:
                break
        if not whole:
            return records
        docs = []
        for record in records:
            doc = await self.client.get_doc(doctype, str(record["name"]))
            if doc is not None:
                doc["modified"] = record["modified"]  # the listed version's cursor, even if changed since
                docs.append(doc)
        return docs
