"""The odoo connector's options (the model is also the documentation: docs/connectors.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from lotline.connectors.base import ConnectorConfig
from lotline.connectors.erpkit import options

OdooFeed = Literal["production_orders", "receipts", "lots", "items", "boms"]


def _default_feeds() -> list[OdooFeed]:
    return ["production_orders", "receipts", "lots"]


class OdooConfig(ConnectorConfig):
    """Odoo 17 to 19 over HTTP: reads orders, receipts, lots, items and BOMs; posts confirmations, receipts
    of finished lots and quarantine transfers."""

    url: str = Field(description="Base URL of the Odoo server, e.g. https://erp.example.com.")
    database: str | None = Field(
        default=None,
        description="Database name: sent as X-Odoo-Database (JSON-2) and needed by JSON-RPC execute_kw.",
    )
    protocol: Literal["json2", "jsonrpc"] = Field(
        default="json2",
        description="json2: POST /json/2/<model>/<method> (Odoo 19+); jsonrpc: /jsonrpc execute_kw (17, 18).",
    )
    login: str | None = Field(
        default=None, description="User login; jsonrpc only (execute_kw authenticates by uid and API key)."
    )
    api_key: SecretStr | None = Field(default=None, description="API key of the integration user.")
    api_key_file: Path | None = Field(
        default=None, description="File holding the API key, re-read when Odoo refuses the key (rotation)."
    )
    name: options.SourceName = "odoo"
    feeds: list[OdooFeed] = Field(
        default_factory=_default_feeds,
        description="What the source polls: production_orders (mrp.production), receipts (incoming "
        "stock.picking, done), lots (stock.lot), items (product.product), boms (mrp.bom).",
    )
    since: str | None = Field(
        default=None,
        description="Read records changed at or after this write_date (UTC, 'YYYY-MM-DD HH:MM:SS').",
    )
    poll_interval: options.PollInterval = 30.0
    overlap_seconds: options.OverlapSeconds = 60.0
    page_size: int = Field(default=200, ge=1, le=10000, description="Records per search_read page.")
    position_file: options.PositionFile = None
    stock_location: str = Field(
        default="WH/Stock", description="complete_name of the stock location lots are released to."
    )
    hold_location: str = Field(
        default="WH/Quarantine",
        description="complete_name of the hold location: quarantine is a transfer there (no hold flag).",
    )
    internal_picking_type: str = Field(
        default="Internal Transfers", description="Name of the stock.picking.type used for quarantine moves."
    )
    reference_field: str = Field(
        default="x_lotline_ref",
        description="Char field on stock.move.line carrying lotline's idempotency key (create it once).",
    )
    timeout: options.Timeout = 30.0
    retry_attempts: options.RetryAttempts = 5
