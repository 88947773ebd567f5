"""997 and CONTRL: written for inbound interchanges (accepted / rejected with where and why), and 997s read."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.edi.contrl import contrl
from lotline.edi.documents import acknowledgment
from lotline.edi.edifact import parse_edifact, read_edifact
from lotline.edi.edifact_write import EdifactEnvelope
from lotline.edi.x12_997 import read_997
from lotline.edi.x12_envelope import parse_x12
from lotline.edi.x12_write import ControlNumbers
from tests.edi.conftest import (
    CROSSDOCK,
    DESADV_CARTONS,
    DESADV_MALFORMED,
    MIXED_TERMINATORS,
    NOW,
    TARE_LOTS,
    X12_997,
    text,
)


def _lines(document: str) -> list[str]:
    return [line.rstrip("~'") for line in document.splitlines()]


def test_997_accepts_a_good_856() -> None:
    ack = acknowledgment(text(CROSSDOCK), ControlNumbers(41), NOW)
    assert _lines(ack) == [
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SENDER         *260302*1500*U*00401*000000041*0*P*>",
        "GS*FA*RECEIVER*SENDER*20260302*1500*42*X*004010",
        "ST*997*0043",
        "AK1*SH*91",
        "AK2*856*0001",
        "AK5*A",
        "AK9*A*1*1*1",
        "SE*6*0043",
        "GE*1*42",
        "IEA*1*000000041",
    ]
    (group,) = read_997(parse_x12(ack))
    assert group.accepted_all and [s.control for s in group.sets] == ["0001"]


def test_997_accepts_both_sets_of_a_group() -> None:
    (group,) = read_997(parse_x12(acknowledgment(text(TARE_LOTS), ControlNumbers(1), NOW)))
    assert (group.status, group.included, group.accepted) == ("A", 2, 2)


def test_997_rejects_the_malformed_856_naming_segment_and_element() -> None:
    ack = acknowledgment(text(MIXED_TERMINATORS), ControlNumbers(1), NOW)
    body = _lines(ack)[3:-3]
    assert body == [
        "AK1*SH*000000089",
        "AK2*856*0000001",
        "AK3*N1*11**8",  # N1, 11th segment of the set, has element errors
        "AK4*4**6*010020001-ABCINCN3",  # N104: invalid character (the line break), a copy of the value
        "AK5*R*5*4",  # rejected: segments in error (5), segment count does not match (4)
        "AK9*R*1*1*0",
    ]
    (group,) = read_997(parse_x12(ack))
    (tset,) = group.sets
    assert (group.status, tset.status, tset.codes) == ("R", "R", ["5", "4"])
    assert tset.errors[1] == "segment N1 at position 11, element 4: error 6 (value '010020001-ABCINCN3')"


def test_997_reports_a_broken_interchange_envelope_in_a_ta1() -> None:
    broken = text(CROSSDOCK).replace("IEA*1*000000091", "IEA*1*000000092")
    lines = _lines(acknowledgment(broken, ControlNumbers(1), NOW))
    assert lines[1] == "TA1*000000091*091225*1943*R*001"
    assert "AK9*A*1*1*1" in lines  # the group itself is fine


@pytest.mark.parametrize(
    ("name", "status", "codes"),
    [
        ("stupidedi_997_004010_ack-824.edi", "A", []),
        ("stupidedi_997_005010X230_ack-837s.edi", "P", []),
        ("staedi_997_005010X230_reject.edi", "R", []),
    ],
)
def test_partner_997s_are_read(name: str, status: str, codes: list[str]) -> None:
    (group,) = read_997(parse_x12(text(X12_997 / name)))
    assert (group.status, group.codes) == (status, codes)
    if status == "P":
        assert [(s.control, s.status) for s in group.sets] == [("0001", "A"), ("0002", "R")]
        assert group.sets[1].errors == [
            "segment CLM at position 22: error 8",
            "segment CLM at position 22, element 1: error 1",
        ]
    if status == "R":
        assert group.sets[0].codes == ["5"] and "element 8: error 7 (value 'MI')" in group.sets[0].errors[1]


def _contrl(path: Path) -> list[str]:
    envelope = EdifactEnvelope(("4012345000009", "14"), ("5412345000013", "14"), NOW)
    return _lines(contrl(read_edifact(text(path)), envelope, ControlNumbers(5)))


def test_contrl_accepts_a_good_desadv() -> None:
    lines = _contrl(DESADV_CARTONS)
    assert lines[3:5] == [
        "UCI+20260305001+4000000000006:14+4012345000009:14+7",
        "UCM+ME0001+DESADV:D:01B:UN+7",
    ]


def test_contrl_rejects_the_malformed_desadv_with_segment_positions() -> None:
    lines = _contrl(DESADV_MALFORMED)
    assert lines[2:-2] == [
        "UNH+6+CONTRL:D:3:UN",
        "UCI+DES0000043+5412345000013:14+4012345000009:14+7",
        "UCM+1+DESADV:D:96A:UN+4+29",  # rejected; the UNT count does not match (29)
        "UCS+3",  # DTM, 3rd segment of the message: invalid value in element 1, component 2
        "UCD+12+1:2",
        "UCS+10",  # QTY "forty"
        "UCD+12+1:2",
    ]
    assert lines[-2] == "UNT+8+6"
    parse_edifact("\n".join(f"{line}'" for line in lines))  # the CONTRL itself is a valid interchange


def test_acknowledgment_picks_contrl_for_edifact() -> None:
    ack = acknowledgment(text(DESADV_MALFORMED), ControlNumbers(1), NOW)
    assert "UNB+UNOC:3+4012345000009:14+5412345000013:14+260302:1500+1'" in ack
    assert "UCM+1+DESADV:D:96A:UN+4+29'" in ack


def test_997_group_status_for_group_level_problems() -> None:
    stray = text(CROSSDOCK).replace("GE*1*91", "CTT*1\nGE*1*91")  # a segment between SE and GE
    (group,) = read_997(parse_x12(acknowledgment(stray, ControlNumbers(1), NOW)))
    assert (group.status, group.accepted) == ("E", 1)
    wrong_count = text(CROSSDOCK).replace("GE*1*91", "GE*2*91")
    (group,) = read_997(parse_x12(acknowledgment(wrong_count, ControlNumbers(1), NOW)))
    assert (group.status, group.codes) == ("R", ["5"])
