"""Golden tests of the outbound direction: canonical events (a golden inbound case's expected output) ->
ERP commands (`lotline.mapping.erp_commands`) -> each ERP's request bodies (the connectors' pure payload
functions, with fixed ids where the ERP would resolve names). Every folder in golden_outbound/ holds
input.json, case.yaml (`items`: item ref -> ERP item) and expected.json (commands and bodies). Re-record
after a deliberate change: LOTLINE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/mapping/test_golden_outbound.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from lotline.connectors.erpkit import (
    GoodsReceipt,
    ProductionConfirmation,
    QualityDecisionCommand,
    parse_command,
)
from lotline.connectors.erpkit.commands import QuarantineTransfer
from lotline.connectors.erpnext import payloads as erpnext
from lotline.connectors.odoo import payloads as odoo
from lotline.connectors.sap import payloads as sap
from lotline.errors import MappingError
from lotline.mapping.erp_commands import erp_outbound, split_lot

GOLDEN = Path(__file__).parent / "golden_outbound"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input.json").is_file())
ODOO_MOVE = {
    "id": 12,
    "location_id": [8, "WH/Stock"],
    "location_dest_id": [15, "Virtual Locations/Production"],
}


def native(key: str, command: Any) -> dict[str, Any]:
    """What each ERP sink would send for one command (ids fixed where the sink looks them up)."""
    if isinstance(command, ProductionConfirmation):
        order = {
            "name": command.orderId,
            "production_item": command.item,
            "fg_warehouse": "Finished Goods - LL",
        }
        return {
            "odoo": [
                odoo.consumption_line(ODOO_MOVE, 100 + i, 200 + i, c.quantity, "x_lotline_ref", key)
                for i, c in enumerate(command.consumed)
            ],
            "erpnext": erpnext.manufacture_entry(command, order, "Stores - LL"),
            "sap": sap.confirmation(command, key, "1010", "101A"),
        }
    if isinstance(command, GoodsReceipt):
        order = {
            "name": command.orderId,
            "production_item": command.item,
            "fg_warehouse": "Finished Goods - LL",
        }
        item = sap.receipt_item(command, "1010", "101A")
        return {
            "odoo": {"lot_producing_id": "(stock.lot of the lot)", "qty_producing": command.quantity},
            "erpnext": erpnext.manufacture_entry(command, order, "Stores - LL"),
            "sap": sap.material_document("101", key, command.time, [item]),
        }
    if isinstance(command, QuarantineTransfer):
        return {
            "odoo": odoo.transfer_picking(5, 8, 9, key, command.reason),
            "erpnext": erpnext.transfer_entry(command, 1250, "Stores - LL", "Quarantine - LL"),
            "sap": sap.material_document(
                "344", key, command.time,
                [sap.block_item("344", command.item, command.lot, 1250, "KGM", "1010", "101A", command.reason)],
            ),
        }  # fmt: skip
    assert isinstance(command, QualityDecisionCommand)
    code = "A" if command.decision.value == "released" else "R"
    return {"sap": sap.usage_decision(command.inspectionLot or "", code, "01", "01", "1010")}


@pytest.mark.parametrize("name", CASES)
def test_golden_outbound(name: str) -> None:
    case = GOLDEN / name
    meta = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    events = json.loads((case / "input.json").read_text(encoding="utf-8"))
    outbound = erp_outbound(events, items=meta["items"])
    got = []
    for item in outbound:
        command = parse_command(item.payload)  # every payload is a valid command
        got.append(
            {"key": item.key, "command": json.loads(item.payload), "native": native(item.key, command)}
        )
    expected_file = case / "expected.json"
    if os.environ.get("LOTLINE_UPDATE_GOLDEN") == "1":
        expected_file.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(expected_file.read_text(encoding="utf-8"))
    assert erp_outbound(events, items=meta["items"]) == outbound  # deterministic keys and payloads


def test_keys_fit_every_erp_reference_field() -> None:
    events = json.loads((GOLDEN / "mes-confirmation" / "input.json").read_text(encoding="utf-8"))
    assert all(len(item.key) == 25 for item in erp_outbound(events))


def test_a_lot_that_is_not_an_lgtin_is_a_mapping_error() -> None:
    assert split_lot("urn:epc:class:lgtin:4012345.011111.B-1", {"04012345111118": "FG"}) == ("FG", "B-1")
    with pytest.raises(MappingError, match="not an urn:epc:class:lgtin"):
        split_lot("https://example.com/lot/7", {})
