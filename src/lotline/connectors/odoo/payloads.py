"""The Odoo records the sink creates, as pure functions of the command's values and the resolved ids
(golden-tested without a server: tests/mapping/test_golden_outbound.py)."""

from __future__ import annotations

from typing import Any


def m2o(value: Any) -> int:
    """The id of a many2one value as search_read returns it (`[id, display_name]`, or false)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    return int(value) if value else 0


def consumption_line(
    move: dict[str, Any], product: int, lot: int, quantity: float, ref_field: str, reference: str
) -> dict[str, Any]:
    """A stock.move.line consuming `quantity` of `lot` on an order's component move (Odoo 17+: the done
    quantity is `quantity`; Odoo 16 called it `qty_done`)."""
    return {
        "move_id": move["id"],
        "product_id": product,
        "lot_id": lot,
        "quantity": quantity,
        "location_id": m2o(move["location_id"]),
        "location_dest_id": m2o(move["location_dest_id"]),
        ref_field: reference,
    }


def transfer_picking(
    picking_type: int, source: int, destination: int, reference: str, reason: str | None
) -> dict[str, Any]:
    """An internal stock.picking whose Source Document (`origin`) is the idempotency reference and whose
    note says why."""
    values: dict[str, Any] = {
        "picking_type_id": picking_type,
        "location_id": source,
        "location_dest_id": destination,
        "origin": reference,
    }
    if reason:
        values["note"] = reason
    return values


def transfer_move(
    picking: int, product: int, quantity: float, source: int, destination: int, reference: str
) -> dict[str, Any]:
    return {
        "name": f"lotline {reference}",
        "picking_id": picking,
        "product_id": product,
        "product_uom_qty": quantity,
        "location_id": source,
        "location_dest_id": destination,
    }


def transfer_line(
    picking: int, move: int, product: int, lot: int, quantity: float, source: int, destination: int
) -> dict[str, Any]:
    return {
        "picking_id": picking,
        "move_id": move,
        "product_id": product,
        "lot_id": lot,
        "quantity": quantity,
        "location_id": source,
        "location_dest_id": destination,
    }
