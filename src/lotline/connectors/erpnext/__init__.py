"""The erpnext connector: ERPNext v15+ over the Frappe REST API (see docs/erp.md)."""

from lotline.connectors.base import ConnectorSpec
from lotline.connectors.erpnext.client import ErpNextClient
from lotline.connectors.erpnext.config import ErpNextConfig
from lotline.connectors.erpnext.sink import ErpNextSink
from lotline.connectors.erpnext.source import ErpNextSource

__all__ = ["SPEC", "ErpNextClient", "ErpNextConfig", "ErpNextSink", "ErpNextSource"]

SPEC = ConnectorSpec(
    kind="erpnext",
    config=ErpNextConfig,
    summary="ERPNext v15+ (Frappe REST): polls work orders, receipts, batches; posts stock entries, blocks.",
    source=ErpNextSource,
    sink=ErpNextSink,
)
