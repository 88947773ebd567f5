"""Shared paths: the real X12 samples in ../shared/data/edi, lotline's own DESADV samples in data/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.conftest import SHARED

EDI = SHARED / "data" / "edi"
X12_856 = EDI / "x12-856"
X12_997 = EDI / "x12-997"
DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parents[1] / "mapping" / "golden"
NOW = datetime(2026, 3, 2, 15, 0)

CROSSDOCK = X12_856 / "edi-engine_856_004010_crossdock_sscc.edi"
NODE_X12 = X12_856 / "node-x12_856_004060.edi"
TARE_LOTS = X12_856 / "stupidedi_856_002001_tare-lots_2txn.edi"
MIXED_TERMINATORS = X12_856 / "stupidedi_856_004010_mixed-terminators_FAIL.edi"
INVALID_997 = X12_997 / "staedi_997_005010X230_INVALID-codes.edi"
DESADV_PALLETS = DATA / "desadv_d96a_two_pallets_lots.edi"
DESADV_CARTONS = DATA / "desadv_d01b_nested_cartons.edi"
DESADV_MALFORMED = DATA / "desadv_d96a_MALFORMED.edi"
MALFORMED = {MIXED_TERMINATORS.name, INVALID_997.name, DESADV_MALFORMED.name}


def text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")
