"""The sap connector against the SAP contract fake: OData paging, CSRF, OAuth2, idempotent postings and
the failure modes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lotline.connectors import Outbound
from lotline.connectors.erpkit import ErpAuthError, MemoryPositions
from lotline.connectors.sap import SapSink, SapSource
from tests.connectors.erp_scenarios import (
    built_by_registry,
    delivered_through_an_outage,
    parked_on_a_schema_error,
    recording_waits,
    sent,
)
from tests.connectors.erp_support import command, confirmation, read_all, transport
from tests.connectors.sap.conftest import config
from tests.fakes.query import odata_date
from tests.fakes.sap_fake import FakeSap

SUGAR = [{"item": "RM-7", "lot": "S-17", "quantity": 300, "uom": "KG"}]


def test_the_source_pages_through_released_orders_batches_receipts_and_inspection_lots(fake: FakeSap) -> None:
    positions = MemoryPositions()
    cfg = config(feeds=["production_orders", "batches", "goods_receipts", "inspection_lots"], page_size=3)

    async def scenario() -> tuple[list[Any], list[Any]]:
        async with SapSource(cfg, positions, transport(fake)) as source:
            first = await read_all(source)
        fake.sets["A_ProductionOrder_2"][1].update(
            OrderIsTechnicallyCompleted="X", LastChangeDateTime=odata_date("2026-12-01T10:00:00.250Z")
        )
        async with SapSource(cfg, positions, transport(fake)) as source:
            second = await read_all(source)
        return first, second

    first, second = asyncio.run(scenario())
    assert [m for m, _ in first] == [
        "production_orders/1000042@2026-12-01T08:00:00.000Z",
        "production_orders/1000043@2026-12-01T08:00:00.000Z",
        "production_orders/1000044@2026-12-01T08:00:00.000Z",
        "batches/RM-7//S-17@2026-12-01T07:00:00.000Z",
        "goods_receipts/2026/5000000001@2026-12-01T07:30:00.000Z",
        "inspection_lots/010000000123@2026-12-01T09:00:00.000Z",
    ]
    assert first[4][1]["to_MaterialDocumentItem"]["results"][0]["Batch"] == "S-17"
    assert [m for m, _ in second] == ["production_orders/1000043@2026-12-01T10:00:00.250Z"]
    order_pages = [line for line in fake.faults.log if line.endswith("/A_ProductionOrder_2")]
    assert len(order_pages) >= 4  # pages of 2 (the fake's limit) through __next, twice


def test_a_confirmation_posts_once_with_its_goods_issues(fake: FakeSap) -> None:
    item = Outbound("conf-1", confirmation("1000042", SUGAR, operation="0010", uom="EA"))

    async def scenario() -> None:
        async with SapSink(config(), transport(fake)) as sink:
            assert (await sink.send([item])).ok
            fake.expire_csrf()  # the session's CSRF token went stale: fetched again, posted once
            assert (await sink.send([item])).ok

    asyncio.run(scenario())
    [posted] = fake.sets["ProdnOrdConf2"]
    assert posted["ConfirmationText"] == "conf-1" and posted["IsFinalConfirmation"] is True
    assert posted["to_ProdnOrdConfMatlDocItm"]["results"][0]["GoodsMovementType"] == "261"


def test_receipt_block_and_usage_decision(fake: FakeSap) -> None:
    batch = [
        Outbound(
            "gr-1",
            command("goods_receipt", orderId="1000042", item="FG-1", lot="FG-L1", quantity=990, uom="EA"),
        ),
        Outbound("hold-1", command("quarantine_transfer", item="RM-7", lot="S-17", quantity=500, uom="KG")),
        Outbound(
            "ud-1",
            command(
                "quality_decision",
                item="FG-1",
                lot="FG-L1",
                decision="released",
                inspectionLot="010000000123",
            ),
        ),
    ]

    sink = SapSink(config(auth="basic", username="COMM_USER", password="pw"), transport(fake))
    assert sent(sink, batch, batch).ok  # the second time, everything is found posted already
    docs = [d for d in fake.sets["A_MaterialDocumentHeader"] if d.get("MaterialDocumentHeaderText")]
    assert [
        (
            d["MaterialDocumentHeaderText"],
            d["GoodsMovementCode"],
            d["to_MaterialDocumentItem"]["results"][0]["GoodsMovementType"],
        )
        for d in docs
    ] == [("gr-1", "02", "101"), ("hold-1", "04", "344")]
    assert [u["InspectionLotUsageDecisionCode"] for u in fake.sets["A_InspLotUsageDecision"]] == ["A"]


def test_a_partial_batch_failure_names_the_failed_key(fake: FakeSap) -> None:
    batch = [
        Outbound("ok", confirmation("1000042", SUGAR)),
        Outbound("missing", confirmation("999", SUGAR)),
        Outbound("noqty", command("quarantine_transfer", item="RM-7", lot="S-17")),
    ]

    result = sent(SapSink(config(), transport(fake)), batch)
    assert result.delivered == ("ok",)
    assert "Order 999 does not exist" in result.failed["missing"] and "quantity" in result.failed["noqty"]


def test_an_expired_token_is_refreshed_and_a_refused_client_is_an_auth_error(fake: FakeSap) -> None:
    async def scenario() -> Any:
        async with SapSink(config(), transport(fake)) as sink:
            await sink.send([Outbound("c1", confirmation("1000042", SUGAR, final=False))])
            fake.expire_tokens()
            ok = await sink.send([Outbound("c2", confirmation("1000042", SUGAR))])
            fake.expire_tokens()
            fake.clients = {"lotline": "rotated"}
            with pytest.raises(ErpAuthError):
                await sink.send([Outbound("c3", confirmation("1000042", SUGAR))])
            return ok

    assert asyncio.run(scenario()).ok
    assert [c["ConfirmationText"] for c in fake.sets["ProdnOrdConf2"]] == ["c1", "c2"]


def test_429_and_5xx_are_retried_honouring_retry_after(fake: FakeSap) -> None:
    fake.faults.rate_limited, fake.faults.retry_after, fake.faults.server_errors = 1, 4, 2
    sink, waits = recording_waits(SapSink(config(), transport(fake)), "sap", max_delay=10)
    assert sent(sink, [Outbound("c1", confirmation("1000042", SUGAR))]).ok and waits[0] >= 4
    assert len(fake.sets["ProdnOrdConf2"]) == 1


def test_a_changed_schema_names_the_property_and_parks_the_message(fake: FakeSap) -> None:
    fake.renamed = {"ConfirmationYieldQuantity": "ConfirmationYieldQty"}
    item = Outbound("c1", confirmation("1000042", SUGAR))
    result, _ = parked_on_a_schema_error(SapSink(config(), transport(fake)), "sap", item)
    assert "ConfirmationYieldQuantity" in result.failed["c1"]
    assert fake.sets["ProdnOrdConf2"] == []


def test_the_source_names_a_property_the_service_no_longer_has(fake: FakeSap) -> None:
    from lotline.connectors.erpkit import ErpSchemaError

    fake.renamed = {"LastChangeDateTime": "LastChangeDateTimeUTC"}

    async def scenario() -> None:
        async with SapSource(
            config(feeds=["production_orders"], since="2026-01-01T00:00:00.000Z"),
            MemoryPositions(),
            transport(fake),
        ) as source:
            await source.poll()

    with pytest.raises(ErpSchemaError, match="LastChangeDateTime"):
        asyncio.run(scenario())


def test_deliveries_wait_for_an_unreachable_sap_and_complete_exactly_once(fake: FakeSap) -> None:
    batch = [Outbound(f"c{i}", confirmation("1000042", SUGAR, final=False)) for i in range(3)]

    def sink_at(url: str) -> SapSink:
        return SapSink(config(url, timeout=1.0, token_url=f"{url}/oauth/token"))

    delivered_through_an_outage(fake, sink_at, "sap", batch)
    assert sorted(c["ConfirmationText"] for c in fake.sets["ProdnOrdConf2"]) == ["c0", "c1", "c2"]


def test_the_registry_builds_the_sap_source_and_sink_from_config_alone() -> None:
    source, sink = built_by_registry("sap", {"url": "http://x", "client_secret": "s"})
    assert isinstance(source, SapSource) and isinstance(sink, SapSink)
