"""The SAP source: polls production orders (API_PRODUCTION_ORDER_2_SRV A_ProductionOrder_2, released
ones, by LastChangeDateTime), batches (API_BATCH_SRV Batch, by LastChangeDateTime), goods receipts
(API_MATERIAL_DOCUMENT_SRV A_MaterialDocumentHeader, goods movement code 01 = GR for purchase order, with
their items; documents are immutable, so CreationDate + CreationTime is the change time) and inspection
lots (API_INSPECTIONLOT_SRV A_InspectionLot, by ChangedDateTime)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lotline.connectors.erpkit.polling import PollingSource, Record
from lotline.connectors.erpkit.positions import Cursor
from lotline.connectors.sap.client import SapClient, parse_date
from lotline.connectors.sap.config import SapConfig


@dataclass(frozen=True, slots=True)
class Feed:
    service: str
    entity_set: str
    keys: tuple[str, ...]
    changed: str  # the change-time property ("" for material documents: CreationDate + CreationTime)
    filter: str = ""
    expand: str = ""


FEEDS = {
    "production_orders": Feed(
        "API_PRODUCTION_ORDER_2_SRV",
        "A_ProductionOrder_2",
        ("ManufacturingOrder",),
        "LastChangeDateTime",
        "OrderIsReleased eq 'X'",
    ),
    "batches": Feed(
        "API_BATCH_SRV", "Batch", ("Material", "BatchIdentifyingPlant", "Batch"), "LastChangeDateTime"
    ),
    "goods_receipts": Feed(
        "API_MATERIAL_DOCUMENT_SRV",
        "A_MaterialDocumentHeader",
        ("MaterialDocumentYear", "MaterialDocument"),
        "",
        "GoodsMovementCode eq '01'",
        "to_MaterialDocumentItem",
    ),
    "inspection_lots": Feed(
        "API_INSPECTIONLOT_SRV", "A_InspectionLot", ("InspectionLot",), "ChangedDateTime"
    ),
}
_TIME = re.compile(r"PT(\d+)H(\d+)M(\d+)S")


def change_time(feed: Feed, record: Record) -> str:
    """The record's change time as `YYYY-MM-DDTHH:MM:SS.fffZ`."""
    if feed.changed:
        return parse_date(str(record[feed.changed]))
    day = parse_date(str(record["CreationDate"]))[:10]
    hours, minutes, seconds = _TIME.fullmatch(str(record["CreationTime"])).groups()  # type: ignore[union-attr]
    return f"{day}T{int(hours):02d}:{int(minutes):02d}:{int(seconds):02d}.000Z"


class SapSource(PollingSource[SapConfig, SapClient]):
    topic_prefix = "sap"
    client_type = SapClient

    def key(self, feed: str, record: Record) -> str:
        return "/".join(str(record[k]) for k in FEEDS[feed].keys)

    def cursor(self, feed: str, record: Record) -> Cursor:
        return (change_time(FEEDS[feed], record), self.key(feed, record))

    async def fetch(self, feed: str, since: str | None) -> list[Record]:
        spec = FEEDS[feed]
        clauses = [spec.filter] if spec.filter else []
        if since is not None:
            if spec.changed:
                clauses.append(f"{spec.changed} ge datetimeoffset'{since}'")
            else:
                clauses.append(f"CreationDate ge datetime'{since[:10]}T00:00:00'")
        order = spec.changed or "CreationDate,CreationTime"
        params = {"$orderby": ",".join([order, *spec.keys]), "$top": self.config.page_size}
        if clauses:
            params["$filter"] = " and ".join(clauses)
        if spec.expand:
            params["$expand"] = spec.expand
        records: list[Record] = []
        while True:
            page = await self.client.get(spec.service, spec.entity_set, {**params, "$skip": len(records)})
            records.extend(page)
            if len(page) < self.config.page_size:
                break
        for record in records:
            record.pop("__metadata", None)
        records.sort(key=lambda r: self.cursor(feed, r))
        return records
