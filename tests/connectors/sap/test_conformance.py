"""The sap connector passes the conformance suites over a real socket against the SAP fake (see
tests/connectors/erp_conformance.py): a payload travels in a Batch's `BatchBySupplier` for the source, in
the blocked-stock material document item's `MaterialDocumentItemText` for the sink."""

from __future__ import annotations

from collections.abc import Sequence

from lotline.connectors import Sink, Source
from lotline.connectors.erpkit import Positions
from lotline.connectors.sap import SapConfig, SapSink, SapSource
from tests.connectors.erp_conformance import (
    ErpSinkConformance,
    ErpSinkHarness,
    ErpSourceConformance,
    ErpSourceHarness,
)
from tests.connectors.sap.conftest import config

BINARY = "ERP entities hold text: a payload travels in a string property, so arbitrary bytes cannot"


def live_config(url: str, **options: object) -> SapConfig:
    """A config for the fake at `url`, its OAuth2 token endpoint there too."""
    return config(url, token_url=f"{url}/oauth/token", **options)


class SapSourceHarness(ErpSourceHarness):
    source_name = "sap"
    field = "BatchBySupplier"

    def source(self, url: str, positions: Positions | None = None, **options: object) -> Source:
        return SapSource(live_config(url, feeds=["batches"], **options), positions)

    def clear(self) -> None:
        self.fake.sets["Batch"].clear()

    def add(self, number: int, text: str) -> None:
        self.fake.add(
            "Batch",
            Material="RM-7",
            BatchIdentifyingPlant="",
            Batch=f"B{number:05d}",
            BatchBySupplier=text,
            LastChangeDateTime="2026-12-01T08:00:00Z",
        )


class SapSinkHarness(ErpSinkHarness):
    def sink(self, url: str, **options: object) -> Sink:
        return SapSink(live_config(url, **options))

    async def received(self) -> Sequence[bytes]:
        docs = [d for d in self.fake.sets["A_MaterialDocumentHeader"] if d.get("MaterialDocumentHeaderText")]
        return [d["to_MaterialDocumentItem"]["results"][0]["MaterialDocumentItemText"].encode() for d in docs]


class TestSapSource(ErpSourceConformance):
    harness_type = SapSourceHarness
    exempt = {"binary_payloads": BINARY}


class TestSapSink(ErpSinkConformance):
    harness_type = SapSinkHarness
    exempt = {"binary_payloads": BINARY}
