"""The sap connector: SAP S/4HANA OData V2 APIs (see docs/erp.md)."""

from lotline.connectors.base import ConnectorSpec
from lotline.connectors.sap.client import SapClient
from lotline.connectors.sap.config import SapConfig
from lotline.connectors.sap.sink import SapSink
from lotline.connectors.sap.source import SapSource

__all__ = ["SPEC", "SapClient", "SapConfig", "SapSink", "SapSource"]

SPEC = ConnectorSpec(
    kind="sap",
    config=SapConfig,
    summary="SAP S/4HANA OData V2: polls orders, batches, receipts; posts confirmations, receipts, decisions.",
    source=SapSource,
    sink=SapSink,
)
