"""The erpnext connector passes the conformance suites over a real socket against the ERPNext fake.

The harness writes each conformance payload into a text field (Batch `description` for the source, the
quarantine Stock Entry's `remarks` for the sink) and reads it back from there."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from lotline.connectors import Outbound, Sink, Source
from lotline.connectors.erpkit import MemoryPositions
from lotline.connectors.erpnext import ErpNextSink, ErpNextSource
from tests.conformance.harness import SinkHarness, SourceHarness
from tests.conformance.sink_suite import SinkConformance
from tests.conformance.source_suite import SourceConformance
from tests.connectors.erp_support import T0, CommandSinkView, FieldSource
from tests.connectors.erpnext.conftest import config
from tests.fakes.erpnext_fake import FakeErpNext

BINARY = "ERP documents hold text: a payload travels in a Data field, so arbitrary bytes cannot"
UNREACHABLE = "http://127.0.0.1:1"


class ErpNextSourceHarness(SourceHarness):
    source_name = "erpnext"

    def __init__(self, url: str, fake: FakeErpNext) -> None:
        self.url, self.fake = url, fake
        self.positions = MemoryPositions()
        self.fake.docs["Batch"].clear()
        self.count = 0

    async def make_source(self) -> Source:
        return FieldSource(ErpNextSource(config(self.url, feeds=["batches"]), self.positions), "description")

    async def publish(self, payloads: Sequence[bytes]) -> None:
        for payload in payloads:
            self.count += 1
            self.fake.insert(
                "Batch", {"name": f"B-{self.count:04d}", "item": "RM-7", "description": payload.decode()}
            )

    async def make_unreachable_source(self) -> Source:
        return ErpNextSource(config(UNREACHABLE, timeout=0.5, retry_attempts=1))


def _quarantine(item: Outbound) -> bytes:
    return json.dumps(
        {
            "kind": "quarantine_transfer",
            "item": "RM-7",
            "lot": "S-17",
            "quantity": 1,
            "reason": item.payload.decode(),
            "time": T0,
        }
    ).encode()


class ErpNextSinkHarness(SinkHarness):
    def __init__(self, url: str, fake: FakeErpNext) -> None:
        self.url, self.fake = url, fake

    async def make_sink(self) -> Sink:
        return CommandSinkView(ErpNextSink(config(self.url)), _quarantine)

    async def received(self) -> Sequence[bytes]:
        return [e["remarks"].encode() for e in self.fake.docs["Stock Entry"].values()]

    async def make_unreachable_sink(self) -> Sink:
        return ErpNextSink(config(UNREACHABLE, timeout=0.5))


class TestErpNextSource(SourceConformance):
    exempt = {"binary_payloads": BINARY}

    @pytest.fixture
    def harness(self, live_fake: tuple[str, FakeErpNext]) -> SourceHarness:
        return ErpNextSourceHarness(*live_fake)


class TestErpNextSink(SinkConformance):
    exempt = {"binary_payloads": BINARY}

    @pytest.fixture
    def harness(self, live_fake: tuple[str, FakeErpNext]) -> SinkHarness:
        return ErpNextSinkHarness(*live_fake)
