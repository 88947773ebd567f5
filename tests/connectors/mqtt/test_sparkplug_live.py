"""The Sparkplug host application against the real Mosquitto: STATE, births, aliases, gaps, rebirth, deaths."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import orjson

from lotline.connectors.sparkplug import DataType, Metric, Payload, Raw, SparkplugConfig, SparkplugSource
from lotline.connectors.sparkplug.codec import decode, encode
from lotline.connectors.sparkplug.host import REBIRTH
from tests.connectors.mqtt.conftest import Broker
from tests.connectors.mqtt.peer import Peer
from tests.connectors.mqtt.test_source import run

T = DataType


def config(broker: Broker, prefix: str, **fields: Any) -> SparkplugConfig:
    stem = prefix.replace("/", "-")
    return SparkplugConfig(
        host=broker.host, port=broker.port, client_id=f"{stem}-host", host_id=f"{stem}-scada", **fields
    )


def test_state_is_published_retained_online_then_offline(broker: Broker, prefix: str) -> None:
    cfg = config(broker, prefix, group_ids=["nobody"])
    observer = Peer(broker.host, broker.port)

    async def scenario() -> None:
        async with SparkplugSource(cfg):
            observer.subscribe(f"spBv1.0/STATE/{cfg.host_id}")
            online = observer.get()
            assert online.retain, "STATE is a retained message"
            assert orjson.loads(online.payload)["online"] is True
        offline = observer.get()
        state = orjson.loads(offline.payload)
        assert state["online"] is False and state["timestamp"] == orjson.loads(online.payload)["timestamp"]

    try:
        run(scenario())
    finally:
        observer.client.publish(f"spBv1.0/STATE/{cfg.host_id}", b"", retain=True)  # clear the retained STATE
        observer.close()


def test_a_killed_host_is_reported_offline_by_its_will(broker: Broker, prefix: str) -> None:
    cfg = config(broker, prefix, group_ids=["nobody"])
    observer = Peer(broker.host, broker.port)
    observer.subscribe(f"spBv1.0/STATE/{cfg.host_id}")
    script = (
        "import asyncio, os, signal, sys\n"
        "from lotline.connectors.sparkplug import SparkplugConfig, SparkplugSource\n"
        "async def main():\n"
        f"    await SparkplugSource(SparkplugConfig.model_validate_json({cfg.model_dump_json()!r})).connect()\n"
        "    print('up', flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "asyncio.run(main())\n"
    )
    try:
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=20)
        assert proc.stdout == b"up\n", proc.stderr.decode()
        states = [json.loads(observer.get().payload)["online"] for _ in range(2)]
        assert states == [True, False]
    finally:
        observer.client.publish(f"spBv1.0/STATE/{cfg.host_id}", b"", retain=True)
        observer.close()


def test_the_host_follows_an_edge_node_and_requests_a_rebirth_on_a_gap(broker: Broker, prefix: str) -> None:
    group = prefix.replace("/", "-")
    cfg = config(broker, prefix, group_ids=[group])
    edge = Peer(broker.host, broker.port)
    edge.subscribe(f"spBv1.0/{group}/NCMD/E1")

    def send(kind: str, payload: Payload, device: str | None = None, qos: int = 0) -> None:
        topic = f"spBv1.0/{group}/{kind}/E1" + (f"/{device}" if device else "")
        edge.publish(topic, encode(payload), qos=qos)

    async def scenario() -> list[dict[str, Any]]:
        records = []
        async with SparkplugSource(cfg) as source:
            send(
                "NBIRTH",
                Payload(
                    timestamp=1,
                    seq=0,
                    metrics=(
                        Metric("bdSeq", None, T.Int64, 5),
                        Metric(REBIRTH, None, T.Boolean, False),
                        Metric("Speed", 1, T.Double, 0.0),
                    ),
                ),
            )
            send(
                "DBIRTH", Payload(timestamp=2, seq=1, metrics=(Metric("Lot", 2, T.String, "L-1"),)), "Filler"
            )
            send(
                "DDATA",
                Payload(timestamp=3, seq=2, metrics=(Metric(alias=2, value=Raw("string_value", "L-2")),)),
                "Filler",
            )
            send(
                "NDATA",
                Payload(
                    timestamp=4,
                    seq=3,
                    metrics=(
                        Metric(alias=1, value=Raw("double_value", 7.5), timestamp=3, is_historical=True),
                    ),
                ),
            )
            send(
                "NDATA",
                Payload(timestamp=5, seq=6, metrics=(Metric(alias=1, value=Raw("double_value", 9.0)),)),
            )
            send("NDEATH", Payload(timestamp=6, metrics=(Metric("bdSeq", None, T.Int64, 5),)), qos=1)
            edge.publish(f"spBv1.0/{group}/NDATA/E1", b"\xff\xff not protobuf", qos=0)
            for _ in range(7):
                message, ack = await asyncio.wait_for(source.read(), 5)
                assert message.headers["content-type"] == "application/json"
                records.append(orjson.loads(message.payload))
                await ack()
        return records

    try:
        records = run(scenario())
        rebirth = decode(edge.get().payload)
    finally:
        edge.close()
    kinds = [r.get("message_type") for r in records]
    assert kinds[:6] == ["NBIRTH", "DBIRTH", "DDATA", "NDATA", "NDATA", "NDEATH"]
    assert "not a Sparkplug B protobuf payload" in records[6]["error"] and records[6]["payload_base64"]
    assert records[2]["device_id"] == "Filler" and records[2]["metrics"][0]["name"] == "Lot"
    assert records[2]["metrics"][0]["value"] == "L-2"
    historical = records[3]["metrics"][0]
    assert (historical["name"], historical["value"], historical["historical"]) == ("Speed", 7.5, True)
    assert records[4]["seq_gap"] == {"expected": 4, "received": 6} and records[4]["rebirth_requested"]
    assert records[5]["online"] is False and records[5]["bd_seq"] == 5 and not records[5]["stale"]
    assert [(m.name, m.value) for m in rebirth.metrics] == [(REBIRTH, True)]
