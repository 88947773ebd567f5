"""X12 856 -> canonical ship notice -> EPCIS receiving events, on the real samples."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from lotline.edi.documents import ship_notices
from lotline.edi.identify import mapping_input
from lotline.edi.receiving import receiving_events
from lotline.edi.shipnotice import ShipNotice
from lotline.epcis.validation import validate_event
from tests.edi.conftest import (
    CROSSDOCK,
    DESADV_PALLETS,
    GOLDEN,
    NODE_X12,
    TARE_LOTS,
    text,
)


def test_crossdock_856_hierarchy_orders_and_units() -> None:
    (notice,) = ship_notices(text(CROSSDOCK))
    assert (notice.number, notice.purpose, notice.bol, notice.pro) == (
        "000009",
        "00",
        "000001",
        "0000000008741",
    )
    assert (notice.ship_time, notice.delivery_time, notice.carrier) == (
        "2009-09-21",
        "2009-09-25",
        "OVERNITE",
    )
    assert notice.orders == ["POREF00", "POREF01"]
    assert [(p.code, p.qualifier, p.id) for p in notice.parties] == [
        ("SF", "92", "000009"),
        ("ST", "92", "0001"),
        ("BY", "92", "002"),
        ("BY", "92", "003"),
    ]
    assert [(c.key, c.order) for c in notice.containers] == [
        ("00000715670002152360", "POREF00"),
        ("00000715670002152377", "POREF00"),
        ("00000715670002152384", "POREF00"),
        ("00000715670002152391", "POREF00"),
        ("00000715670002152111", "POREF01"),
    ]
    # the sample's SSCCs fail their check digit: kept as labels (private ids), with a warning each
    assert all(c.sscc is None and c.label == c.key for c in notice.containers)
    assert sum("not a valid SSCC" in w for w in notice.warnings) == 5
    first = notice.items[0]
    assert (first.gtin, first.quantity, first.uom, first.container) == (
        "00000000000642",
        12,
        "EA",
        "00000715670002152360",
    )
    assert notice.items[1].gtin is None and notice.items[1].parts == {"EN": "0000000000831"}


def test_item_level_packs_split_the_item() -> None:
    first, second = ship_notices(text(TARE_LOTS))
    assert [(c.key, c.level, c.parent) for c in first.containers][:3] == [
        ("ML13479", "T", None),
        ("S125", "P", "ML13479"),
        ("S126", "P", "ML13479"),
    ]
    # HL3: 1000 PC with PO4 4 x 250 and four REF*LS labels -> four packs of 250
    packed = [(i.container, i.quantity) for i in first.items if i.parts.get("BP") == "7389141G01"]
    assert packed == [("S125", 250), ("S126", 250), ("S127", 250), ("S128", 250)]
    # HL5 (176 PC) with two P levels under it (76 + 100)
    split = [(i.container, i.quantity) for i in first.items if i.parts.get("BP") == "6500012G00"]
    assert split == [("S3489", 76), ("S2387", 100)]
    assert second.number == "02" and [c.key for c in second.containers] == ["S3456789", "S1234567"]
    assert [i.quantity for i in second.items] == [234, 25]


def test_a_notice_without_units_still_becomes_a_receipt() -> None:
    (notice,) = ship_notices(text(NODE_X12))
    (event,) = receiving_events(notice)
    assert event["bizStep"] == "receiving" and event["epcList"] == []
    assert [q["quantity"] for q in event["quantityList"]] == [24, 6]
    assert {t["type"] for t in event["bizTransactionList"]} == {"po", "desadv", "bol"}


@pytest.mark.parametrize("path", [CROSSDOCK, NODE_X12, TARE_LOTS], ids=lambda p: p.name)
def test_every_event_is_valid_epcis(path: Path) -> None:
    for notice in ship_notices(text(path)):
        events = receiving_events(notice)
        assert events and all(validate_event(e) == [] for e in events)
        receiving = events[0]
        assert (receiving["type"], receiving["action"], receiving["bizStep"], receiving["disposition"]) == (
            "ObjectEvent",
            "OBSERVE",
            "receiving",
            "in_progress",
        )
        assert all(e["type"] == "AggregationEvent" and e["action"] == "ADD" for e in events[1:])
        assert receiving_events(notice) == events  # deterministic: re-imports are duplicates


@pytest.mark.parametrize(
    ("case", "path", "index"),
    [
        ("x12-856-crossdock-sscc", CROSSDOCK, 0),
        ("x12-856-tare-lots", TARE_LOTS, 0),
        ("desadv-pallets-lots", DESADV_PALLETS, 0),
    ],
)
def test_golden_inputs_are_what_the_parser_produces(case: str, path: Path, index: int) -> None:
    """The mapping golden cases (tests/mapping/golden) start from the parser's output for the sample, and
    their expected events are what receiving_events gives."""
    notice = ship_notices(text(path))[index]
    assert json.loads(orjson.dumps(mapping_input(notice))) == json.loads(
        (GOLDEN / case / "input.json").read_text()
    )
    expected = json.loads((GOLDEN / case / "expected.json").read_text())
    assert receiving_events(notice) == expected


def test_canonical_json_round_trips() -> None:
    for notice in ship_notices(text(TARE_LOTS)):
        assert ShipNotice.from_json(notice.to_json()) == notice


def test_gln_parties_become_pgln_and_sgln() -> None:
    (notice,) = ship_notices(text(DESADV_PALLETS))
    receiving = receiving_events(notice)[0]
    assert receiving["sourceList"] == [
        {"type": "owning_party", "source": "https://id.gs1.org/417/5412345000099"},
        {"type": "location", "source": "https://id.gs1.org/414/5412345000099"},
    ]
    assert receiving["readPoint"] == {"id": "https://id.gs1.org/414/4012345000092"}


LOT_856 = """ISA*00*          *00*          *01*0614141000005  *01*4012345000009  *260301*0800*U*00401*000000007*0*P*>~
GS*SH*0614141000005*4012345000009*20260301*0800*7*X*004010~
ST*856*0001~
BSN*00*ASN-77*20260301*0800*0001~
HL*1**S~
REF*BM*BOL-1~
DTM*011*20260301*0800~
N1*SF*SUPPLIER*UL*0614141000005~
N1*ST*PLANT*UL*4012345000009~
HL*2*1*O~
PRF*PO-1~
HL*3*2*T~
MAN*GM*106141410000000019~
HL*4*3*I~
LIN*1*UP*061414112345*LT*LOT-A~
SN1**10*CA~
HL*5*3*I~
LIN*2*EN*0614141000104~
REF*LT*LOT/B 7~
SN1**2*EA~
REF*SE*S-1~
REF*SE*S-2~
CTT*5~
SE*22*0001~
GE*1*7~
IEA*1*000000007~
"""


def test_lots_serials_and_gln_parties() -> None:
    (notice,) = ship_notices(LOT_856)
    assert [(p.role, p.gln) for p in notice.parties] == [
        ("ship_from", "0614141000005"),
        ("ship_to", "4012345000009"),
    ]
    assert [c.sscc for c in notice.containers] == ["106141410000000019"]
    first, second = notice.items
    assert (first.gtin, first.lot, first.quantity, first.uom) == ("00061414112345", "LOT-A", 10, "CA")
    assert (second.gtin, second.lot, second.serials) == ("00614141000104", "LOT/B 7", ["S-1", "S-2"])
    receiving, pallet = receiving_events(notice)
    assert receiving["quantityList"] == [
        {"epcClass": "https://id.gs1.org/01/00061414112345/10/LOT-A", "quantity": 10, "uom": "CS"}
    ]
    assert receiving["epcList"] == [
        "https://id.gs1.org/00/106141410000000019",
        "https://id.gs1.org/01/00614141000104/21/S-1",
        "https://id.gs1.org/01/00614141000104/21/S-2",
    ]
    assert pallet["childEPCs"] == receiving["epcList"][1:]
    assert {t["bizTransaction"] for t in receiving["bizTransactionList"]} == {
        "urn:epcglobal:cbv:bt:4012345000009:PO-1",
        "urn:epcglobal:cbv:bt:0614141000005:ASN-77",
        "urn:epcglobal:cbv:bt:0614141000005:BOL-1",
    }
    assert all(validate_event(e) == [] for e in (receiving, pallet))
