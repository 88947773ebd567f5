"""Through the runner: line telemetry over the in-memory connector, the excursion stored as EPCIS on the
batch, the batch found by a trace, and the excursion among the batch's events.

Traces list the events that link items (transformations, aggregations, shipments), not observations, so the
excursion is asserted through the EPCIS query (MATCH_epcClass / MATCH_anyEPCClass) on the batch the trace
found.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import sqlalchemy as sa

from lotline.connectors.base import Message
from lotline.connectors.memory import MemoryBroker, MemoryConfig, MemorySource
from lotline.connectors.opcua._payload import Change, change_message
from lotline.epcis.timefmt import format_time
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.pipeline.stages import epcis_json
from lotline.store.events import count_events
from lotline.store.query import parse_query, run_query
from lotline.telemetry import TelemetryStage, load_rules, tick_message
from lotline.telemetry.sample import to_datetime
from tests.pipeline.helpers import run_until
from tests.telemetry.helpers import at
from tests.telemetry.test_loader import EXAMPLE

RAW = "urn:epc:class:lgtin:4012345.000001.SUGAR-1"
BATCH = "urn:epc:class:lgtin:4012345.012345.B-17"
FAST = RunnerSettings(batch_size=50, batch_wait=0.001, rescan_interval=0.02)


def made_from_raw() -> bytes:
    """The MES's TransformationEvent: batch B-17 made from sugar lot SUGAR-1."""
    return orjson.dumps(
        {
            "type": "TransformationEvent",
            "eventTime": format_time(at(0)),
            "eventTimeZoneOffset": "+01:00",
            "inputQuantityList": [{"epcClass": RAW, "quantity": 100, "uom": "KGM"}],
            "outputQuantityList": [{"epcClass": BATCH, "quantity": 400, "uom": "KGM"}],
            "bizStep": "commissioning",
            "readPoint": {"id": "urn:epc:id:sgln:4012345.00002.0"},
        }
    )


def tank(node: str, value: Any, minutes: float) -> Message:
    change = Change(node, f"ns=2;s={node}", node, value, "Double", "Good", 0, to_datetime(at(minutes)), None)
    return change_message(change, "opcua-tank", "opc.tcp://plc:4840/")


def publish(broker: MemoryBroker, channel: str, message: Message) -> None:
    broker.publish(channel, [message.payload], message.topic, message.headers)


def test_an_excursion_shows_up_among_the_events_of_the_batch_a_trace_finds(engine: sa.Engine) -> None:
    operational: list[dict[str, Any]] = []
    stage = TelemetryStage(load_rules(EXAMPLE), operational=operational.extend)

    def mapper(message: Message) -> list[dict[str, Any]]:
        return epcis_json(message) if message.source == "mes" else stage(message)

    broker = MemoryBroker()
    broker.publish("mes", [made_from_raw()])
    publish(broker, "opcua", tank("Tank2.BatchId", "B-17", 0))
    for minutes, celsius in ((0.5, 6.0), (1, 8.6), (2, 9.4), (3.5, 8.1), (4, 7.0)):  # too warm 10:01-10:04
        publish(broker, "opcua", tank("Tank2.Temperature", celsius, minutes))
    line = {
        "equipment": "filler-2",
        "time": format_time(at(1)),
        "values": {"Order/Id": "MO-1", "Count/Good": 5},
    }
    broker.publish(
        "line",
        [
            orjson.dumps(line),
            orjson.dumps({**line, "time": format_time(at(7)), "values": {"Count/Good": 95}}),
        ],
    )
    sources = {
        name: MemorySource(MemoryConfig(channel=name, name=name), broker)
        for name in ("mes", "opcua", "line", "tick")
    }
    runner = Runner(engine, sources, mapper, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.processed == 9))
    assert runner.counters.total.dead_lettered == 0
    assert count_events(engine) == 2  # the transformation and the excursion
    assert operational == []  # the line went quiet at 10:07: its interval is still open
    publish(broker, "tick", tick_message(at(16)))  # a tick from the wall clock (TickSource), here by hand
    runner = Runner(engine, sources, mapper, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.processed == 1))

    # forward from the sugar lot: the trace finds the batch ...
    from lotline.trace.index import TraceIndex

    trace = TraceIndex(engine).trace("forward", RAW)
    assert BATCH in {item["id"] for item in trace.items}
    # ... and the batch's events include the excursion, with its sensor data
    for parameter in ("MATCH_epcClass", "MATCH_anyEPCClass"):
        events = run_query(engine, parse_query({parameter: [BATCH]})).events
        observed = [e for e in events if e["type"] == "ObjectEvent"]
        assert len(observed) == 1, parameter
        report = observed[0]["sensorElementList"][0]["sensorReport"][0]
        assert report == {
            "type": "Temperature",
            "exception": "ALARM_CONDITION",
            "value": 9.4,
            "minValue": 8.1,
            "maxValue": 9.4,
            "uom": "CEL",
        }
        assert observed[0]["sensorElementList"][0]["sensorMetadata"] == {
            "startTime": "2026-12-01T10:01:00.000Z",
            "endTime": "2026-12-01T10:04:00.000Z",
        }
    assert [(e["type"], e["data"]["orderId"], e["data"]["yieldQuantity"]) for e in operational] == [
        ("io.lotline.operation.confirmation.v1", "MO-1", 90.0)
    ]
