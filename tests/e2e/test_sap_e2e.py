"""SAP S/4HANA end to end: a released production order read from the SAP fake (OAuth2, CSRF), the shop
floor's confirmations over the real Mosquitto, order confirmations with their goods issues (261) and the
goods receipt of the produced batch (101) posted back exactly once through an outage, and the lots tracing
forward and backward."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from pydantic import SecretStr

from lotline.connectors.sap import SapConfig, SapSink, SapSource
from tests.connectors.mqtt.conftest import Broker
from tests.e2e import support
from tests.e2e.support import FINISHED, OPERATIONS, Erp
from tests.fakes.sap_fake import FakeSap

PLANT, STORAGE = "1010", "101A"


def seed(fake: FakeSap) -> None:
    """Batches of sugar and bottles received earlier (goods receipts for purchase orders, code 01) and one
    released production order."""
    for number, (_, _, item, lot, quantity, uom, _) in enumerate(OPERATIONS, 1):
        fake.add("Batch", Material=item, BatchIdentifyingPlant="", Batch=lot, Supplier="300001",
                 LastChangeDateTime="2026-12-01T07:00:00Z")  # fmt: skip
        fake.add(
            "A_MaterialDocumentHeader",
            MaterialDocumentYear="2026",
            MaterialDocument=f"500000000{number}",
            GoodsMovementCode="01",
            CreationDate="2026-12-01",
            CreationTime="PT07H30M00S",
            to_MaterialDocumentItem={
                "results": [{"Material": item, "Batch": lot, "GoodsMovementType": "101",
                             "QuantityInEntryUnit": str(quantity * 2), "EntryUnit": uom}]
            },
        )  # fmt: skip
    fake.add(
        "A_ProductionOrder_2",
        ManufacturingOrder=str(1_000_000 + secrets.randbelow(900_000)),
        ManufacturingOrderType="PP01",
        Material=FINISHED,
        ProductionPlant=PLANT,
        MfgOrderPlannedTotalQty=str(int(support.YIELD)),
        ProductionUnit="EA",
        OrderIsReleased="X",
        OrderIsTechnicallyCompleted="",
        OrderIsClosed="",
        LastChangeDateTime="2026-12-01T08:00:00Z",
    )


def config(url: str) -> SapConfig:
    return SapConfig(
        url=url,
        token_url="/oauth/token",
        client_id="lotline",
        client_secret=SecretStr("s3cret"),
        sap_client="100",
        feeds=["production_orders"],
        poll_interval=0.05,
        retry_attempts=2,
        timeout=2.0,
        plant=PLANT,
        storage_location=STORAGE,
    )


def sap() -> tuple[Erp, FakeSap]:
    fake = FakeSap()
    seed(fake)
    erp = Erp(
        name="sap",
        app=fake.app,
        source=lambda url: SapSource(config(url)),
        sink=lambda url: SapSink(config(url)),
        template="sap-production-order",
        write="POST /sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV/ProdnOrdConf2",
        faults=fake.faults,
    )
    return erp, fake


def consumed(fake: FakeSap) -> list[tuple[str, str, str, float]]:
    """(reference, material, batch, quantity) of every goods issue (261) of a lotline confirmation."""
    return sorted(
        (conf["ConfirmationText"], item["Material"], item["Batch"], float(item["QuantityInEntryUnit"]))
        for conf in fake.sets["ProdnOrdConf2"]
        for item in conf.get("to_ProdnOrdConfMatlDocItm", {}).get("results", [])
        if item["GoodsMovementType"] == "261"
    )


def check_sap(outcome: support.Outcome, fake: FakeSap, engine: sa.Engine) -> None:
    by_kind = support.check_lotline_side(outcome, engine)
    [order] = [o for o in fake.sets["A_ProductionOrder_2"] if o.get("OrderIsReleased") == "X"]
    assert (
        outcome.order["orderId"] == order["ManufacturingOrder"] and outcome.order["item"] == order["Material"]
    )
    confirmations = fake.sets["ProdnOrdConf2"]
    assert sorted(c["ConfirmationText"] for c in confirmations) == sorted(
        c["key"] for c in by_kind["production_confirmation"]
    )  # one SAP confirmation per lotline confirmation
    assert {(c["OrderID"], c["OrderOperation"]) for c in confirmations} == {
        (order["ManufacturingOrder"], operation) for operation, *_ in OPERATIONS
    }
    assert [c["IsFinalConfirmation"] for c in sorted(confirmations, key=lambda c: c["OrderOperation"])] == [
        final for *_, final in OPERATIONS
    ]
    assert consumed(fake) == support.expected_consumption(by_kind)  # each consumed batch once, no more
    produced = outcome.order["produced"]
    [receipt] = by_kind["goods_receipt"]
    documents = [d for d in fake.sets["A_MaterialDocumentHeader"] if d.get("GoodsMovementCode") == "02"]
    assert [d["MaterialDocumentHeaderText"] for d in documents] == [receipt["key"]]  # received once
    [item] = documents[0]["to_MaterialDocumentItem"]["results"]
    assert (item["GoodsMovementType"], item["Material"], item["Batch"]) == ("101", FINISHED, produced)
    assert item["ManufacturingOrder"] == order["ManufacturingOrder"]
    support.check_traces(engine, produced)


def test_a_sap_production_order_is_confirmed_back_once_through_an_outage_and_its_lots_trace(
    broker: Broker, prefix: str, engine: sa.Engine
) -> None:
    erp, fake = sap()
    outcome = support.run(support.order_to_confirmation, erp, broker, prefix, engine)
    check_sap(outcome, fake, engine)


def test_a_sap_run_survives_a_runner_restart_without_duplicates(
    broker: Broker, prefix: str, engine: sa.Engine
) -> None:
    erp, fake = sap()
    outcome = support.run(support.restart_in_the_middle, erp, broker, prefix, engine)
    check_sap(outcome, fake, engine)
