"""The odoo connector against the Odoo contract fake: reading with watermarks, writing idempotently, and
the failure modes (429, 5xx, outage, expired key, changed schema, partial batch)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from lotline.connectors import Outbound
from lotline.connectors.erpkit import MemoryPositions
from lotline.connectors.odoo import OdooSink, OdooSource
from tests.connectors.erp_scenarios import (
    built_by_registry,
    delivered_through_an_outage,
    parked_on_a_schema_error,
    recording_waits,
    sent,
)
from tests.connectors.erp_support import command, confirmation, read_all, transport
from tests.connectors.odoo.conftest import config
from tests.fakes.odoo_fake import FakeOdoo

SUGAR = [{"item": "RM-7", "lot": "S-17", "quantity": 300, "uom": "KGM"}]


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_the_source_reads_orders_lots_and_receipts_once(fake: FakeOdoo, protocol: str) -> None:
    fake.create("stock.picking", [{"name": "WH/IN/7", "picking_type_code": "incoming", "state": "done"}])
    fake.create("stock.move.line", [{"picking_id": 1, "product_id": 2, "lot_id": 1, "quantity": 500.0}])
    positions = MemoryPositions()
    cfg = config(protocol=protocol, login="integration", feeds=["production_orders", "receipts", "lots"])

    async def scenario() -> tuple[list[Any], list[Any], list[Any]]:
        async with OdooSource(cfg, positions, transport(fake)) as source:
            first = await read_all(source)
        fake.now = "2026-12-01 08:00:05"
        fake.write("mrp.production", [1], {"state": "progress"})
        async with OdooSource(cfg, positions, transport(fake)) as source:
            second = await read_all(source)
            third = await read_all(source)
        return first, second, third

    first, second, third = asyncio.run(scenario())
    ids = [message_id for message_id, _ in first]
    assert ids == [
        "production_orders/1@2026-12-01 08:00:00",
        "receipts/1@2026-12-01 08:00:00",
        "lots/1@2026-12-01 08:00:00",
        "lots/2@2026-12-01 08:00:00",
    ]
    order = first[0][1]
    assert order["name"] == "WH/MO/00042" and order["product_id"] == [1, "[FG-1] Syrup 1L"]
    assert first[1][1]["move_lines"][0]["quantity"] == 500.0
    assert [m for m, _ in second] == ["production_orders/1@2026-12-01 08:00:05"]  # the new version only
    assert third == []


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_orders_carry_the_product_default_code_whatever_the_display_name(
    fake: FakeOdoo, protocol: str
) -> None:
    """A server whose product display names carry no "[code]" (context display_default_code false, or a
    translated name): the item still comes from product.product default_code, read by the source."""
    from lotline.mapping import load_mapping

    fake.display_default_code = False
    [no_code] = fake.create("product.product", [{"name": "Probe-Set"}])
    fake.create(
        "mrp.production",
        [{"name": "WH/MO/00043", "state": "confirmed", "product_id": no_code, "product_qty": 5.0}],
    )
    cfg = config(protocol=protocol, login="integration", feeds=["production_orders"])

    async def scenario() -> list[Any]:
        messages = []
        async with OdooSource(cfg, MemoryPositions(), transport(fake)) as source:
            while source._ready or await source.poll():
                message, settle = await source.read()
                messages.append(message)
                await settle()
        return messages

    messages = asyncio.run(scenario())
    orders = {order["name"]: order for order in (orjson.loads(m.payload) for m in messages)}
    assert orders["WH/MO/00042"]["product_id"] == [1, "Syrup 1L"]  # no code in the display name
    assert orders["WH/MO/00042"]["product_default_code"] == "FG-1"
    assert orders["WH/MO/00043"]["product_default_code"] is False
    mapper = load_mapping("template:odoo-production-order")
    items = {}
    for message in messages:
        [status] = mapper(message)
        items[status["data"]["orderId"]] = status["data"].get("item")
    assert items == {"WH/MO/00042": "FG-1", "WH/MO/00043": None}  # no Internal Reference: no item guessed


def test_ties_on_write_date_are_neither_lost_nor_repeated(fake: FakeOdoo) -> None:
    """Five lots share one write_date; pages of two; the first source acks three and crashes."""
    fake.create("stock.lot", [{"name": f"T-{i}", "product_id": 2} for i in range(5)])
    positions = MemoryPositions()
    cfg = config(feeds=["lots"])

    async def scenario() -> tuple[list[str], list[str]]:
        source = OdooSource(cfg, positions, transport(fake))
        await source.connect()
        await source.poll()
        read = [await source.read() for _ in range(4)]
        for index in (0, 1, 3):  # the third stays unsettled: the position stops before it
            await read[index][1]()
        await source.close()
        async with OdooSource(cfg, positions, transport(fake)) as again:
            rest = await read_all(again)
        return [m.message_id for m, _ in read], [m for m, _ in rest]

    first, rest = asyncio.run(scenario())
    assert rest[0] == first[2]  # the unsettled one again, then everything after it
    assert len(first) + len(rest) - 2 == 7  # 7 lots; two read twice (settled after the gap, unsettled)
    assert len(set(first) | set(rest)) == 7


@pytest.mark.parametrize(("overlap", "read_late"), [(60.0, True), (0.0, False)])
def test_a_record_committed_late_with_an_older_write_date_is_read_within_the_overlap(
    fake: FakeOdoo, overlap: float, read_late: bool
) -> None:
    """Odoo stamps write_date when the transaction starts: a long transaction commits after a newer one."""
    positions = MemoryPositions()
    cfg = config(feeds=["lots"], overlap_seconds=overlap)

    async def scenario() -> list[str]:
        async with OdooSource(cfg, positions, transport(fake)) as source:
            fake.now = "2026-12-01 08:00:30"
            fake.create("stock.lot", [{"name": "NEW", "product_id": 2}])
            await read_all(source)
            fake.now = "2026-12-01 08:00:10"  # the late commit
            fake.create("stock.lot", [{"name": "LATE", "product_id": 2}])
            return [m for m, _ in await read_all(source)]

    assert asyncio.run(scenario()) == (["lots/4@2026-12-01 08:00:10"] if read_late else [])


@pytest.mark.parametrize("protocol", ["json2", "jsonrpc"])
def test_a_confirmation_consumes_the_lots_and_closes_the_order_exactly_once(
    fake: FakeOdoo, protocol: str
) -> None:
    item = Outbound("conf-1", confirmation("WH/MO/00042", SUGAR, lot="FG-L1"))

    async def scenario() -> None:
        async with OdooSink(config(protocol=protocol, login="integration"), transport(fake)) as sink:
            assert (await sink.send([item])).delivered == ("conf-1",)
            assert (await sink.send([item])).delivered == ("conf-1",)  # a retried send

    asyncio.run(scenario())
    lines = fake.search("stock.move.line", [["x_lotline_ref", "=", "conf-1"]])
    assert len(lines) == 1 and lines[0]["lot_id"] == 1 and lines[0]["quantity"] == 300
    order = fake.records["mrp.production"][1]
    assert order["state"] == "done" and order["qty_producing"] == 990
    assert fake.records["stock.lot"][order["lot_producing_id"]]["name"] == "FG-L1"


def test_hold_moves_the_lot_to_quarantine_and_release_brings_it_back(fake: FakeOdoo) -> None:
    hold = command("quality_decision", item="RM-7", lot="S-17", decision="on_hold", reason="NC-12")
    release = command("quality_decision", item="RM-7", lot="S-17", decision="released")

    async def scenario() -> None:
        async with OdooSink(config(), transport(fake)) as sink:
            assert (await sink.send([Outbound("q-1", hold), Outbound("q-1", hold)])).ok
            quants = {q["location_id"]: q["quantity"] for q in fake.search("stock.quant", [])}
            assert quants == {1: 0.0, 2: 500.0}
            assert (await sink.send([Outbound("q-2", release)])).ok

    asyncio.run(scenario())
    pickings = fake.search("stock.picking", [])
    assert [(p["origin"], p["state"], p.get("note")) for p in pickings] == [
        ("q-1", "done", "NC-12"),
        ("q-2", "done", None),
    ]
    assert {q["location_id"]: q["quantity"] for q in fake.search("stock.quant", [])} == {1: 500.0, 2: 0.0}


def test_a_partial_batch_failure_names_the_failed_key(fake: FakeOdoo) -> None:
    batch = [
        Outbound("ok", confirmation("WH/MO/00042", SUGAR)),
        Outbound("bad", confirmation("WH/MO/99999", SUGAR)),
        Outbound("broken", b'{"kind": "production_confirmation"}'),
    ]

    result = sent(OdooSink(config(), transport(fake)), batch)
    assert result.delivered == ("ok",)
    assert "WH/MO/99999" in result.failed["bad"]
    assert "orderId" in result.failed["broken"]


def test_429_and_5xx_are_retried_by_the_wrappers_honouring_retry_after(fake: FakeOdoo) -> None:
    fake.faults.rate_limited, fake.faults.retry_after = 1, 2
    sink, waits = recording_waits(OdooSink(config(), transport(fake)), "odoo", max_attempts=4)
    first = sent(sink, [Outbound("c1", confirmation("WH/MO/00042", SUGAR))])
    fake.faults.server_errors = 2
    second = sent(sink, [Outbound("h1", command("quarantine_transfer", item="RM-7", lot="S-17", quantity=5))])
    assert first.delivered == ("c1",) and second.delivered == ("h1",)
    assert waits[0] >= 2  # Retry-After: 2
    assert len(fake.search("stock.move.line", [["x_lotline_ref", "=", "c1"]])) == 1
    assert len(fake.search("stock.picking", [["origin", "=", "h1"]])) == 1


def test_a_rotated_api_key_is_read_again_from_its_file(fake: FakeOdoo, tmp_path: Path) -> None:
    key_file = tmp_path / "odoo.key"
    key_file.write_text("odoo-key-1\n")
    cfg = config(api_key=None, api_key_file=key_file)

    async def scenario() -> Any:
        async with OdooSink(cfg, transport(fake)) as sink:
            await sink.send([Outbound("c1", confirmation("WH/MO/00042", SUGAR, final=False))])
            fake.api_keys = {"odoo-key-2"}  # the old key expired
            key_file.write_text("odoo-key-2\n")
            return await sink.send([Outbound("c2", confirmation("WH/MO/00042", SUGAR))])

    assert asyncio.run(scenario()).delivered == ("c2",)


def test_an_expired_key_that_was_not_replaced_is_an_auth_error(fake: FakeOdoo) -> None:
    from lotline.connectors.erpkit import ErpAuthError

    fake.api_keys = {"other"}

    async def scenario() -> None:
        async with OdooSink(config(), transport(fake)) as sink:
            await sink.send([Outbound("c1", confirmation("WH/MO/00042", SUGAR))])

    with pytest.raises(ErpAuthError, match="refused the API key"):
        asyncio.run(scenario())


def test_a_changed_schema_names_the_field_and_parks_the_message(fake: FakeOdoo) -> None:
    fake.schema = "odoo16"  # stock.move.line.quantity is qty_done again
    item = Outbound("c1", confirmation("WH/MO/00042", SUGAR))
    result, letter = parked_on_a_schema_error(OdooSink(config(), transport(fake)), "odoo", item)
    assert "stock.move.line" in result.failed["c1"] and "'quantity'" in result.failed["c1"]
    assert letter.attempts == 2
    assert fake.search("stock.move.line", [["x_lotline_ref", "=", "c1"]]) == []  # nothing half-written


def test_the_source_names_a_field_the_server_no_longer_has(fake: FakeOdoo) -> None:
    from lotline.connectors.erpkit import ErpSchemaError

    fake.schema = "odoo16"
    cfg = config(feeds=["receipts"])
    fake.create("stock.picking", [{"name": "WH/IN/7", "picking_type_code": "incoming", "state": "done"}])

    async def scenario() -> None:
        async with OdooSource(cfg, MemoryPositions(), transport(fake)) as source:
            await source.poll()

    with pytest.raises(ErpSchemaError) as caught:
        asyncio.run(scenario())
    assert caught.value.field == "stock.move.line.quantity"


def test_deliveries_wait_for_an_unreachable_odoo_and_complete_exactly_once(fake: FakeOdoo) -> None:
    """Over a real socket: the server goes away, the wrappers retry (breaker open, half-open trials),
    the server comes back, every delivery lands once."""
    batch = [
        Outbound(f"c{i}", confirmation("WH/MO/00042", SUGAR, final=False, yieldQuantity=i)) for i in range(3)
    ]
    batch.append(Outbound("h1", command("quarantine_transfer", item="RM-7", lot="S-17", quantity=5)))
    delivered_through_an_outage(fake, lambda url: OdooSink(config(url, timeout=1.0)), "odoo", batch)
    for key in ("c0", "c1", "c2"):
        assert len(fake.search("stock.move.line", [["x_lotline_ref", "=", key]])) == 1
    assert len(fake.search("stock.picking", [["origin", "=", "h1"]])) == 1


def test_the_registry_builds_the_odoo_source_and_sink_from_config_alone() -> None:
    source, sink = built_by_registry("odoo", {"url": "http://x", "api_key": "k"})
    assert isinstance(source, OdooSource) and isinstance(sink, OdooSink)
