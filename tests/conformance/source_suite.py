"""The Source conformance suite. A connector test subclasses `SourceConformance` and supplies `harness`:

    class TestMqttSource(SourceConformance):
        exempt = {"nack_redelivery": "MQTT 3.1.1 has no negative acknowledgement"}

        @pytest.fixture
        def harness(self, mosquitto: str) -> SourceHarness:
            return MqttSourceHarness(mosquitto)

Exemptions name a capability below and give the reason; they show in the test report as skips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import ClassVar

import pytest

from lotline.connectors import Check, Message, Source
from lotline.connectors.base import Ack
from tests.conformance.harness import SourceHarness
from tests.conformance.runner import run_case, within

# Capabilities a connector may be exempted from, with what each one means.
CAPABILITIES = {
    "check_unreachable": "check() reports an unreachable service as not ok (without raising)",
    "nack_redelivery": "ack(error) makes the source deliver the same message again",
    "redelivery_after_close": "a message read but never settled is delivered again to the next source",
    "binary_payloads": "payloads are bytes, delivered unchanged (not text)",
}


def payloads(count: int, tag: str = "m") -> list[bytes]:
    return [f'{{"{tag}":{i}}}'.encode() for i in range(count)]


class SourceConformance:
    """Every Source passes these cases. Subclasses provide the `harness` fixture."""

    #: The registered connector kind under test; by default taken from the module path
    #: (tests/connectors/test_<kind>.py or tests/connectors/<kind>/...).
    kind: ClassVar[str] = ""
    exempt: ClassVar[Mapping[str, str]] = {}

    @pytest.fixture
    def harness(self) -> SourceHarness:
        raise NotImplementedError("a conformance test provides the `harness` fixture")

    def _skip_if_exempt(self, capability: str) -> None:
        assert capability in CAPABILITIES, f"unknown capability {capability!r}"
        unknown = set(self.exempt) - set(CAPABILITIES)
        assert not unknown, f"exemptions for unknown capabilities: {sorted(unknown)}"
        if capability in self.exempt:
            pytest.skip(f"exempt from {capability!r}: {self.exempt[capability]}")

    # --- lifecycle ---------------------------------------------------------------------------------------

    def test_is_a_source(self, harness: SourceHarness) -> None:
        async def body() -> None:
            assert isinstance(await harness.make_source(), Source)

        run_case(harness, body)

    def test_connect_and_close_are_idempotent(self, harness: SourceHarness) -> None:
        async def body() -> None:
            never_connected = await harness.make_source()
            await within(harness, never_connected.close())
            source = await harness.make_source()
            await within(harness, source.connect())
            await within(harness, source.connect())
            await within(harness, source.close())
            await within(harness, source.close())

        run_case(harness, body)

    def test_check_is_ok_when_the_service_is_there(self, harness: SourceHarness) -> None:
        async def body() -> None:
            source = await harness.make_source()
            result = await within(harness, source.check())
            assert isinstance(result, Check) and result.ok, result
            await source.connect()
            try:
                connected = await within(harness, source.check())
                assert connected.ok, connected
            finally:
                await source.close()

        run_case(harness, body)

    def test_check_is_not_ok_when_the_service_is_unreachable(self, harness: SourceHarness) -> None:
        self._skip_if_exempt("check_unreachable")

        async def body() -> None:
            source = await harness.make_unreachable_source()
            result = await within(harness, source.check())
            assert isinstance(result, Check) and not result.ok
            assert result.detail, "an unreachable check says what the operator should look at"
            await source.close()

        run_case(harness, body)

    # --- reading -----------------------------------------------------------------------------------------

    def test_read_returns_the_published_messages(self, harness: SourceHarness) -> None:
        sent = payloads(5)

        async def body() -> None:
            source = await harness.make_source()
            await source.connect()
            try:
                await harness.publish(sent)
                got = await _read(harness, source, len(sent))
            finally:
                await source.close()
            messages = [m for m, _ in got]
            read = [m.payload for m in messages]
            assert (read if harness.ordered else sorted(read)) == (sent if harness.ordered else sorted(sent))
            for message in messages:
                assert isinstance(message, Message)
                assert message.source == harness.source_name
                assert message.message_id, "every message has the source's id for it"
                assert message.received_at > 0
            assert len({m.message_id for m in messages}) == len(messages), "message ids are unique"

        run_case(harness, body)

    def test_binary_payloads_arrive_unchanged(self, harness: SourceHarness) -> None:
        self._skip_if_exempt("binary_payloads")
        sent = [bytes(range(256)), b"", b"\x00\xff\xfe"]

        async def body() -> None:
            source = await harness.make_source()
            await source.connect()
            try:
                await harness.publish(sent)
                got = await _read(harness, source, len(sent))
            finally:
                await source.close()
            read = [m.payload for m, _ in got]
            assert (read if harness.ordered else sorted(read)) == (sent if harness.ordered else sorted(sent))

        run_case(harness, body)

    # --- settling ----------------------------------------------------------------------------------------

    def test_nack_redelivers_the_same_message(self, harness: SourceHarness) -> None:
        self._skip_if_exempt("nack_redelivery")

        async def body() -> None:
            source = await harness.make_source()
            await source.connect()
            try:
                await harness.publish([b'{"nack":1}'])
                [(first, ack)] = await _read(harness, source, 1)
                await within(harness, ack(RuntimeError("pipeline failed")))
                [(again, ack_again)] = await _read(harness, source, 1)
                await within(harness, ack_again())
            finally:
                await source.close()
            assert again.payload == first.payload
            assert again.message_id == first.message_id, "a redelivered message keeps its id"

        run_case(harness, body)

    def test_an_unsettled_message_is_delivered_again_after_close(self, harness: SourceHarness) -> None:
        self._skip_if_exempt("redelivery_after_close")

        async def body() -> None:
            first_source = await harness.make_source()
            await first_source.connect()
            try:
                await harness.publish([b'{"unsettled":1}'])
                [(first, _)] = await _read(harness, first_source, 1)  # read, never settled: "crash"
            finally:
                await first_source.close()
            second_source = await harness.make_source()
            await second_source.connect()
            try:
                [(again, ack)] = await _read(harness, second_source, 1)
                await ack()
            finally:
                await second_source.close()
            assert (again.message_id, again.payload) == (first.message_id, first.payload)

        run_case(harness, body)

    def test_an_acknowledged_message_is_not_delivered_again(self, harness: SourceHarness) -> None:
        async def body() -> None:
            source = await harness.make_source()
            await source.connect()
            try:
                await harness.publish(payloads(3, "acked"))
                for _, ack in await _read(harness, source, 3):
                    await within(harness, ack())
            finally:
                await source.close()
            source = await harness.make_source()
            await source.connect()
            try:
                await harness.publish([b'{"marker":1}'])
                [(next_message, ack)] = await _read(harness, source, 1)
                await ack()
            finally:
                await source.close()
            assert next_message.payload == b'{"marker":1}'

        run_case(harness, body)


async def _read(harness: SourceHarness, source: Source, count: int) -> Sequence[tuple[Message, Ack]]:
    got: list[tuple[Message, Ack]] = []
    for _ in range(count):
        got.append(await asyncio.wait_for(source.read(), harness.timeout))
    return got
