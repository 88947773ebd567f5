"""The OPC UA source passes the Source conformance suite against the simulated filling line.

The harness publishes each payload as a `RecordEventType` event of the Filler (a PLC handing over a
record), and the source is configured to deliver that event's `Payload` field as the message payload.
The simulated server (conftest `line`) runs in a thread for the whole package; every case opens its own
sessions.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lotline.connectors import Source
from lotline.connectors.opcua import OpcuaConfig, OpcuaSource
from lotline.sim.filling_line import NAMESPACE
from lotline.sim.ports import free_port
from lotline.sim.threaded import ThreadedLine
from tests.conformance.harness import SourceHarness
from tests.conformance.source_suite import SourceConformance


class OpcuaSourceHarness(SourceHarness):
    source_name = "line-2"
    timeout = 5.0
    ordered = True  # one monitored item, one queue: events arrive in the order they were raised

    def __init__(self, line: ThreadedLine) -> None:
        self.line = line

    def _config(self, endpoint: str) -> OpcuaConfig:
        return OpcuaConfig(
            endpoint=endpoint,
            events=[
                {
                    "node_id": f"nsu={NAMESPACE};s=Filler",
                    "name": "records",
                    "payload_field": "Payload",
                    "event_types": [f"nsu={NAMESPACE};s=RecordEventType"],
                }
            ],
            publishing_interval_ms=50,
            keepalive_s=0.5,
        )

    async def make_source(self) -> Source:
        return OpcuaSource(self._config(self.line.endpoint), name=self.source_name)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        for payload in payloads:
            await self.line.call(self.line.sim.publish_record(payload))

    async def make_unreachable_source(self) -> Source:
        return OpcuaSource(self._config(f"opc.tcp://127.0.0.1:{free_port()}/"), name=self.source_name)


class TestOpcuaSource(SourceConformance):
    exempt = {
        "redelivery_after_close": "OPC UA subscriptions are not durable: a new session sees only what "
        "happens after it subscribed (events) and current values, never another session's unsettled "
        "messages; see docs/opcua.md, 'Acknowledgements'",
    }

    @pytest.fixture
    def harness(self, line: ThreadedLine) -> SourceHarness:
        return OpcuaSourceHarness(line)
