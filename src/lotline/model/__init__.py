"""lotline's own canonical model beside EPCIS: the CloudEvents envelope and the operational events."""

from lotline.model.envelope import CloudEvent
from lotline.model.operational import (
    OPERATIONAL_EVENTS,
    EquipmentState,
    EquipmentStatus,
    OperationalEvent,
    OperationConfirmation,
    OrderState,
    OrderStatus,
    QualityDecision,
    QualityDisposition,
    event_data,
)

__all__ = [
    "OPERATIONAL_EVENTS",
    "CloudEvent",
    "EquipmentState",
    "EquipmentStatus",
    "OperationConfirmation",
    "OperationalEvent",
    "OrderState",
    "OrderStatus",
    "QualityDecision",
    "QualityDisposition",
    "event_data",
]
