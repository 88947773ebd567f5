"""The ERPNext documents the sink inserts, as pure functions (golden-tested: tests/mapping/test_golden_outbound.py)."""

from __future__ import annotations

from typing import Any

from lotline.connectors.erpkit.commands import GoodsReceipt, ProductionConfirmation, QuarantineTransfer


def _date_time(command: ProductionConfirmation | GoodsReceipt | QuarantineTransfer) -> dict[str, Any]:
    return {
        "set_posting_time": 1,
        "posting_date": command.time.date().isoformat(),
        "posting_time": command.time.time().replace(tzinfo=None).isoformat(),
    }


def manufacture_entry(
    command: ProductionConfirmation | GoodsReceipt, order: dict[str, Any], stores: str
) -> dict[str, Any]:
    """A submitted Stock Entry against a Work Order: consumed batches out of the order's WIP warehouse (or
    `stores`), and, for a final confirmation or a goods receipt, the finished batch into its FG warehouse
    (purpose Manufacture). An intermediate operation's confirmation only consumes (purpose Material
    Consumption for Manufacture): receiving its yield too would count the order's output once per
    operation."""
    source = order.get("wip_warehouse") or stores
    items: list[dict[str, Any]] = []
    if isinstance(command, ProductionConfirmation):
        for used in command.consumed:
            row = {"item_code": used.item, "qty": used.quantity, "s_warehouse": source, "batch_no": used.lot}
            items.append({**row, "use_serial_batch_fields": 1, **({"uom": used.uom} if used.uom else {})})
        if not command.final:
            purpose = "Material Consumption for Manufacture"
            return {
                "doctype": "Stock Entry",
                "stock_entry_type": purpose,
                "purpose": purpose,
                "work_order": order["name"],
                "fg_completed_qty": command.yieldQuantity,
                "docstatus": 1,
                **_date_time(command),
                "items": items,
            }
        produced = command.yieldQuantity
    else:
        produced = command.quantity
    finished: dict[str, Any] = {
        "item_code": order["production_item"],
        "qty": produced,
        "t_warehouse": order.get("fg_warehouse") or stores,
        "is_finished_item": 1,
        "use_serial_batch_fields": 1,
    }
    if command.lot:
        finished["batch_no"] = command.lot
    items.append(finished)
    return {
        "doctype": "Stock Entry",
        "stock_entry_type": "Manufacture",
        "purpose": "Manufacture",
        "work_order": order["name"],
        "fg_completed_qty": produced,
        "docstatus": 1,
        **_date_time(command),
        "items": items,
    }


def transfer_entry(command: QuarantineTransfer, quantity: float, source: str, target: str) -> dict[str, Any]:
    """A submitted Stock Entry (Material Transfer) of one batch into the quarantine warehouse."""
    row = {
        "item_code": command.item,
        "qty": quantity,
        "s_warehouse": source,
        "t_warehouse": target,
        "batch_no": command.lot,
        "use_serial_batch_fields": 1,
    }
    return {
        "doctype": "Stock Entry",
        "stock_entry_type": "Material Transfer",
        "purpose": "Material Transfer",
        "docstatus": 1,
        "remarks": command.reason or "",
        **_date_time(command),
        "items": [row],
    }
