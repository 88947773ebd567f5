"""The canonical outbound payloads of the ERP sinks: one JSON object per Outbound, ERP-neutral.

`lotline.mapping.erp_commands` builds them from canonical events; each ERP sink turns them into its own
API calls. `kind` says which one:

- `production_confirmation`  an operation of an order reported yield and scrap, with the lots consumed
- `goods_receipt`            a finished lot was received into stock from its production order
- `quality_decision`         a lot was released, put on hold, rejected (usage decision / block)
- `quarantine_transfer`      a lot was moved to quarantine (where the ERP has no hold flag)

A payload that does not fit raises CommandError naming the field, so the sink reports the key failed
with a reason the operator can act on and the dead-letter store keeps the original payload.
"""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from lotline.connectors.erpkit.errors import ErpRejected
from lotline.model.operational import QualityDecision

__all__ = [
    "Command",
    "CommandError",
    "GoodsReceipt",
    "LotQuantity",
    "ProductionConfirmation",
    "QualityDecisionCommand",
    "QuarantineTransfer",
    "parse_command",
]


class CommandError(ErpRejected):
    """The outbound payload is not a command this sink understands; `field` names where."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LotQuantity(_Strict):
    """A quantity of one lot of one item."""

    item: str = Field(min_length=1, description="The ERP's item code (Odoo default_code, ERPNext item_code).")
    lot: str = Field(min_length=1, description="The ERP's lot / batch number.")
    quantity: float = Field(gt=0)
    uom: str | None = None


class ProductionConfirmation(_Strict):
    kind: Literal["production_confirmation"]
    orderId: str = Field(min_length=1)
    operation: str | None = None
    item: str | None = None
    lot: str | None = Field(default=None, description="The lot produced, if any.")
    yieldQuantity: float = Field(ge=0)
    scrapQuantity: float = Field(default=0, ge=0)
    uom: str | None = None
    final: bool = False
    time: AwareDatetime
    consumed: list[LotQuantity] = Field(default_factory=list)


class GoodsReceipt(_Strict):
    kind: Literal["goods_receipt"]
    orderId: str = Field(min_length=1)
    item: str = Field(min_length=1)
    lot: str = Field(min_length=1)
    quantity: float = Field(gt=0)
    uom: str | None = None
    location: str | None = Field(default=None, description="Storage location; the ERP's default if unset.")
    time: AwareDatetime


class QualityDecisionCommand(_Strict):
    kind: Literal["quality_decision"]
    item: str = Field(min_length=1)
    lot: str = Field(min_length=1)
    decision: QualityDecision
    inspectionLot: str | None = None
    reason: str | None = None
    time: AwareDatetime


class QuarantineTransfer(_Strict):
    kind: Literal["quarantine_transfer"]
    item: str = Field(min_length=1)
    lot: str = Field(min_length=1)
    quantity: float | None = Field(default=None, gt=0, description="All of the lot's stock if unset.")
    uom: str | None = None
    reason: str | None = None
    time: AwareDatetime


Command = Annotated[
    ProductionConfirmation | GoodsReceipt | QualityDecisionCommand | QuarantineTransfer,
    Field(discriminator="kind"),
]
_ADAPTER: pydantic.TypeAdapter[Command] = pydantic.TypeAdapter(Command)


def parse_command(payload: bytes) -> Command:
    """The command in an outbound payload, or CommandError naming the offending field."""
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise CommandError(f"the outbound payload is not JSON: {exc}", field="(payload)") from None
    try:
        return _ADAPTER.validate_python(raw)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        path = [str(step) for step in error["loc"]]
        if len(path) > 1 and path[0] in _KINDS:  # drop the union member pydantic put first
            path = path[1:]
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            path = ["kind"]
        field = ".".join(path) or "(payload)"
        raise CommandError(f"outbound command field {field!r}: {error['msg']}", field=field) from None


_KINDS = ("production_confirmation", "goods_receipt", "quality_decision", "quarantine_transfer")
