"""The CloudEvents envelope and the operational events."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import lotline.model
from lotline.model import (
    OPERATIONAL_EVENTS,
    CloudEvent,
    EquipmentState,
    OperationConfirmation,
    OrderStatus,
    QualityDisposition,
    event_data,
)


def test_public_api() -> None:
    assert sorted(lotline.model.__all__) == sorted(
        [
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
    )


def test_envelope_json_has_cloudevents_attributes_and_lotline_extensions() -> None:
    envelope = CloudEvent(
        id="e1",
        source="mes-1",
        type=OrderStatus.EVENT_TYPE,
        time="2026-12-01T10:00:00Z",
        subject="MO-1",
        data={"orderId": "MO-1"},
        plant="plant-a",
        correlationid="MO-1",
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
    assert envelope.to_json() == {
        "specversion": "1.0",
        "id": "e1",
        "source": "mes-1",
        "type": "io.lotline.order.status.v1",
        "time": "2026-12-01T10:00:00Z",
        "subject": "MO-1",
        "datacontenttype": "application/json",
        "data": {"orderId": "MO-1"},
        "plant": "plant-a",
        "correlationid": "MO-1",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }
    minimal = CloudEvent(id="e2", source="s", type="t").to_json()
    assert minimal == {
        "specversion": "1.0",
        "id": "e2",
        "source": "s",
        "type": "t",
        "datacontenttype": "application/json",
    }
    with pytest.raises(ValidationError):
        CloudEvent(id="", source="s", type="t")
    with pytest.raises(ValidationError):
        CloudEvent.model_validate({"id": "e", "source": "s", "type": "t", "colour": "red"})


def test_operational_events() -> None:
    assert set(OPERATIONAL_EVENTS) == {
        "OrderStatus",
        "OperationConfirmation",
        "EquipmentState",
        "QualityDisposition",
    }
    types = {model.EVENT_TYPE for model in OPERATIONAL_EVENTS.values()}
    assert len(types) == 4 and all(t.startswith("io.lotline.") and t.endswith(".v1") for t in types)
    confirmation = OperationConfirmation.model_validate(
        {"time": "2026-12-01T10:00:00+01:00", "orderId": "MO-1", "operation": "0010", "yieldQuantity": 5}
    )
    assert event_data(confirmation) == {
        "time": "2026-12-01T10:00:00+01:00",
        "orderId": "MO-1",
        "operation": "0010",
        "yieldQuantity": 5.0,
        "scrapQuantity": 0.0,
        "final": False,
    }
    assert confirmation.subject() == "MO-1"
    state = EquipmentState.model_validate(
        {"time": "2026-12-01T09:00:00Z", "equipment": "F1", "state": "down"}
    )
    assert event_data(state)["time"] == "2026-12-01T09:00:00Z" and state.subject() == "F1"
    disposition = QualityDisposition.model_validate(
        {"time": "2026-12-01T09:00:00Z", "lot": "L", "decision": "on_hold"}
    )
    assert disposition.subject() == "L"


@pytest.mark.parametrize(
    "data",
    [
        {"time": "2026-12-01T10:00:00", "orderId": "MO-1", "status": "released"},  # no offset
        {"time": "2026-12-01T10:00:00Z", "orderId": "MO-1", "status": "misplaced"},
        {"time": "2026-12-01T10:00:00Z", "orderId": "", "status": "released"},
        {"time": "2026-12-01T10:00:00Z", "orderId": "MO-1", "status": "released", "plannedQuantity": -1},
        {"time": "2026-12-01T10:00:00Z", "orderId": "MO-1", "status": "released", "colour": "red"},
    ],
)
def test_operational_events_are_strict(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        OrderStatus.model_validate(data)
