"""EDIFACT DESADV (lotline's hand-written samples, see data/SOURCE.txt) -> ship notice -> receiving events."""

from __future__ import annotations

import pytest

from lotline.edi.documents import ship_notices
from lotline.edi.edifact import parse_edifact, read_edifact
from lotline.edi.errors import EdiError
from lotline.edi.receiving import receiving_events
from lotline.epcis.validation import validate_event
from tests.edi.conftest import DESADV_CARTONS, DESADV_MALFORMED, DESADV_PALLETS, text


def test_envelope_of_a_d96a_interchange() -> None:
    interchange = parse_edifact(text(DESADV_PALLETS))
    assert (interchange.reference, interchange.sender, interchange.receiver) == (
        "DES0000042",
        ("14", "5412345000013"),
        ("14", "4012345000009"),
    )
    (message,) = interchange.messages
    assert (message.reference, message.type, message.version, len(message.segments)) == (
        "1",
        "DESADV",
        "D96A",
        40,
    )


def test_pallets_with_sscc_and_lots() -> None:
    (notice,) = ship_notices(text(DESADV_PALLETS))
    assert (notice.number, notice.purpose, notice.orders, notice.bol, notice.pro) == (
        "DES587441",
        "9",
        ["PO-4711"],
        "BOL-99812",
        "PRO-5531",
    )
    assert (notice.document_time, notice.ship_time, notice.delivery_time) == (
        "2026-03-02",
        "2026-03-02T14:00:00",
        "2026-03-04",
    )
    assert [(p.role, p.gln) for p in notice.parties] == [
        ("supplier", "5412345000013"),
        ("ship_from", "5412345000099"),
        ("buyer", "4012345000009"),
        ("ship_to", "4012345000092"),
    ]
    assert [c.sscc for c in notice.containers] == ["354123450000000014", "354123450000000021"]
    assert [(i.gtin, i.lot, i.quantity, i.container) for i in notice.items] == [
        ("05412345000020", "L2026-0301", 40, "354123450000000014"),
        ("05412345000037", "C-7781", 20, "354123450000000014"),
        ("05412345000020", "L2026-0302", 40, "354123450000000021"),
    ]
    assert notice.warnings == []


def test_nested_cartons_release_character_batches_and_serials() -> None:
    (notice,) = ship_notices(text(DESADV_CARTONS))
    assert notice.parties[0].name == "Dairy Co's Cooperative"  # ?' released
    assert notice.bol == "BL 778812" and notice.carrier == "KUEHL"
    assert [(c.sscc, c.level, c.parent) for c in notice.containers] == [
        ("354123450000001011", "T", None),
        ("354123450000001028", "P", "354123450000001011"),
        ("354123450000001035", "P", "354123450000001011"),
    ]
    milk, butter, serials = notice.items
    assert (milk.lot, milk.quantity, milk.uom, milk.description) == (
        "MP-26-0301",
        12.5,
        "KGM",
        "Whole milk powder 26 percent fat",
    )
    assert (butter.gtin, butter.parts, butter.lot) == (None, {"SA": "BUTTEROIL-99"}, "BO-2026-044")
    assert serials.serials == ["SN-0001", "SN-0002"]
    events = receiving_events(notice)
    assert all(validate_event(e) == [] for e in events)
    receiving, pallet, carton_1, carton_2 = events
    assert "https://id.gs1.org/01/04012345000016/21/SN-0001" in receiving["epcList"]
    assert {
        "epcClass": "https://id.gs1.org/01/04012345000016/10/MP-26-0301",
        "quantity": 12.5,
        "uom": "KGM",
    } in (receiving["quantityList"])
    assert pallet["childEPCs"] == [
        "https://id.gs1.org/00/354123450000001028",
        "https://id.gs1.org/00/354123450000001035",
    ]
    assert carton_2["childQuantityList"] == [
        {
            "epcClass": "urn:lotline:edi:4000000000006:item:SA:BUTTEROIL-99:lot:BO-2026-044",
            "quantity": 20,
            "uom": "KGM",
        }
    ]
    assert carton_1["parentID"] == "https://id.gs1.org/00/354123450000001028"


def test_malformed_desadv_names_segments_and_elements() -> None:
    with pytest.raises(EdiError) as caught:
        ship_notices(text(DESADV_MALFORMED))
    assert [(p.segment, p.segment_id, p.element, p.code) for p in caught.value.problems] == [
        (4, "DTM", 1, "12"),
        (11, "QTY", 1, "12"),
        (12, "UNT", 1, "29"),
    ]
    assert str(caught.value) == "segment 4 (DTM), element DTM01: '20260231' is not a date in format 102"


@pytest.mark.parametrize(
    ("edit", "code", "words"),
    [
        (("UNZ+1+DES0000042", "UNZ+2+DES0000042"), "29", "UNZ says 2 messages, the interchange has 1"),
        (("UNZ+1+DES0000042", "UNZ+1+DES0000041"), "28", "is not the UNB's"),
        (("UNT+40+1", "UNT+40+2"), "28", "reference '2' is not the UNH's '1'"),
        (("UNZ+1+DES0000042'", ""), "13", "no UNZ trailer"),
    ],
)
def test_edifact_envelope_checks(edit: tuple[str, str], code: str, words: str) -> None:
    (problem,) = read_edifact(text(DESADV_PALLETS).replace(*edit)).all_problems()
    assert problem.code == code and words in problem.message


def test_unterminated_edifact_is_a_syntax_error() -> None:
    with pytest.raises(EdiError, match="EDIFACT syntax error after segment"):
        read_edifact(text(DESADV_PALLETS).rstrip("'\n"))
