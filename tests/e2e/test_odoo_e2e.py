"""Odoo end to end: a confirmed manufacturing order read from the Odoo fake, the shop floor's
confirmations over the real Mosquitto, the confirmations (consumed lots, produced lot) posted back to Odoo
exactly once through an outage and through a runner restart, and the lots tracing forward and backward."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from pydantic import SecretStr

from lotline.connectors.odoo import OdooConfig, OdooSink, OdooSource
from tests.connectors.mqtt.conftest import Broker
from tests.e2e import support
from tests.e2e.support import FINISHED, OPERATIONS, Erp
from tests.fakes.odoo_fake import FakeOdoo


def seed(fake: FakeOdoo) -> None:
    """A plant whose sugar and bottle lots were received earlier, and one confirmed order using both."""
    fake.create("res.users", [{"login": "integration", "name": "Integration"}])
    stock, _, production, vendors = fake.create(
        "stock.location",
        [
            {"name": "Stock", "complete_name": "WH/Stock"},
            {"name": "Quarantine", "complete_name": "WH/Quarantine"},
            {"name": "Production", "complete_name": "Virtual Locations/Production"},
            {"name": "Vendors", "complete_name": "Partners/Vendors"},
        ],
    )
    [receipts] = fake.create("stock.picking.type", [{"name": "Receipts", "code": "incoming"}])
    codes = ("FG-1", "RM-7", "RM-8")
    names = ("Syrup 1L", "Sugar", "Bottle 1L")
    products = dict(
        zip(
            codes,
            fake.create(
                "product.product",
                [{"default_code": code, "name": name} for code, name in zip(codes, names, strict=True)],
            ),
            strict=True,
        )
    )
    for _, _, item, lot, quantity, _, _ in OPERATIONS:  # received earlier: a done receipt per lot
        [lot_id] = fake.create("stock.lot", [{"name": lot, "product_id": products[item]}])
        [picking] = fake.create(
            "stock.picking",
            [{"name": f"WH/IN/{lot}", "picking_type_id": receipts, "picking_type_code": "incoming",
              "state": "done", "location_id": vendors, "location_dest_id": stock}],
        )  # fmt: skip
        fake.create(
            "stock.move.line",
            [{"picking_id": picking, "product_id": products[item], "lot_id": lot_id,
              "quantity": quantity * 2, "location_id": vendors, "location_dest_id": stock}],
        )  # fmt: skip
        fake.button_validate([picking])
    [order] = fake.create(
        "mrp.production",
        [{"name": f"WH/MO/{secrets.randbelow(90000) + 10000}", "state": "confirmed",
          "product_id": products[FINISHED], "product_qty": support.YIELD, "origin": "SO-9"}],
    )  # fmt: skip
    fake.create(
        "stock.move",
        [
            {"name": item, "product_id": products[item], "raw_material_production_id": order,
             "product_uom_qty": quantity, "location_id": stock, "location_dest_id": production}
            for _, _, item, _, quantity, _, _ in OPERATIONS
        ],
    )  # fmt: skip


def config(url: str) -> OdooConfig:
    return OdooConfig(
        url=url,
        database="lotline",
        api_key=SecretStr("odoo-key-1"),
        feeds=["production_orders"],
        poll_interval=0.05,
        retry_attempts=2,
        timeout=2.0,
    )


def odoo() -> tuple[Erp, FakeOdoo]:
    fake = FakeOdoo()
    seed(fake)
    erp = Erp(
        name="odoo",
        app=fake.app,
        source=lambda url: OdooSource(config(url)),
        sink=lambda url: OdooSink(config(url)),
        template="odoo-production-order",
        write="POST /json/2/stock.move.line/create",
        faults=fake.faults,
    )
    return erp, fake


def consumed(fake: FakeOdoo) -> list[tuple[str, str, str, float]]:
    """(reference, item, lot, quantity) of every consumption line in Odoo that carries a lotline key."""
    codes = {p["id"]: p["default_code"] for p in fake.records["product.product"].values()}
    lots = {lot["id"]: lot["name"] for lot in fake.records["stock.lot"].values()}
    return sorted(
        (line["x_lotline_ref"], codes[line["product_id"]], lots[line["lot_id"]], float(line["quantity"]))
        for line in fake.records["stock.move.line"].values()
        if line.get("x_lotline_ref")
    )


def check_odoo(outcome: support.Outcome, fake: FakeOdoo, engine: sa.Engine) -> None:
    by_kind = support.check_lotline_side(outcome, engine)
    [order] = fake.records["mrp.production"].values()
    assert outcome.order["orderId"] == order["name"] and outcome.order["item"] == FINISHED
    codes = {p["id"]: p["default_code"] for p in fake.records["product.product"].values()}
    moves = [m for m in fake.records["stock.move"].values() if m["raw_material_production_id"] == order["id"]]
    assert {codes[m["product_id"]] for m in moves} == {
        item for _, _, item, *_ in OPERATIONS
    }  # its components
    assert consumed(fake) == support.expected_consumption(by_kind)  # each consumed lot once, no more
    produced = outcome.order["produced"]
    assert order["state"] == "done" and order["qty_producing"] == support.YIELD
    assert fake.records["stock.lot"][order["lot_producing_id"]]["name"] == produced
    assert [lot["name"] for lot in fake.records["stock.lot"].values()].count(produced) == 1
    support.check_traces(engine, produced)


def test_an_odoo_order_is_confirmed_back_once_through_an_outage_and_its_lots_trace(
    broker: Broker, prefix: str, engine: sa.Engine
) -> None:
    erp, fake = odoo()
    outcome = support.run(support.order_to_confirmation, erp, broker, prefix, engine)
    check_odoo(outcome, fake, engine)


def test_an_odoo_run_survives_a_runner_restart_without_duplicates(
    broker: Broker, prefix: str, engine: sa.Engine
) -> None:
    erp, fake = odoo()
    outcome = support.run(support.restart_in_the_middle, erp, broker, prefix, engine)
    check_odoo(outcome, fake, engine)
