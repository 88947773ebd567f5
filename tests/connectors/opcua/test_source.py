"""The OPC UA source against the simulated filling line (a real asyncua server on loopback)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lotline.connectors import Registry, Source
from lotline.connectors.opcua import SPEC, OpcuaConfig, OpcuaError, OpcuaSource
from lotline.sim.filling_line import NAMESPACE
from lotline.sim.ports import free_port
from lotline.sim.threaded import ThreadedLine
from tests.connectors.opcua.support import (
    VARIABLES,
    by_node,
    make_config,
    nothing_more,
    payload,
    read,
    run,
    until,
)


def test_registered_as_opcua_with_its_extra() -> None:
    assert Registry.discover().get("opcua") is SPEC
    assert SPEC.extra == "opcua" and SPEC.source is OpcuaSource and SPEC.config is OpcuaConfig
    assert all(field.description for field in OpcuaConfig.model_fields.values())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"endpoint": "http://plc:4840", "nodes": [{"node_id": "i=1"}]}, "opc.tcp://"),
        ({"endpoint": "opc.tcp://plc:4840"}, "at least one entry in nodes or events"),
        ({"endpoint": "opc.tcp://plc:4840", "nodes": [{}]}, "exactly one of node_id or browse_path"),
        (
            {"endpoint": "opc.tcp://plc:4840", "nodes": [{"node_id": "i=1", "browse_path": "A/B"}]},
            "exactly one",
        ),
        (
            {"endpoint": "opc.tcp://plc:4840", "nodes": [{"node_id": "i=1"}, {"node_id": "i=1"}]},
            "repeated: i=1",
        ),
        (
            {
                "endpoint": "opc.tcp://plc:4840",
                "nodes": [{"node_id": "i=1"}],
                "security_policy": "Basic256Sha256",
            },
            "go together",
        ),
        (
            {
                "endpoint": "opc.tcp://plc:4840",
                "nodes": [{"node_id": "i=1"}],
                "security_policy": "Basic256Sha256",
                "security_mode": "Sign",
            },
            "needs certificate and private_key",
        ),
        (
            {"endpoint": "opc.tcp://plc:4840", "nodes": [{"node_id": "i=1"}], "password": "x"},
            "username is not",
        ),
        (
            {"endpoint": "opc.tcp://plc:4840", "nodes": [{"node_id": "i=1"}], "security_mode": "Encrypt"},
            "Sign",
        ),
        ({"endpoint": "opc.tcp://plc:4840", "nodes": [{"node_id": "i=1"}], "sampling": 5}, "Extra inputs"),
    ],
)
def test_bad_config_is_refused_with_what_to_fix(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        OpcuaConfig.model_validate(settings)


def test_first_subscription_reports_every_node_once_with_the_payload_shape(line: ThreadedLine) -> None:
    async def body() -> None:
        async with OpcuaSource(make_config(line), name="line-2") as source:
            messages = await read(source, len(VARIABLES))
            await nothing_more(source)
        assert by_node(messages) == {v: line.sim.value(v) for v in VARIABLES}
        good = next(payload(m) for m in messages if m.topic == "GoodCount")
        dv = line.sim.data_value("GoodCount")
        assert good["node_id"] == "ns=2;s=Filler.GoodCount" and good["browse_name"] == "2:GoodCount"
        assert good["variant_type"] == "UInt32" and good["status"] == "Good" and good["status_code"] == 0
        assert good["source_timestamp"] == dv.SourceTimestamp.isoformat(timespec="microseconds")[:26] + "Z"
        assert good["server_timestamp"] and good["endpoint"] == line.endpoint
        message = next(m for m in messages if m.topic == "GoodCount")
        assert message.source == "line-2" and message.headers["opcua.kind"] == "data_change"
        assert message.message_id.startswith(f"GoodCount@{good['source_timestamp']}#")
        assert source.stats.delivered == source.stats.acked == len(VARIABLES) and source.unacked == 0

    run(body)


def test_counter_increments_lot_change_and_temperatures_arrive_in_order(line: ThreadedLine) -> None:
    async def body() -> None:
        async with OpcuaSource(make_config(line)) as source:
            await read(source, len(VARIABLES))
            start = line.sim.value("GoodCount")
            await line.call(line.sim.produce(3))
            await line.call(line.sim.produce(2, scrap=1))
            await line.call(line.sim.change_lot("L0042"))
            await line.call(line.sim.set_temperatures(product=4.5, sterilizer=122.25))
            messages = await read(source, 6)
            await nothing_more(source)
        seen = [(payload(m)["node"], payload(m)["value"]) for m in messages]
        assert seen[:2] == [("GoodCount", start + 3), ("GoodCount", start + 5)]
        assert set(seen[2:]) == {
            ("ScrapCount", line.sim.value("ScrapCount")),
            ("CurrentLot", "L0042"),
            ("ProductTemperature", 4.5),
            ("SterilizerTemperature", 122.25),
        }
        assert len({m.message_id for m in messages}) == 6

    run(body)


def test_events_of_the_filler_arrive_with_their_fields(line: ThreadedLine) -> None:
    async def body() -> None:
        config = make_config(line, events=True, nodes=[])
        async with OpcuaSource(config) as source:
            await line.call(line.sim.change_lot("L0100"))
            await line.call(line.sim.set_state("Down", "bottle jam"))
            messages = await read(source, 2)
            await nothing_more(source)
        lot, state = (payload(m) for m in messages)
        assert lot["kind"] == "event" and lot["source"] == "filler-events"
        assert lot["event_type"] == "ns=2;s=LotChangeEventType" and lot["fields"]["LotId"] == "L0100"
        assert lot["fields"]["SourceName"] == "Filler" and lot["time"].endswith("Z")
        assert state["fields"]["State"] == "Down" and state["fields"]["Reason"] == "bottle jam"
        assert state["fields"]["Message"] == "filler Down: bottle jam"
        assert messages[0].message_id == f"filler-events!{lot['event_id']}" != messages[1].message_id

    run(body)


def test_nodes_by_browse_path_and_namespace_uri(line: ThreadedLine) -> None:
    async def body() -> None:
        nodes = [
            {"browse_path": "FillingLine/Filler/CurrentLot", "namespace": NAMESPACE},
            {"browse_path": "2:FillingLine/2:Filler/2:MachineState", "name": "state"},
        ]
        async with OpcuaSource(make_config(line, nodes=nodes)) as source:
            messages = await read(source, 2)
        assert by_node(messages) == {
            "FillingLine/Filler/CurrentLot": line.sim.value("CurrentLot"),
            "state": line.sim.value("MachineState"),
        }

    run(body)


def test_the_same_observation_gets_the_same_message_id_in_a_new_source(line: ThreadedLine) -> None:
    async def body() -> None:
        config = make_config(line, nodes=[{"node_id": line.sim.node_id("CurrentLot"), "name": "lot"}])
        async with OpcuaSource(config) as first:
            [before] = await read(first, 1)
        async with OpcuaSource(config) as second:  # a lotline restart: the inbox deduplicates on the id
            [after] = await read(second, 1)
        assert after.message_id == before.message_id and after.payload == before.payload

    run(body)


def test_nack_redelivers_the_message_and_ack_moves_the_position(line: ThreadedLine) -> None:
    async def body() -> None:
        config = make_config(line, nodes=[{"node_id": line.sim.node_id("ScrapCount"), "name": "scrap"}])
        async with OpcuaSource(config) as source:
            first, ack = await source.read()
            assert source.unacked == 1 and source.position == {}
            await ack(RuntimeError("pipeline failed"))
            again, ack_again = await source.read()
            assert again.message_id == first.message_id and again.payload == first.payload
            await ack_again()
            await ack_again()  # settling twice is harmless
            assert source.position == {"scrap": first.message_id} and source.unacked == 0
            assert source.stats.redelivered == 1 and source.stats.acked == 1

    run(body)


def test_check_and_connect_say_what_is_wrong(line: ThreadedLine) -> None:
    async def body() -> None:
        assert (await OpcuaSource(make_config(line)).check()).ok
        down = OpcuaSource(make_config(line, endpoint=f"opc.tcp://127.0.0.1:{free_port()}/"))
        result = await down.check()
        assert not result.ok and "cannot reach" in result.detail
        with pytest.raises(OpcuaError, match="cannot reach"):
            await down.connect()
        await down.close()
        unknown = OpcuaSource(make_config(line, nodes=[{"node_id": "ns=2;s=Filler.Nope", "name": "nope"}]))
        with pytest.raises(
            OpcuaError, match=re.escape("node 'nope': ns=2;s=Filler.Nope is not on the server")
        ):
            await unknown.connect()
        bad_ns = OpcuaSource(make_config(line, nodes=[{"node_id": "nsu=urn:nowhere;s=X"}]))
        assert "namespace 'urn:nowhere' is not on the server" in (await bad_ns.check()).detail
        twice = [
            {"node_id": line.sim.node_id("CurrentLot"), "name": "a"},
            {"browse_path": "2:FillingLine/2:Filler/2:CurrentLot"},
        ]
        assert (
            "nodes 'a' and '2:FillingLine/2:Filler/2:CurrentLot' are the same node"
            in (await OpcuaSource(make_config(line, nodes=twice)).check()).detail
        )
        no_path = OpcuaSource(
            make_config(line, nodes=[{"browse_path": "FillingLine/Capper", "namespace": NAMESPACE}])
        )
        with pytest.raises(OpcuaError, match="browse path 'FillingLine/Capper' not found"):
            await no_path.connect()

    run(body)


def test_is_a_source() -> None:
    assert isinstance(OpcuaSource(OpcuaConfig(endpoint="opc.tcp://x:1/", nodes=[{"node_id": "i=1"}])), Source)


def test_the_configuration_example_in_the_docs_is_valid() -> None:
    import yaml

    text = (Path(__file__).resolve().parents[3] / "docs" / "opcua.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b.split("```", 1)[0]) for b in text.split("```yaml\n")[1:]]
    connectors = [c for b in blocks for c in b["connectors"] if c["kind"] == "opcua"]
    assert connectors, "docs/opcua.md has no opcua example"
    for connector in connectors:
        config = OpcuaConfig.model_validate(connector["options"])
        assert config.nodes and config.events


def test_importing_the_connector_does_not_import_asyncua() -> None:
    code = "import sys, lotline.connectors.opcua; assert 'asyncua' not in sys.modules, 'eager import'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_reader_slower_than_the_server_loses_no_current_value(line: ThreadedLine) -> None:
    async def body() -> None:
        config = make_config(
            line,
            nodes=[{"node_id": line.sim.node_id("GoodCount"), "name": "good", "queue_size": 100}],
            max_buffered=3,
        )
        async with OpcuaSource(config) as source:
            await read(source, 1)
            for _ in range(20):  # nobody reads: both buffers fill up, the client's overflows
                await line.call(line.sim.produce(1))
            await until(lambda: source.stats.losses == 1, what="the overflow to drop the session")
            messages = []
            while source.stats.sessions < 2 or source._ready:
                messages += await read(source, 1)
            await nothing_more(source)
        values = [payload(m)["value"] for m in messages]
        assert values[-1] == line.sim.value("GoodCount"), "the current value arrives after the rebuild"
        assert values == sorted(set(values)), "in order, no value twice"

    run(body)
