"""Operational events: what EPCIS does not cover, modelled on ISA-95 / B2MML.

Four kinds, each a small pydantic model carried as the `data` of a CloudEvents envelope whose `type` is
the model's `EVENT_TYPE`:

- `OrderStatus`            a production order changed state (B2MML ProductionSchedule / WorkOrder state)
- `OperationConfirmation`  an operation (segment) of an order reported quantities (B2MML ProductionPerformance)
- `EquipmentState`         a machine or line changed state, with the reason (ISA-95 equipment, PackML states)
- `QualityDisposition`     a lot or unit was released, held, rejected (QMS usage decision)

Field names are camelCase, like EPCIS. Times are RFC 3339 strings with an offset.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

__all__ = [
    "OPERATIONAL_EVENTS",
    "EquipmentState",
    "EquipmentStatus",
    "OperationConfirmation",
    "OperationalEvent",
    "OrderState",
    "OrderStatus",
    "QualityDecision",
    "QualityDisposition",
]


class OperationalEvent(BaseModel):
    """Base of the operational events: strict fields, an event type and the time it happened."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    EVENT_TYPE: ClassVar[str]
    SUBJECT: ClassVar[str]  # the field that names what the event is about (the envelope's subject)

    time: AwareDatetime = Field(description="When it happened (RFC 3339 with offset).")
    plant: str | None = None

    @field_serializer("time")
    def _time(self, value: datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")

    def subject(self) -> str:
        return str(getattr(self, self.SUBJECT))


class OrderState(StrEnum):
    released = "released"
    started = "started"
    held = "held"
    completed = "completed"
    closed = "closed"
    cancelled = "cancelled"


class OrderStatus(OperationalEvent):
    """A production order changed state."""

    EVENT_TYPE = "io.lotline.order.status.v1"
    SUBJECT = "orderId"
    orderId: str = Field(min_length=1)
    status: OrderState
    item: str | None = Field(default=None, description="Product (GTIN or private item id).")
    plannedQuantity: float | None = Field(default=None, ge=0)
    uom: str | None = Field(default=None, description="UN/ECE Rec 20 unit code, e.g. KGM, EA.")


class OperationConfirmation(OperationalEvent):
    """An operation of a production order reported good and scrap quantities."""

    EVENT_TYPE = "io.lotline.operation.confirmation.v1"
    SUBJECT = "orderId"
    orderId: str = Field(min_length=1)
    operation: str = Field(min_length=1, description="Operation / segment id, e.g. 0020.")
    workCenter: str | None = None
    equipment: str | None = None
    yieldQuantity: float = Field(ge=0)
    scrapQuantity: float = Field(default=0, ge=0)
    uom: str | None = None
    lot: str | None = Field(default=None, description="Enterprise identity of the lot produced, if any.")
    final: bool = Field(default=False, description="True when this confirmation completes the operation.")
    periodStart: AwareDatetime | None = Field(
        default=None, description="Start of the counting interval the quantities cover (`time` is its end)."
    )


class EquipmentStatus(StrEnum):
    """PackML-style states, reduced to what availability and downtime reports need."""

    running = "running"
    idle = "idle"
    starved = "starved"
    blocked = "blocked"
    stopped = "stopped"
    down = "down"
    maintenance = "maintenance"
    offline = "offline"


class EquipmentState(OperationalEvent):
    """A machine or line entered a state."""

    EVENT_TYPE = "io.lotline.equipment.state.v1"
    SUBJECT = "equipment"
    equipment: str = Field(min_length=1)
    state: EquipmentStatus
    reason: str | None = Field(default=None, description="Downtime or stop reason code.")
    periodStart: AwareDatetime | None = Field(
        default=None, description="When a period ends (e.g. a downtime): when it began (`time` is its end)."
    )
    durationSeconds: float | None = Field(default=None, ge=0, description="Length of that period.")
    counters: dict[str, float] = Field(default_factory=dict, description="e.g. good, reject, speed.")


class QualityDecision(StrEnum):
    released = "released"
    on_hold = "on_hold"
    rejected = "rejected"
    conditional = "conditional"


class QualityDisposition(OperationalEvent):
    """A quality decision on a lot or unit."""

    EVENT_TYPE = "io.lotline.quality.disposition.v1"
    SUBJECT = "lot"
    lot: str = Field(min_length=1, description="EPC URN, Digital Link or enterprise identity.")
    decision: QualityDecision
    inspectionLot: str | None = None
    reason: str | None = None
    decidedBy: str | None = None


OPERATIONAL_EVENTS: dict[str, type[OperationalEvent]] = {
    model.__name__: model
    for model in (OrderStatus, OperationConfirmation, EquipmentState, QualityDisposition)
}


def event_data(model: OperationalEvent) -> dict[str, Any]:
    """The event as the envelope's `data`: JSON types, unset optional fields left out."""
    return model.model_dump(mode="json", exclude_none=True)
