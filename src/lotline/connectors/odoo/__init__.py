"""The odoo connector: Odoo 17 to 19 over JSON-2 or JSON-RPC (see docs/erp.md).

source = OdooSource(OdooConfig(url=..., api_key=..., feeds=["production_orders"]))
sink = resilient(OdooSink(OdooConfig(...)), name="odoo", retry=RetryPolicy(), park=dlq)
"""

from lotline.connectors.base import ConnectorSpec
from lotline.connectors.odoo.client import OdooClient
from lotline.connectors.odoo.config import OdooConfig
from lotline.connectors.odoo.sink import OdooSink
from lotline.connectors.odoo.source import OdooSource

__all__ = ["SPEC", "OdooClient", "OdooConfig", "OdooSink", "OdooSource"]

SPEC = ConnectorSpec(
    kind="odoo",
    config=OdooConfig,
    summary="Odoo 17-19 (JSON-2 / JSON-RPC): polls orders, receipts, lots; posts confirmations and holds.",
    source=OdooSource,
    sink=OdooSink,
)
