"""The MQTT source and sink pass the shared conformance suites against the real Mosquitto."""

from __future__ import annotations

import queue
import secrets
from collections.abc import Sequence

import pytest

from lotline.connectors import Sink, Source
from lotline.connectors.mqtt import MqttConfig, MqttSink, MqttSource
from lotline.sim.ports import free_port
from tests.conformance.harness import SinkHarness, SourceHarness
from tests.conformance.sink_suite import SinkConformance
from tests.conformance.source_suite import SourceConformance
from tests.connectors.mqtt.conftest import Broker
from tests.connectors.mqtt.peer import Peer


def _config(broker: Broker, topic: str, **fields: object) -> MqttConfig:
    return MqttConfig(
        name="line-1",
        host=broker.host,
        port=broker.port,
        client_id=f"conformance-{secrets.token_hex(6)}",
        connect_timeout=3,
        **fields,  # type: ignore[arg-type]
    )


class MqttSourceHarness(SourceHarness):
    source_name = "line-1"
    timeout = 5.0
    ordered = True

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.topic = f"lotline-test/conformance/{secrets.token_hex(6)}"
        self.config = _config(broker, self.topic, topics=[self.topic])  # one client id: one durable session
        self.peer: Peer | None = None

    async def start(self) -> None:
        self.peer = Peer(self.broker.host, self.broker.port)

    async def stop(self) -> None:
        if self.peer is not None:
            self.peer.close()

    async def make_source(self) -> Source:
        return MqttSource(self.config)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        assert self.peer is not None
        for payload in payloads:
            self.peer.publish(self.topic, payload)

    async def make_unreachable_source(self) -> Source:
        return MqttSource(self.config.model_copy(update={"port": free_port()}))


class MqttSinkHarness(SinkHarness):
    timeout = 5.0

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.topic = f"lotline-test/conformance/{secrets.token_hex(6)}"
        self.config = _config(broker, self.topic, publish_topic=self.topic)
        self.peer: Peer | None = None
        self.got: list[bytes] = []

    async def start(self) -> None:
        self.peer = Peer(self.broker.host, self.broker.port)
        self.peer.subscribe(self.topic)

    async def stop(self) -> None:
        if self.peer is not None:
            self.peer.close()

    async def make_sink(self) -> Sink:
        return MqttSink(self.config)

    async def received(self) -> Sequence[bytes]:
        assert self.peer is not None
        while True:
            try:
                self.got.append(self.peer.messages.get_nowait().payload)
            except queue.Empty:
                return list(self.got)

    async def make_unreachable_sink(self) -> Sink:
        return MqttSink(self.config.model_copy(update={"port": free_port()}))


class TestMqttSource(SourceConformance):
    @pytest.fixture
    def harness(self, broker: Broker) -> SourceHarness:
        return MqttSourceHarness(broker)


class TestMqttSink(SinkConformance):
    @pytest.fixture
    def harness(self, broker: Broker) -> SinkHarness:
        return MqttSinkHarness(broker)
