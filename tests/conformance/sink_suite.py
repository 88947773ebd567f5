"""The Sink conformance suite. A connector test subclasses `SinkConformance` and supplies `harness`:

    class TestMqttSink(SinkConformance):
        @pytest.fixture
        def harness(self, mosquitto: str) -> SinkHarness:
            return MqttSinkHarness(mosquitto)

Exemptions (`exempt = {"capability": "reason"}`) show in the test report as skips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import ClassVar

import pytest

from lotline.connectors import Check, Outbound, SendResult, Sink
from tests.conformance.harness import SinkHarness
from tests.conformance.runner import run_case, within

CAPABILITIES = {
    "check_unreachable": "check() reports an unreachable target as not ok (without raising)",
    "binary_payloads": "payloads are bytes, delivered unchanged (not text)",
}


def batch(count: int, tag: str = "k") -> list[Outbound]:
    return [Outbound(key=f"{tag}-{i}", payload=f'{{"{tag}":{i}}}'.encode()) for i in range(count)]


class SinkConformance:
    """Every Sink passes these cases. Subclasses provide the `harness` fixture."""

    #: The registered connector kind under test; by default taken from the module path
    #: (tests/connectors/test_<kind>.py or tests/connectors/<kind>/...).
    kind: ClassVar[str] = ""
    exempt: ClassVar[Mapping[str, str]] = {}

    @pytest.fixture
    def harness(self) -> SinkHarness:
        raise NotImplementedError("a conformance test provides the `harness` fixture")

    def _skip_if_exempt(self, capability: str) -> None:
        assert capability in CAPABILITIES, f"unknown capability {capability!r}"
        unknown = set(self.exempt) - set(CAPABILITIES)
        assert not unknown, f"exemptions for unknown capabilities: {sorted(unknown)}"
        if capability in self.exempt:
            pytest.skip(f"exempt from {capability!r}: {self.exempt[capability]}")

    def test_is_a_sink(self, harness: SinkHarness) -> None:
        async def body() -> None:
            assert isinstance(await harness.make_sink(), Sink)

        run_case(harness, body)

    def test_connect_and_close_are_idempotent(self, harness: SinkHarness) -> None:
        async def body() -> None:
            never_connected = await harness.make_sink()
            await within(harness, never_connected.close())
            sink = await harness.make_sink()
            await within(harness, sink.connect())
            await within(harness, sink.connect())
            await within(harness, sink.close())
            await within(harness, sink.close())

        run_case(harness, body)

    def test_check_is_ok_when_the_target_is_there(self, harness: SinkHarness) -> None:
        async def body() -> None:
            sink = await harness.make_sink()
            result = await within(harness, sink.check())
            assert isinstance(result, Check) and result.ok, result

        run_case(harness, body)

    def test_check_is_not_ok_when_the_target_is_unreachable(self, harness: SinkHarness) -> None:
        self._skip_if_exempt("check_unreachable")

        async def body() -> None:
            sink = await harness.make_unreachable_sink()
            result = await within(harness, sink.check())
            assert isinstance(result, Check) and not result.ok
            assert result.detail, "an unreachable check says what the operator should look at"
            await sink.close()

        run_case(harness, body)

    def test_send_delivers_a_batch_and_reports_every_key(self, harness: SinkHarness) -> None:
        outbound = batch(5)

        async def body() -> None:
            sink = await harness.make_sink()
            await sink.connect()
            try:
                result = await within(harness, sink.send(outbound))
            finally:
                await sink.close()
            assert isinstance(result, SendResult)
            assert result.ok and set(result.delivered) == {o.key for o in outbound}, result
            assert len(result.delivered) == len(outbound), "each key is reported once"
            await _until_received(harness, [o.payload for o in outbound])

        run_case(harness, body)

    def test_an_empty_batch_sends_nothing(self, harness: SinkHarness) -> None:
        async def body() -> None:
            sink = await harness.make_sink()
            await sink.connect()
            try:
                result = await within(harness, sink.send([]))
            finally:
                await sink.close()
            assert result.ok and result.delivered == ()
            assert list(await harness.received()) == []

        run_case(harness, body)

    def test_binary_payloads_arrive_unchanged(self, harness: SinkHarness) -> None:
        self._skip_if_exempt("binary_payloads")
        outbound = [Outbound("bin-0", bytes(range(256))), Outbound("bin-1", b"\x00\xff")]

        async def body() -> None:
            sink = await harness.make_sink()
            await sink.connect()
            try:
                result = await within(harness, sink.send(outbound))
            finally:
                await sink.close()
            assert result.ok, result
            await _until_received(harness, [o.payload for o in outbound])

        run_case(harness, body)

    def test_an_unreachable_target_never_reports_delivered(self, harness: SinkHarness) -> None:
        """A sink that cannot deliver raises (the engine's retry wrapper handles that) or reports every key
        failed with a reason; it never claims a delivery."""
        self._skip_if_exempt("check_unreachable")
        outbound = batch(3, "lost")

        async def body() -> None:
            sink = await harness.make_unreachable_sink()
            try:
                await within(harness, sink.connect())
                result = await within(harness, sink.send(outbound))
            except Exception:
                return
            finally:
                await sink.close()
            assert not result.delivered
            assert set(result.failed) == {o.key for o in outbound}
            assert all(result.failed.values()), "every failed key has a reason"

        run_case(harness, body)


async def _until_received(harness: SinkHarness, expected: Sequence[bytes]) -> None:
    """Wait (the target may receive asynchronously) until exactly the expected payloads have arrived."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + harness.timeout
    got: list[bytes] = []
    while loop.time() < deadline:
        got = list(await harness.received())
        if len(got) >= len(expected):
            break
        await asyncio.sleep(0.01)
    assert sorted(got) == sorted(expected)
