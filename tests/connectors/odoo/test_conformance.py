"""The odoo connector passes the conformance suites over a real socket against the Odoo fake.

The suites speak bytes; Odoo speaks records. The harness writes each conformance payload into a text
field of a record (mrp.production `origin` for the source, the quarantine picking's `note` for the sink)
and reads it back from there, so ids, ordering, settling and per-key results are the real connector's."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from lotline.connectors import Outbound, Sink, Source
from lotline.connectors.erpkit import MemoryPositions
from lotline.connectors.odoo import OdooSink, OdooSource
from tests.conformance.harness import SinkHarness, SourceHarness
from tests.conformance.sink_suite import SinkConformance
from tests.conformance.source_suite import SourceConformance
from tests.connectors.erp_support import T0, CommandSinkView, FieldSource
from tests.connectors.odoo.conftest import config
from tests.fakes.odoo_fake import FakeOdoo

BINARY = "ERP records hold text: a payload travels in a char field, so arbitrary bytes cannot"
UNREACHABLE = "http://127.0.0.1:1"


class OdooSourceHarness(SourceHarness):
    source_name = "odoo"
    timeout = 5.0

    def __init__(self, url: str, fake: FakeOdoo) -> None:
        self.url, self.fake = url, fake
        self.positions = MemoryPositions()
        self.fake.records["mrp.production"].clear()

    async def make_source(self) -> Source:
        return FieldSource(
            OdooSource(config(self.url, feeds=["production_orders"]), self.positions), "origin"
        )

    async def publish(self, payloads: Sequence[bytes]) -> None:
        self.fake.create(
            "mrp.production",
            [{"name": f"MO-{i}", "state": "confirmed", "origin": p.decode()} for i, p in enumerate(payloads)],
        )

    async def make_unreachable_source(self) -> Source:
        return OdooSource(config(UNREACHABLE, timeout=0.5, retry_attempts=1))


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


class OdooSinkHarness(SinkHarness):
    timeout = 5.0

    def __init__(self, url: str, fake: FakeOdoo) -> None:
        self.url, self.fake = url, fake

    async def make_sink(self) -> Sink:
        return CommandSinkView(OdooSink(config(self.url)), _quarantine)

    async def received(self) -> Sequence[bytes]:
        return [p["note"].encode() for p in self.fake.search("stock.picking", [], "id asc")]

    async def make_unreachable_sink(self) -> Sink:
        return OdooSink(config(UNREACHABLE, timeout=0.5))


class TestOdooSource(SourceConformance):
    exempt = {"binary_payloads": BINARY}

    @pytest.fixture
    def harness(self, live_fake: tuple[str, FakeOdoo]) -> SourceHarness:
        return OdooSourceHarness(*live_fake)


class TestOdooSink(SinkConformance):
    exempt = {"binary_payloads": BINARY}

    @pytest.fixture
    def harness(self, live_fake: tuple[str, FakeOdoo]) -> SinkHarness:
        return OdooSinkHarness(*live_fake)
