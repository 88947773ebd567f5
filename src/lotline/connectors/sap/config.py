"""The sap connector's options (the model is also the documentation: docs/connectors.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from lotline.connectors.base import ConnectorConfig
from lotline.connectors.erpkit import options

SapFeed = Literal["production_orders", "batches", "goods_receipts", "inspection_lots"]


def _default_feeds() -> list[SapFeed]:
    return ["production_orders", "goods_receipts", "batches"]


class SapConfig(ConnectorConfig):
    """SAP S/4HANA over its OData V2 APIs: reads production orders, batches, goods receipts and inspection
    lots; posts order confirmations with goods movements, goods receipts, usage decisions, blocked stock."""

    url: str = Field(
        description="Base URL of the S/4HANA system (the services are under /sap/opu/odata/sap/)."
    )
    auth: Literal["oauth2", "basic"] = Field(
        default="oauth2", description="oauth2: client credentials at token_url; basic: username and password."
    )
    token_url: str | None = Field(default=None, description="OAuth2 token endpoint (auth: oauth2).")
    client_id: str | None = Field(default=None, description="OAuth2 client id (auth: oauth2).")
    client_secret: SecretStr | None = Field(default=None, description="OAuth2 client secret (auth: oauth2).")
    client_secret_file: Path | None = Field(
        default=None,
        description="File holding the client secret or password, re-read when refused (rotation).",
    )
    username: str | None = Field(default=None, description="Communication user (auth: basic).")
    password: SecretStr | None = Field(default=None, description="Its password (auth: basic).")
    sap_client: str | None = Field(
        default=None, description="The sap-client (mandant) sent on every request."
    )
    name: options.SourceName = "sap"
    feeds: list[SapFeed] = Field(
        default_factory=_default_feeds,
        description="What the source polls: production_orders (A_ProductionOrder_2), batches (API_BATCH_SRV), "
        "goods_receipts (material documents, movement code 01), inspection_lots (A_InspectionLot).",
    )
    since: str | None = Field(
        default=None, description="Read what changed at or after this UTC time ('2026-12-01T00:00:00.000Z')."
    )
    poll_interval: options.PollInterval = 30.0
    overlap_seconds: options.OverlapSeconds = 60.0
    page_size: int = Field(
        default=100, ge=1, le=5000, description="$top per request (server paging via __next)."
    )
    position_file: options.PositionFile = None
    plant: str = Field(default="1010", description="Plant of goods movements.")
    storage_location: str = Field(default="101A", description="Storage location of goods movements.")
    ud_code_group: str = Field(default="01", description="Usage decision code group (catalog 3).")
    ud_selected_set: str = Field(default="01", description="Usage decision selected set.")
    accept_code: str = Field(default="A", description="Usage decision code for released.")
    reject_code: str = Field(default="R", description="Usage decision code for rejected and on_hold.")
    timeout: options.Timeout = 30.0
    retry_attempts: options.RetryAttempts = 5
