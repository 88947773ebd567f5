"""Payload adapters: Sparkplug records as the host application makes them, OPC UA data changes as the
connector makes them, plain JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from lotline.connectors.base import Message
from lotline.connectors.opcua._payload import Change, change_message
from lotline.connectors.sparkplug.host import HostApplication
from lotline.connectors.sparkplug.model import DataType, Metric, Payload, PropertyValue
from lotline.connectors.sparkplug.topics import parse
from lotline.epcis.timefmt import parse_time
from lotline.telemetry.adapters import InputOptions, OpcuaOptions, SparkplugOptions, samples_of
from lotline.telemetry.sample import Quality, Sample

MS = 1_764_590_400_000  # 2025-12-01T12:00:00Z in ms


def sparkplug_messages() -> list[Message]:
    """A DBIRTH then a DDATA by alias only, through the real host application state machine."""
    host = HostApplication("lotline", now_ms=lambda: MS)
    birth = Payload(
        timestamp=MS,
        seq=1,
        metrics=(
            Metric("Count/Good", 1, DataType.UInt32, 100),
            Metric("State/Current", 2, DataType.Int32, 6),
            Metric(
                "Temp", 3, DataType.Double, 4.5, properties={"Quality": PropertyValue(DataType.Int32, 64)}
            ),
        ),
    )
    data = Payload(
        timestamp=MS + 5000,
        seq=2,
        metrics=(
            Metric(alias=1, value=107, timestamp=MS + 4000),
            Metric(alias=2, value=None, is_null=True),
            Metric(alias=9, value=1),  # an alias the birth did not declare: no name, skipped
        ),
    )
    host.handle(parse("spBv1.0/plant/NBIRTH/edge-1"), Payload(timestamp=MS, seq=0))
    out = []
    for kind, payload in (("DBIRTH", birth), ("DDATA", data)):
        record = host.handle(parse(f"spBv1.0/plant/{kind}/edge-1/filler-2"), payload).record
        out.append(
            Message(
                "sp",
                kind,
                orjson.dumps(record),
                f"spBv1.0/plant/{kind}/edge-1/filler-2",
                {"sparkplug-message-type": kind},
            )
        )
    return out


def test_sparkplug_births_and_data_become_samples() -> None:
    birth, data = sparkplug_messages()
    options = InputOptions()
    assert samples_of(birth, options) == [
        Sample("filler-2", "Count/Good", 100, MS * 1000),
        Sample("filler-2", "State/Current", 6, MS * 1000),
        Sample("filler-2", "Temp", 4.5, MS * 1000, Quality.uncertain),
    ]
    assert samples_of(data, options) == [
        Sample("filler-2", "Count/Good", 107, (MS + 4000) * 1000),  # the metric's own timestamp
        Sample("filler-2", "State/Current", None, (MS + 5000) * 1000, Quality.bad),
    ]
    by_node = InputOptions(sparkplug=SparkplugOptions(equipment="node"))
    assert {s.equipment for s in samples_of(data, by_node)} == {"edge-1"}
    by_path = InputOptions(sparkplug=SparkplugOptions(equipment="path"))
    assert {s.equipment for s in samples_of(data, by_path)} == {"plant/edge-1/filler-2"}


def test_sparkplug_deaths_give_no_samples() -> None:
    record = {"message_type": "NDEATH", "metrics": [{"name": "bdSeq", "value": 3}], "edge_node_id": "e"}
    assert samples_of(Message("sp", "1", orjson.dumps(record)), InputOptions()) == []


def opcua_message(status: int = 0, node: str = "Tank2.Temperature", **stamps: datetime | None) -> Message:
    source = stamps.get("source", datetime(2026, 12, 1, 10, 0, 1, 500000, tzinfo=UTC))
    change = Change(node, "ns=2;s=T", "2:T", 8.25, "Double", "Good", status, source, stamps.get("server"))
    return change_message(change, "opcua-1", "opc.tcp://plc:4840/")


def test_opcua_data_changes_become_samples() -> None:
    options = InputOptions()
    assert samples_of(opcua_message(), options) == [
        Sample("Tank2", "Temperature", 8.25, parse_time("2026-12-01T10:00:01.5Z"))
    ]
    assert samples_of(opcua_message(0x408F0000), options)[0].quality is Quality.uncertain
    assert samples_of(opcua_message(0x80000000), options)[0].quality is Quality.bad
    assert samples_of(opcua_message(node="Temperature"), options)[0].equipment == "opcua-1"
    fixed = InputOptions(opcua=OpcuaOptions(equipment="Tank2"))
    assert samples_of(opcua_message(), fixed)[0].signal == "Tank2.Temperature"
    server_only = opcua_message(source=None, server=datetime(2026, 12, 1, 10, 0, 2, tzinfo=UTC))
    assert samples_of(server_only, options)[0].time == parse_time("2026-12-01T10:00:02Z")
    with pytest.raises(ValueError, match="no source or server timestamp"):
        samples_of(opcua_message(source=None), options)
    event = Message("opcua-1", "e!1", b"\x00raw", headers={"opcua.kind": "event"})
    assert samples_of(event, options) == []


def test_plain_json_samples() -> None:
    payload = [
        {"equipment": "F1", "signal": "good", "value": 5, "time": "2026-12-01T10:00:00Z"},
        {"equipment": "F1", "time": MS, "values": {"good": 6, "scrap": 1}, "quality": "uncertain"},
    ]
    samples = samples_of(Message("j", "1", orjson.dumps(payload)), InputOptions())
    assert samples == [
        Sample("F1", "good", 6, MS * 1000, Quality.uncertain),  # sorted by time
        Sample("F1", "scrap", 1, MS * 1000, Quality.uncertain),
        Sample("F1", "good", 5, parse_time("2026-12-01T10:00:00Z")),
    ]
    for bad, match in (
        ({"equipment": "F1", "signal": "good", "value": 1}, "`time` is required"),
        ({"signal": "good", "time": MS}, "`equipment`"),
        ({"equipment": "F1", "time": MS}, "give `signal`"),
    ):
        with pytest.raises(ValueError, match=match):
            samples_of(Message("j", "1", orjson.dumps(bad)), InputOptions())


def test_a_sparkplug_metric_without_any_timestamp_is_refused() -> None:
    record = {
        "message_type": "DDATA",
        "edge_node_id": "e",
        "device_id": "d",
        "timestamp": None,
        "metrics": [{"name": "good", "value": 1, "timestamp": None}],
    }
    with pytest.raises(ValueError, match="no timestamp"):
        samples_of(Message("sp", "1", orjson.dumps(record)), InputOptions())
