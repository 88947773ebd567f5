"""The in-memory connector passes the conformance suites, and fails the way the suites cannot show."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from lotline.connectors import Outbound, Registry, Sink, Source
from lotline.connectors.memory import SPEC, MemoryBroker, MemoryConfig, MemorySink, MemorySource
from tests.conformance.harness import SinkHarness, SourceHarness
from tests.conformance.sink_suite import SinkConformance
from tests.conformance.source_suite import SourceConformance


class MemorySourceHarness(SourceHarness):
    source_name = "line-1"
    timeout = 2.0

    def __init__(self) -> None:
        self.broker = MemoryBroker()
        self.config = MemoryConfig(channel="plant/line-1", name="line-1")

    async def make_source(self) -> Source:
        return MemorySource(self.config, self.broker)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        self.broker.publish(self.config.channel, payloads)

    async def make_unreachable_source(self) -> Source:
        down = MemoryBroker()
        down.down = True
        return MemorySource(self.config, down)


class MemorySinkHarness(SinkHarness):
    timeout = 2.0

    def __init__(self) -> None:
        self.broker = MemoryBroker()
        self.config = MemoryConfig(channel="out/erp")

    async def make_sink(self) -> Sink:
        return MemorySink(self.config, self.broker)

    async def received(self) -> Sequence[bytes]:
        return self.broker.published(self.config.channel)

    async def make_unreachable_sink(self) -> Sink:
        down = MemoryBroker()
        down.down = True
        return MemorySink(self.config, down)


class TestMemorySource(SourceConformance):
    @pytest.fixture
    def harness(self) -> SourceHarness:
        return MemorySourceHarness()


class TestMemorySink(SinkConformance):
    @pytest.fixture
    def harness(self) -> SinkHarness:
        return MemorySinkHarness()


def test_a_sink_reports_per_key_failures() -> None:
    broker = MemoryBroker()
    sink = MemorySink(MemoryConfig(channel="out", max_payload_bytes=4), broker)
    result = asyncio.run(sink.send([Outbound("small", b"1234"), Outbound("big", b"12345")]))
    assert result.delivered == ("small",)
    assert set(result.failed) == {"big"} and "max_payload_bytes=4" in result.failed["big"]
    assert broker.published("out") == [b"1234"]


def test_a_read_waits_for_a_publish() -> None:
    broker = MemoryBroker()

    async def scenario() -> bytes:
        source = MemorySource(MemoryConfig(channel="c"), broker)
        await source.connect()
        reading = asyncio.create_task(source.read())
        await asyncio.sleep(0.01)
        assert not reading.done()
        broker.publish("c", [b"late"])
        message, _ = await asyncio.wait_for(reading, 1)
        return message.payload

    assert asyncio.run(scenario()) == b"late"


def test_the_spec_registers_in_the_entry_point_group() -> None:
    registry = Registry.discover()
    assert registry.get("memory") is SPEC
    assert Registry([SPEC]).get("memory").config is MemoryConfig
