"""The erpnext connector passes the conformance suites over a real socket against the ERPNext fake (see
tests/connectors/erp_conformance.py): a payload travels in a Batch's `description` for the source, in
the quarantine Stock Entry's `remarks` for the sink."""

from __future__ import annotations

from collections.abc import Sequence

from lotline.connectors import Sink, Source
from lotline.connectors.erpkit import Positions
from lotline.connectors.erpnext import ErpNextSink, ErpNextSource
from tests.connectors.erp_conformance import (
    ErpSinkConformance,
    ErpSinkHarness,
    ErpSourceConformance,
    ErpSourceHarness,
)
from tests.connectors.erpnext.conftest import config

BINARY = "ERP documents hold text: a payload travels in a Data field, so arbitrary bytes cannot"


class ErpNextSourceHarness(ErpSourceHarness):
    source_name = "erpnext"
    field = "description"

    def source(self, url: str, positions: Positions | None = None, **options: object) -> Source:
        return ErpNextSource(config(url, feeds=["batches"], **options), positions)

    def clear(self) -> None:
        self.fake.docs["Batch"].clear()

    def add(self, number: int, text: str) -> None:
        self.fake.insert("Batch", {"name": f"B-{number:04d}", "item": "RM-7", "description": text})


class ErpNextSinkHarness(ErpSinkHarness):
    def sink(self, url: str, **options: object) -> Sink:
        return ErpNextSink(config(url, **options))

    async def received(self) -> Sequence[bytes]:
        return [e["remarks"].encode() for e in self.fake.docs["Stock Entry"].values()]


class TestErpNextSource(ErpSourceConformance):
    harness_type = ErpNextSourceHarness
    exempt = {"binary_payloads": BINARY}


class TestErpNextSink(ErpSinkConformance):
    harness_type = ErpNextSinkHarness
    exempt = {"binary_payloads": BINARY}
