"""The sap connector passes the conformance suites over a real socket against the SAP fake.

The harness writes each conformance payload into a text property (Batch `BatchBySupplier` for the source,
the blocked-stock material document item's `MaterialDocumentItemText` for the sink) and reads it back."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from lotline.connectors import Outbound, Sink, Source
from lotline.connectors.erpkit import MemoryPositions
from lotline.connectors.sap import SapSink, SapSource
from tests.conformance.harness import SinkHarness, SourceHarness
from tests.conformance.sink_suite import SinkConformance
from tests.conformance.source_suite import SourceConformance
from tests.connectors.erp_support import T0, CommandSinkView, FieldSource
from tests.connectors.sap.conftest import config
from tests.fakes.sap_fake import FakeSap

BINARY = "ERP entities hold text: a payload travels in a string property, so arbitrary bytes cannot"
UNREACHABLE = "http://127.0.0.1:1"


class SapSourceHarness(SourceHarness):
    source_name = "sap"

    def __init__(self, url: str, fake: FakeSap) -> None:
        self.url, self.fake = url, fake
        self.positions = MemoryPositions()
        self.fake.sets["Batch"].clear()
        self.count = 0

    async def make_source(self) -> Source:
        cfg = config(self.url, token_url=f"{self.url}/oauth/token", feeds=["batches"])
        return FieldSource(SapSource(cfg, self.positions), "BatchBySupplier")

    async def publish(self, payloads: Sequence[bytes]) -> None:
        for payload in payloads:
            self.count += 1
            self.fake.add(
                "Batch",
                Material="RM-7",
                BatchIdentifyingPlant="",
                Batch=f"B{self.count:05d}",
                BatchBySupplier=payload.decode(),
                LastChangeDateTime="2026-12-01T08:00:00Z",
            )

    async def make_unreachable_source(self) -> Source:
        return SapSource(config(UNREACHABLE, timeout=0.5, retry_attempts=1))


def _block(item: Outbound) -> bytes:
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


class SapSinkHarness(SinkHarness):
    def __init__(self, url: str, fake: FakeSap) -> None:
        self.url, self.fake = url, fake

    async def make_sink(self) -> Sink:
        return CommandSinkView(SapSink(config(self.url, token_url=f"{self.url}/oauth/token")), _block)

    async def received(self) -> Sequence[bytes]:
        docs = [d for d in self.fake.sets["A_MaterialDocumentHeader"] if d.get("MaterialDocumentHeaderText")]
        return [d["to_MaterialDocumentItem"]["results"][0]["MaterialDocumentItemText"].encode() for d in docs]

    async def make_unreachable_sink(self) -> Sink:
        return SapSink(config(UNREACHABLE, timeout=0.5))


class TestSapSource(SourceConformance):
    exempt = {"binary_payloads": BINARY}

    @pytest.fixture
    def harness(self, live_fake: tuple[str, FakeSap]) -> SourceHarness:
        return SapSourceHarness(*live_fake)


class TestSapSink(SinkConformance):
    exempt = {"binary_payloads": BINARY}

    @pytest.fixture
    def harness(self, live_fake: tuple[str, FakeSap]) -> SinkHarness:
        return SapSinkHarness(*live_fake)
