"""The erpnext connector against the ERPNext contract fake: reading, idempotent writes, failure modes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lotline.connectors import Outbound
from lotline.connectors.erpkit import ErpAuthError, MemoryPositions
from lotline.connectors.erpnext import ErpNextSink, ErpNextSource
from tests.connectors.erp_scenarios import (
    built_by_registry,
    delivered_through_an_outage,
    parked_on_a_schema_error,
    recording_waits,
    sent,
)
from tests.connectors.erp_support import command, confirmation, read_all, transport
from tests.connectors.erpnext.conftest import config
from tests.fakes.erpnext_fake import FakeErpNext

SUGAR = [{"item": "RM-7", "lot": "S-17", "quantity": 300, "uom": "Kg"}]
ORDER = "MFG-WO-2026-00042"


def entries(fake: FakeErpNext, reference: str) -> list[dict[str, Any]]:
    return [e for e in fake.docs["Stock Entry"].values() if e.get("custom_lotline_ref") == reference]


def test_the_source_reads_work_orders_receipts_and_batches_once(fake: FakeErpNext) -> None:
    positions = MemoryPositions()

    async def scenario() -> tuple[list[Any], list[Any]]:
        async with ErpNextSource(config(), positions, transport(fake)) as source:
            first = await read_all(source)
        fake.now = "2026-12-01 08:00:05.000001"
        fake.update("Work Order", ORDER, {"status": "In Process"})
        async with ErpNextSource(config(), positions, transport(fake)) as source:
            second = await read_all(source)
        return first, second

    first, second = asyncio.run(scenario())
    assert [m for m, _ in first] == [
        f"work_orders/{ORDER}@2026-12-01 08:00:00.000000",
        "purchase_receipts/MAT-PRE-2026-00007@2026-12-01 08:00:00.000000",
        "batches/S-17@2026-12-01 08:00:00.000000",
    ]
    assert first[1][1]["items"] == [{"item_code": "RM-7", "batch_no": "S-17", "qty": 500}]
    assert [m for m, _ in second] == [f"work_orders/{ORDER}@2026-12-01 08:00:05.000001"]


def test_a_confirmation_is_one_submitted_manufacture_entry(fake: FakeErpNext) -> None:
    item = Outbound("conf-1", confirmation(ORDER, SUGAR, lot="FG-L1"))

    async def scenario() -> None:
        async with ErpNextSink(config(), transport(fake)) as sink:
            assert (await sink.send([item, item])).delivered == ("conf-1", "conf-1")

    asyncio.run(scenario())
    [entry] = entries(fake, "conf-1")
    assert entry["stock_entry_type"] == "Manufacture" and entry["docstatus"] == 1
    assert fake.stock[("S-17", "Stores - LL")] == 200 and fake.stock[("FG-L1", "Finished Goods - LL")] == 990


def test_an_intermediate_operation_consumes_and_only_the_final_one_receives(fake: FakeErpNext) -> None:
    """Two operations of one order each report the order's yield: the finished batch is received once."""
    first = Outbound("op-10", confirmation(ORDER, SUGAR, lot="FG-L1", operation="0010", final=False))
    last = Outbound("op-20", confirmation(ORDER, [], lot="FG-L1", operation="0020", final=True))

    async def scenario() -> None:
        async with ErpNextSink(config(), transport(fake)) as sink:
            assert (await sink.send([first, last])).ok

    asyncio.run(scenario())
    [consumption] = entries(fake, "op-10")
    assert consumption["stock_entry_type"] == "Material Consumption for Manufacture"
    assert not any(row.get("is_finished_item") for row in consumption["items"])
    assert fake.stock[("S-17", "Stores - LL")] == 200
    assert fake.stock[("FG-L1", "Finished Goods - LL")] == 990


def test_hold_blocks_the_batch_and_quarantine_moves_it(fake: FakeErpNext) -> None:
    batch = [
        Outbound("q-1", command("quarantine_transfer", item="RM-7", lot="S-17", reason="NC-12")),
        Outbound(
            "q-2", command("quality_decision", item="RM-7", lot="S-17", decision="on_hold", reason="NC-12")
        ),
    ]

    assert sent(ErpNextSink(config(), transport(fake)), batch).ok
    assert fake.stock[("S-17", "Quarantine - LL")] == 500 and fake.stock[("S-17", "Stores - LL")] == 0
    assert fake.docs["Batch"]["S-17"]["disabled"] == 1


def test_a_partial_batch_failure_names_the_failed_key(fake: FakeErpNext) -> None:
    batch = [
        Outbound("ok", confirmation(ORDER, SUGAR)),
        Outbound("short", confirmation(ORDER, [{**SUGAR[0], "quantity": 9999}])),
        Outbound("missing", confirmation("MFG-WO-2026-99999", SUGAR)),
    ]

    result = sent(ErpNextSink(config(), transport(fake)), batch)
    assert result.delivered == ("ok",)
    assert "NegativeStockError" in result.failed["short"] and "9999" in result.failed["short"]
    assert "MFG-WO-2026-99999" in result.failed["missing"]


def test_429_and_5xx_are_retried_honouring_retry_after(fake: FakeErpNext) -> None:
    fake.faults.rate_limited, fake.faults.retry_after = 2, 3
    fake.faults.server_errors = 1
    sink, waits = recording_waits(ErpNextSink(config(), transport(fake)), "erpnext")
    assert sent(sink, [Outbound("c1", confirmation(ORDER, SUGAR))]).delivered == ("c1",)
    assert waits[:2] == [3, 3] and len(entries(fake, "c1")) == 1


def test_a_rotated_secret_is_read_again_and_a_dead_one_is_an_auth_error(
    fake: FakeErpNext, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("secret1")
    cfg = config(api_secret=None, api_secret_file=secret)
    small = [{**SUGAR[0], "quantity": 10}]

    async def scenario() -> Any:
        async with ErpNextSink(cfg, transport(fake)) as sink:
            await sink.send([Outbound("c1", confirmation(ORDER, small, final=False, yieldQuantity=1))])
            fake.tokens = {"key1:secret2"}
            secret.write_text("secret2")
            ok = await sink.send([Outbound("c2", confirmation(ORDER, small))])
            fake.tokens = {"key1:secret3"}
            with pytest.raises(ErpAuthError):
                await sink.send([Outbound("c3", confirmation(ORDER, SUGAR))])
            return ok

    assert asyncio.run(scenario()).delivered == ("c2",)


def test_a_changed_schema_names_the_field_and_parks_the_message(fake: FakeErpNext) -> None:
    fake.schema = "v14"
    item = Outbound("c1", confirmation(ORDER, SUGAR))
    result, _ = parked_on_a_schema_error(ErpNextSink(config(), transport(fake)), "erpnext", item)
    assert "Stock Entry Detail" in result.failed["c1"] and "use_serial_batch_fields" in result.failed["c1"]
    assert entries(fake, "c1") == []


def test_deliveries_wait_for_an_unreachable_erpnext_and_complete_exactly_once(fake: FakeErpNext) -> None:
    batch = [
        Outbound(f"c{i}", confirmation(ORDER, [{**SUGAR[0], "quantity": 10}], final=False)) for i in range(3)
    ]
    delivered_through_an_outage(fake, lambda url: ErpNextSink(config(url, timeout=1.0)), "erpnext", batch)
    assert [len(entries(fake, f"c{i}")) for i in range(3)] == [1, 1, 1]
    assert fake.stock[("S-17", "Stores - LL")] == 470


def test_the_source_waits_out_a_429_and_the_registry_builds_it(fake: FakeErpNext) -> None:
    fake.faults.rate_limited, fake.faults.retry_after = 1, 1
    source, sink = built_by_registry("erpnext", {"url": "http://x", "api_key": "k", "api_secret": "s"})
    assert isinstance(source, ErpNextSource) and isinstance(sink, ErpNextSink)

    async def scenario() -> tuple[list[Any], float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with ErpNextSource(config(feeds=["batches"]), MemoryPositions(), transport(fake)) as reader:
            return await read_all(reader), loop.time() - started

    got, took = asyncio.run(scenario())
    assert [m for m, _ in got] == ["batches/S-17@2026-12-01 08:00:00.000000"] and took >= 1
