"""The odoo connector passes the conformance suites over a real socket against the Odoo fake (see
tests/connectors/erp_conformance.py): a payload travels in mrp.production `origin` for the source, in the
quarantine picking's `note` for the sink."""

from __future__ import annotations

from collections.abc import Sequence

from lotline.connectors import Sink, Source
from lotline.connectors.erpkit import Positions
from lotline.connectors.odoo import OdooSink, OdooSource
from tests.connectors.erp_conformance import (
    ErpSinkConformance,
    ErpSinkHarness,
    ErpSourceConformance,
    ErpSourceHarness,
)
from tests.connectors.odoo.conftest import config

BINARY = "ERP records hold text: a payload travels in a char field, so arbitrary bytes cannot"


class OdooSourceHarness(ErpSourceHarness):
    source_name = "odoo"
    field = "origin"

    def source(self, url: str, positions: Positions | None = None, **options: object) -> Source:
        return OdooSource(config(url, feeds=["production_orders"], **options), positions)

    def clear(self) -> None:
        self.fake.records["mrp.production"].clear()

    def add(self, number: int, text: str) -> None:
        self.fake.create("mrp.production", [{"name": f"MO-{number}", "state": "confirmed", "origin": text}])


class OdooSinkHarness(ErpSinkHarness):
    def sink(self, url: str, **options: object) -> Sink:
        return OdooSink(config(url, **options))

    async def received(self) -> Sequence[bytes]:
        return [p["note"].encode() for p in self.fake.search("stock.picking", [], "id asc")]


class TestOdooSource(ErpSourceConformance):
    harness_type = OdooSourceHarness
    exempt = {"binary_payloads": BINARY}


class TestOdooSink(ErpSinkConformance):
    harness_type = OdooSinkHarness
    exempt = {"binary_payloads": BINARY}
