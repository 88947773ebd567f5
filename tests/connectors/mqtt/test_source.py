"""The MQTT source and sink against the real Mosquitto: filters, QoS 1, PUBACK on ack, persistent sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from lotline.connectors import Outbound
from lotline.connectors.mqtt import MqttConfig, MqttSink, MqttSource
from lotline.connectors.mqtt_client import MqttConnectError
from lotline.sim.ports import free_port
from tests.connectors.mqtt.conftest import Broker
from tests.connectors.mqtt.peer import Peer

T = TypeVar("T")


def run(step: Awaitable[T], timeout: float = 20) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(step, timeout)

    return asyncio.run(bounded())


def config(broker: Broker, prefix: str, **fields: Any) -> MqttConfig:
    fields.setdefault("topics", [f"{prefix}/#"])
    return MqttConfig(host=broker.host, port=broker.port, client_id=prefix.replace("/", "-"), **fields)


async def nothing_more(source: MqttSource, wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(source.read(), wait)


def test_qos1_subscription_delivers_what_the_filters_match(broker: Broker, prefix: str) -> None:
    cfg = config(broker, prefix, topics=[f"{prefix}/+/lots/#", f"{prefix}/exact"])
    peer = Peer(broker.host, broker.port)

    async def scenario() -> list[tuple[str, bytes, dict[str, str]]]:
        async with MqttSource(cfg) as source:
            for topic in ("line1/other", "line1/lots/L1/produced", "exact", "exact/deeper", "line2/lots"):
                peer.publish(f"{prefix}/{topic}", topic.encode())
            got = []
            for _ in range(3):
                message, ack = await asyncio.wait_for(source.read(), 5)
                got.append((message.topic, message.payload, dict(message.headers)))
                await ack()
            await nothing_more(source)
        return got

    try:
        got = run(scenario())
    finally:
        peer.close()
    assert [(t, p) for t, p, _ in got] == [
        (f"{prefix}/line1/lots/L1/produced", b"line1/lots/L1/produced"),
        (f"{prefix}/exact", b"exact"),
        (f"{prefix}/line2/lots", b"line2/lots"),
    ]
    assert got[0][2]["mqtt-qos"] == "1" and got[0][2]["content-type"] == "application/json"


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_unacknowledged_messages_come_back_after_a_reconnect_and_acknowledged_ones_do_not(
    broker: Broker, prefix: str, protocol: str
) -> None:
    cfg = config(broker, prefix, protocol=protocol)
    peer = Peer(broker.host, broker.port)

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        async with MqttSource(cfg) as source:
            for i in range(3):
                peer.publish(f"{prefix}/m", f'{{"n":{i}}}'.encode())
            first = [await asyncio.wait_for(source.read(), 5) for _ in range(3)]
            await first[0][1]()  # only the first is kept by lotline; then the process "crashes"
        async with MqttSource(cfg) as source:
            again = [await asyncio.wait_for(source.read(), 5) for _ in range(2)]
            assert all(m.headers["mqtt-dup"] == "true" for m, _ in again), "the broker marks redeliveries"
            for _, ack in again:
                await ack()
            await nothing_more(source)
        async with MqttSource(cfg) as source:
            await nothing_more(source)
        return (
            [m.message_id for m, _ in first],
            [m.message_id for m, _ in again],
            [m.payload.decode() for m, _ in again],
        )

    try:
        first_ids, again_ids, again_payloads = run(scenario())
    finally:
        peer.close()
    assert again_ids == first_ids[1:], "a redelivered message keeps its id"
    assert again_payloads == ['{"n":1}', '{"n":2}']


def test_pubacks_go_out_in_arrival_order(broker: Broker, prefix: str) -> None:
    """A message acked before an earlier one waits for it: if lotline stops first, both come back."""
    cfg = config(broker, prefix)
    peer = Peer(broker.host, broker.port)

    async def scenario() -> list[bytes]:
        async with MqttSource(cfg) as source:
            peer.publish(f"{prefix}/m", b"1")
            peer.publish(f"{prefix}/m", b"2")
            (_, ack1), (_, ack2) = [await asyncio.wait_for(source.read(), 5) for _ in range(2)]
            await ack2()
        async with MqttSource(cfg) as source:
            (m1, ack1), (m2, ack2) = [await asyncio.wait_for(source.read(), 5) for _ in range(2)]
            await ack2()
            await ack1()  # releases both PUBACKs
        async with MqttSource(cfg) as source:
            await nothing_more(source)
        return [m1.payload, m2.payload]

    try:
        assert run(scenario()) == [b"1", b"2"]
    finally:
        peer.close()


def test_a_nack_redelivers_locally_without_a_puback(broker: Broker, prefix: str) -> None:
    cfg = config(broker, prefix)
    peer = Peer(broker.host, broker.port)

    async def scenario() -> None:
        async with MqttSource(cfg) as source:
            peer.publish(f"{prefix}/m", b"x")
            first, nack = await asyncio.wait_for(source.read(), 5)
            await nack(RuntimeError("store is down"))
            again, ack = await asyncio.wait_for(source.read(), 5)
            assert again is first
        async with MqttSource(cfg) as source:  # never acked: the broker still has it
            third, ack = await asyncio.wait_for(source.read(), 5)
            assert third.message_id == first.message_id
            await ack()

    try:
        run(scenario())
    finally:
        peer.close()


def test_messages_published_while_lotline_is_down_wait_in_the_session(broker: Broker, prefix: str) -> None:
    cfg = config(broker, prefix)
    peer = Peer(broker.host, broker.port)

    async def scenario() -> list[bytes]:
        async with MqttSource(cfg):
            pass  # creates the persistent session and its subscription
        for i in range(5):
            peer.publish(f"{prefix}/m", str(i).encode())
        got = []
        async with MqttSource(cfg) as source:
            for _ in range(5):
                message, ack = await asyncio.wait_for(source.read(), 5)
                got.append(message.payload)
                await ack()
        return got

    try:
        assert run(scenario()) == [b"0", b"1", b"2", b"3", b"4"]
    finally:
        peer.close()


def test_the_sink_publishes_with_qos1_and_the_key_as_message_id(broker: Broker, prefix: str) -> None:
    cfg = config(broker, prefix, id_property="message-id", publish_topic=f"{prefix}/out")

    async def scenario() -> None:
        async with MqttSource(cfg) as source, MqttSink(cfg) as sink:
            result = await sink.send(
                [
                    Outbound("k-1", b'{"a":1}', headers={"plant": "p1"}),
                    Outbound("k-2", b"2", topic=f"{prefix}/x"),
                ]
            )
            assert result.ok and result.delivered == ("k-1", "k-2")
            got = {}
            for _ in range(2):
                message, ack = await asyncio.wait_for(source.read(), 5)
                got[message.message_id] = message
                await ack()
        assert got["k-1"].topic == f"{prefix}/out" and got["k-1"].headers["plant"] == "p1"
        assert got["k-2"].topic == f"{prefix}/x" and got["k-2"].payload == b"2"

    run(scenario())


def test_a_sink_without_a_topic_reports_the_key_failed(broker: Broker, prefix: str) -> None:
    async def scenario() -> None:
        async with MqttSink(config(broker, prefix)) as sink:
            result = await sink.send([Outbound("k", b"x")])
        assert result.failed.keys() == {"k"} and "no topic" in result.failed["k"]

    run(scenario())


def test_connect_fails_fast_with_the_reason_and_check_says_why() -> None:
    cfg = MqttConfig(port=free_port(), client_id="nobody-home", topics=["x"])

    async def scenario() -> None:
        source = MqttSource(cfg)
        with pytest.raises(MqttConnectError, match="cannot connect"):
            await source.connect()
        check = await source.check()
        assert not check.ok and "cannot connect" in check.detail
        await source.close()

    run(scenario(), timeout=5)


def test_check_reports_the_live_connection(broker: Broker, prefix: str) -> None:
    async def scenario() -> None:
        source = MqttSource(config(broker, prefix))
        assert (await source.check()).ok
        async with source:
            check = await source.check()
        assert check.ok and "connected" in check.detail

    run(scenario())
