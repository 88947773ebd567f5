"""The erpnext connector's options (the model is also the documentation: docs/connectors.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from lotline.connectors.base import ConnectorConfig
from lotline.connectors.erpkit import options

ErpNextFeed = Literal["work_orders", "purchase_receipts", "batches", "items", "boms"]


def _default_feeds() -> list[ErpNextFeed]:
    return ["work_orders", "purchase_receipts", "batches"]


class ErpNextConfig(ConnectorConfig):
    """ERPNext v15+ over the Frappe REST API: reads work orders, purchase receipts, batches, items, BOMs;
    posts Manufacture and Material Transfer stock entries and batch blocks."""

    url: str = Field(description="Base URL of the Frappe site, e.g. https://erp.example.com.")
    api_key: str = Field(description="API key of the integration user (Authorization: token key:secret).")
    api_secret: SecretStr | None = Field(default=None, description="API secret of the integration user.")
    api_secret_file: Path | None = Field(
        default=None, description="File holding the API secret, re-read when ERPNext refuses it (rotation)."
    )
    name: options.SourceName = "erpnext"
    feeds: list[ErpNextFeed] = Field(
        default_factory=_default_feeds,
        description="What the source polls: work_orders (submitted Work Order), purchase_receipts "
        "(submitted Purchase Receipt, with items), batches (Batch), items (Item), boms (submitted BOM).",
    )
    since: str | None = Field(
        default=None, description="Read documents modified at or after this time ('YYYY-MM-DD HH:MM:SS')."
    )
    poll_interval: options.PollInterval = 30.0
    overlap_seconds: options.OverlapSeconds = 60.0
    page_size: int = Field(default=100, ge=1, le=1000, description="limit_page_length per list request.")
    position_file: options.PositionFile = None
    stores_warehouse: str = Field(
        default="Stores - LL", description="Warehouse that lots are released to and consumed from."
    )
    quarantine_warehouse: str = Field(
        default="Quarantine - LL", description="Warehouse a quarantine_transfer moves a batch to."
    )
    reference_field: str = Field(
        default="custom_lotline_ref",
        description="Custom Data field on Stock Entry carrying lotline's idempotency key (create it once).",
    )
    timeout: options.Timeout = 30.0
    retry_attempts: options.RetryAttempts = 5
