"""What the ERP connectors (odoo, erpnext, sap) share: the error tree, the HTTP client base, the options
every ERP config has (`options`), the client lifecycle of sources and sinks (`lifecycle`), the polling
source with watermarks, the command sink and the canonical outbound commands. Not a connector kind."""

from lotline.connectors.erpkit.commands import (
    Command,
    CommandError,
    GoodsReceipt,
    LotQuantity,
    ProductionConfirmation,
    QualityDecisionCommand,
    QuarantineTransfer,
    parse_command,
)
from lotline.connectors.erpkit.errors import (
    ErpAuthError,
    ErpError,
    ErpRejected,
    ErpSchemaError,
    ErpUnavailable,
)
from lotline.connectors.erpkit.positions import Cursor, FilePositions, MemoryPositions, Position, Positions

__all__ = [
    "Command",
    "CommandError",
    "Cursor",
    "ErpAuthError",
    "ErpError",
    "ErpRejected",
    "ErpSchemaError",
    "ErpUnavailable",
    "FilePositions",
    "GoodsReceipt",
    "LotQuantity",
    "MemoryPositions",
    "Position",
    "Positions",
    "ProductionConfirmation",
    "QualityDecisionCommand",
    "QuarantineTransfer",
    "parse_command",
]
