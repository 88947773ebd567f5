"""ERPNext end to end: a submitted Work Order read from the ERPNext fake, the shop floor's confirmations
over the real Mosquitto, Manufacture Stock Entries (consumed batches out, the produced batch in) posted
back exactly once through an outage, and the lots tracing forward and backward."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from pydantic import SecretStr

from lotline.connectors.erpnext import ErpNextConfig, ErpNextSink, ErpNextSource
from tests.connectors.mqtt.conftest import Broker
from tests.e2e import support
from tests.e2e.support import FINISHED, OPERATIONS, Erp
from tests.fakes.erpnext_fake import FakeErpNext

STORES = "Stores - LL"


def seed(fake: FakeErpNext) -> None:
    """Batches of sugar and bottles received earlier, a BOM using both, a submitted Work Order."""
    for code, name in (("FG-1", "Syrup 1L"), ("RM-7", "Sugar"), ("RM-8", "Bottle 1L")):
        fake.insert("Item", {"name": code, "item_code": code, "item_name": name, "has_batch_no": 1})
    for number, (_, _, item, lot, quantity, _, _) in enumerate(OPERATIONS, 7):
        fake.insert("Batch", {"name": lot, "batch_id": lot, "item": item})
        fake.insert(
            "Purchase Receipt",
            {"name": f"MAT-PRE-2026-{number:05d}", "supplier": "Supplier Co", "docstatus": 1,
             "items": [{"item_code": item, "batch_no": lot, "qty": quantity * 2}]},
        )  # fmt: skip
        fake.stock[(lot, STORES)] = quantity * 2  # what the receipt brought in
    fake.insert(
        "BOM",
        {"name": "BOM-FG-1-001", "item": FINISHED, "quantity": support.YIELD, "is_default": 1, "docstatus": 1,
         "items": [{"item_code": item, "qty": quantity} for _, _, item, _, quantity, _, _ in OPERATIONS]},
    )  # fmt: skip
    fake.insert(
        "Work Order",
        {"name": f"MFG-WO-2026-{secrets.randbelow(90000) + 10000}", "status": "Not Started",
         "production_item": FINISHED, "qty": support.YIELD, "stock_uom": "Nos", "bom_no": "BOM-FG-1-001",
         "fg_warehouse": "Finished Goods - LL", "docstatus": 1},
    )  # fmt: skip


def config(url: str) -> ErpNextConfig:
    return ErpNextConfig(
        url=url,
        api_key="key1",
        api_secret=SecretStr("secret1"),
        feeds=["work_orders"],
        poll_interval=0.05,
        retry_attempts=2,
        timeout=2.0,
        stores_warehouse=STORES,
    )


def erpnext() -> tuple[Erp, FakeErpNext]:
    fake = FakeErpNext()
    seed(fake)
    erp = Erp(
        name="erpnext",
        app=fake.app,
        source=lambda url: ErpNextSource(config(url)),
        sink=lambda url: ErpNextSink(config(url)),
        template="erpnext-work-order",
        write="POST /api/resource/Stock Entry",
        faults=fake.faults,
    )
    return erp, fake


def consumed(fake: FakeErpNext) -> list[tuple[str, str, str, float]]:
    """(reference, item, batch, quantity) of every batch a lotline Stock Entry took out of a warehouse."""
    return sorted(
        (entry["custom_lotline_ref"], row["item_code"], row["batch_no"], float(row["qty"]))
        for entry in fake.docs["Stock Entry"].values()
        if entry.get("custom_lotline_ref")
        for row in entry["items"]
        if row.get("s_warehouse")
    )


def check_erpnext(outcome: support.Outcome, fake: FakeErpNext, engine: sa.Engine) -> None:
    by_kind = support.check_lotline_side(outcome, engine)
    [order] = fake.docs["Work Order"].values()
    assert outcome.order["orderId"] == order["name"] and outcome.order["item"] == order["production_item"]
    bom = fake.docs["BOM"][order["bom_no"]]
    assert {row["item_code"] for row in bom["items"]} == {item for _, _, item, *_ in OPERATIONS}
    entries = [e for e in fake.docs["Stock Entry"].values() if e.get("custom_lotline_ref")]
    keys = sorted(e["custom_lotline_ref"] for e in entries)
    assert keys == sorted(c["key"] for c in by_kind["production_confirmation"])  # one entry per confirmation
    assert all(e["work_order"] == order["name"] for e in entries)
    # intermediate operations only consume; the final one is the Manufacture entry that receives the batch
    final = {c["key"] for c in by_kind["production_confirmation"] if c["final"]}
    for e in entries:
        manufacture = e["custom_lotline_ref"] in final
        assert e["stock_entry_type"] == (
            "Manufacture" if manufacture else "Material Consumption for Manufacture"
        )
    assert consumed(fake) == support.expected_consumption(by_kind)  # each consumed batch once, no more
    produced = outcome.order["produced"]
    finished = [row for e in entries for row in e["items"] if row.get("is_finished_item")]
    assert {row["batch_no"] for row in finished} == {produced} and len(finished) == 1  # received once
    # the goods receipt of the final confirmation is recognised as done by its Manufacture entry
    assert len(by_kind["goods_receipt"]) == 1 and by_kind["goods_receipt"][0]["lot"] == produced
    for _, _, _, lot, quantity, _, _ in OPERATIONS:  # stock left: what was received minus one consumption
        assert fake.stock[(lot, STORES)] == quantity
    support.check_traces(engine, produced)


def test_an_erpnext_work_order_is_confirmed_back_once_through_an_outage_and_its_lots_trace(
    broker: Broker, prefix: str, engine: sa.Engine
) -> None:
    erp, fake = erpnext()
    outcome = support.run(support.order_to_confirmation, erp, broker, prefix, engine)
    check_erpnext(outcome, fake, engine)


def test_an_erpnext_run_survives_a_runner_restart_without_duplicates(
    broker: Broker, prefix: str, engine: sa.Engine
) -> None:
    erp, fake = erpnext()
    outcome = support.run(support.restart_in_the_middle, erp, broker, prefix, engine)
    check_erpnext(outcome, fake, engine)
