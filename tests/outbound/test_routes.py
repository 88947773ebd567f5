"""Routes, schedules and the public surface: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

import lotline.outbound as outbound
from lotline.outbound import OutboundConfig, RouteConfig, Schedule, ScheduleError, system_database_url
from lotline.outbound.routes import EventRow, matches, ordering_key, payload
from tests.outbound.conftest import event

TARGET = {"kind": "webhook", "config": {"url": "http://127.0.0.1:9/x"}}


def _route(**options: object) -> RouteConfig:
    return RouteConfig.model_validate({"name": "r", "target": TARGET, **options})


def _row(**changes: object) -> EventRow:
    values: dict[str, object] = {
        "id": 1,
        "event_hash": "ni:///h",
        "event_type": "ObjectEvent",
        "action": "OBSERVE",
        "biz_step": "shipping",
        "plant": "plant-a",
        "error_declared": False,
        "correlation_id": None,
        **changes,
    }
    return EventRow(**values)  # type: ignore[arg-type]


def test_the_public_api_is_pinned() -> None:
    assert sorted(outbound.__all__) == [
        "BreakerSettings",
        "Outbound",
        "OutboundConfig",
        "RetrySettings",
        "RouteConfig",
        "RouteMatch",
        "Schedule",
        "ScheduleError",
        "TargetConfig",
        "delivery_key",
        "system_database_url",
    ]


def test_filters_by_type_plant_biz_step_and_action() -> None:
    route = _route(
        match={
            "event_types": ["ObjectEvent"],
            "plants": ["plant-a"],
            "biz_steps": ["urn:epcglobal:cbv:bizstep:shipping"],
            "actions": ["OBSERVE"],
        }
    )
    assert matches(route, _row())
    assert not matches(route, _row(plant="plant-b"))
    assert not matches(route, _row(biz_step="receiving"))
    assert not matches(route, _row(event_type="AggregationEvent"))
    assert not matches(route, _row(action="ADD"))
    assert not matches(route, _row(error_declared=True))
    assert not matches(_route(enabled=False), _row())


def test_ordering_keys() -> None:
    e = {**event(1, lot="L7"), "bizTransactionList": [{"type": "po", "bizTransaction": "urn:po:1"}]}
    assert ordering_key(_route(ordering="lot"), e, None) == "urn:epc:class:lgtin:4012345.012345.L7"
    assert ordering_key(_route(ordering="order"), e, None) == "urn:po:1"
    assert ordering_key(_route(ordering="order:desadv"), e, None) is None
    assert ordering_key(_route(ordering="correlation"), e, "c-1") == "c-1"
    assert ordering_key(_route(ordering="bizStep & '/' & action"), e, None) == "shipping/OBSERVE"
    assert ordering_key(_route(), e, None) is None


def test_payload_shapes() -> None:
    e = event(1)
    assert orjson.loads(payload(_route(), dict(e))) == e
    document = orjson.loads(payload(_route(payload="document"), dict(e)))
    assert document["type"] == "EPCISDocument" and document["epcisBody"]["eventList"] == [e]
    assert orjson.loads(payload(_route(transform="{'lot': quantityList[0].epcClass}"), dict(e))) == {
        "lot": "urn:epc:class:lgtin:4012345.012345.L1"
    }


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError):
        OutboundConfig(routes=[_route(), _route()])
    with pytest.raises(ValidationError):
        _route(retry={"base_delay": 5, "max_delay": 1})
    with pytest.raises(ValidationError):
        RouteConfig.model_validate({"name": "bad name", "target": TARGET})


def test_schedules_fire_like_the_epcis_query_schedule() -> None:
    at = datetime(2026, 1, 1, 1, 5, 0, tzinfo=UTC)  # a Thursday
    assert Schedule.parse({"hour": "1", "minute": "5"}).next_after(at) == datetime(
        2026, 1, 2, 1, 5, tzinfo=UTC
    )
    assert Schedule.parse({"second": "0/30"}).next_after(at) == datetime(2026, 1, 1, 1, 5, 30, tzinfo=UTC)
    assert Schedule.parse({"minute": "[10-12]"}).next_after(at) == datetime(2026, 1, 1, 1, 10, tzinfo=UTC)
    assert Schedule.parse({"dayOfWeek": "1"}).next_after(at) == datetime(2026, 1, 5, tzinfo=UTC)
    assert Schedule.parse({"dayOfMonth": "31", "month": "2,3"}).next_after(at) == datetime(
        2026, 3, 31, tzinfo=UTC
    )
    for bad in ({}, {"minute": "60"}, {"hour": "x"}, {"week": "1"}):
        with pytest.raises(ScheduleError):
            Schedule.parse(bad)


def test_the_dbos_system_database_sits_beside_sqlite_and_inside_postgresql() -> None:
    assert system_database_url("sqlite:///var/lotline.db") == "sqlite:///var/lotline.dbos.sqlite"
    assert system_database_url("postgresql://u@h/db").startswith("postgresql+psycopg://u@h/db")
    with pytest.raises(ValueError):
        system_database_url("sqlite://")
