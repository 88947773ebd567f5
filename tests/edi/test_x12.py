"""X12 tokenizer and envelopes: every real sample reads; malformed ones fail naming segment and element."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotline.edi.errors import EdiError
from lotline.edi.x12 import tokenize
from lotline.edi.x12_envelope import parse_x12, read_x12
from tests.edi.conftest import (
    CROSSDOCK,
    INVALID_997,
    MALFORMED,
    MIXED_TERMINATORS,
    NODE_X12,
    TARE_LOTS,
    X12_856,
    X12_997,
    text,
)

SAMPLES = sorted([*X12_856.glob("*.edi"), *X12_997.glob("*.edi")])
GOOD = [p for p in SAMPLES if p.name not in MALFORMED]


def test_the_shared_samples_are_there() -> None:
    assert len(SAMPLES) == 8 and len(GOOD) == 6


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_every_real_sample_parses(path: Path) -> None:
    interchange = parse_x12(text(path))
    assert interchange.groups and all(g.sets for g in interchange.groups)
    for _, tset in interchange.transaction_sets():
        assert tset.segments[0].id == "ST" and tset.segments[-1].id == "SE"
        assert int(tset.segments[-1].get(1)) == len(tset.segments)


@pytest.mark.parametrize(
    ("path", "element", "segment", "terminator", "repetition"),
    [
        (CROSSDOCK, "*", ">", "\n", None),  # the line break is the terminator
        (NODE_X12, "*", ">", "~", "-"),  # 00406: ISA11 is the repetition separator
        (TARE_LOTS, "*", "@", "!", None),  # 00200, ISA fields not padded
        (X12_997 / "stupidedi_997_005010X230_ack-837s.edi", "*", ":", "~", ">"),  # one line, UTF-8 BOM
    ],
)
def test_delimiters_come_from_the_isa(
    path: Path, element: str, segment: str, terminator: str, repetition: str | None
) -> None:
    delimiters, segments, problems = tokenize(text(path))
    assert (delimiters.element, delimiters.component, delimiters.segment) == (element, segment, terminator)
    assert delimiters.repetition == repetition
    assert problems == [] and segments[0].id == "ISA" and segments[-1].id == "IEA"


def test_a_repetition_separator_is_data_unless_asked_for() -> None:
    n4 = next(s for s in tokenize(text(NODE_X12))[1] if s.id == "N4" and "31139" in s.get(3))
    assert n4.get(3) == "31139-0020"  # a ZIP+4, not two repetitions
    assert n4.repeats(3) == ["31139", "0020"]


def test_mixed_terminators_name_the_segment_and_element() -> None:
    with pytest.raises(EdiError) as caught:
        parse_x12(text(MIXED_TERMINATORS))
    first = caught.value.problem
    assert (first.segment, first.segment_id, first.element, first.code) == (13, "N1", 4, "6")
    assert "line break" in first.message and "'$'" in first.message and "'~'" in first.message
    assert str(caught.value).startswith("segment 13 (N1), element N104: a line break inside the element")
    counts = caught.value.problems[1]
    assert (counts.segment_id, counts.element, counts.code) == ("SE", 1, "4")
    assert "says 25 segments, the transaction set has 22" in counts.message


def test_invalid_997_codes_name_each_element() -> None:
    with pytest.raises(EdiError) as caught:
        parse_x12(text(INVALID_997))
    problems = [(p.segment, p.segment_id, p.element, p.code) for p in caught.value.problems]
    assert problems == [(4, "AK1", 1, "5"), (7, "AK4", 2, "6")]
    assert "'HC NOT IN CODESET' is too long" in caught.value.problems[0].message
    assert "'66 NON NUMERIC' is not a whole number" in caught.value.problems[1].message


def _tamper(old: str, new: str, path: Path = NODE_X12) -> str:
    original = text(path)
    assert old in original
    return original.replace(old, new, 1)


@pytest.mark.parametrize(
    ("edit", "level", "segment_id", "code", "words"),
    [
        (
            ("SE*31*0008", "SE*30*0008"),
            "transaction",
            "SE",
            "4",
            "says 30 segments, the transaction set has 31",
        ),
        (("SE*31*0008", "SE*31*0009"), "transaction", "SE", "3", "'0009' is not the ST02 '0008'"),
        (("GE*1*49", "GE*2*49"), "group", "GE", "5", "says 2 transaction sets, the group has 1"),
        (("GE*1*49", "GE*1*50"), "group", "GE", "4", "'50' is not the GS06 '49'"),
        (("IEA*1*000000049", "IEA*1*000000048"), "interchange", "IEA", "001", "is not the ISA13"),
        (("IEA*1*000000049", "IEA*3*000000049"), "interchange", "IEA", "021", "says 3 functional groups"),
        (("IEA*1*000000049~", ""), "interchange", "GE", "023", "no IEA trailer"),
        (("SN1*1*24*EA", "SN1*1*2X4*EA"), "transaction", "SN1", "6", "'2X4' is not a number"),
        (("BSN*14*829716*20111206", "BSN*14*829716*20111306"), "transaction", "BSN", "8", "is not a date"),
    ],
)
def test_envelope_checks(edit: tuple[str, str], level: str, segment_id: str, code: str, words: str) -> None:
    interchange = read_x12(_tamper(*edit))
    problems = interchange.all_problems()
    assert len(problems) == 1, problems
    assert (problems[0].level, problems[0].segment_id, problems[0].code) == (level, segment_id, code)
    assert words in problems[0].message
    with pytest.raises(EdiError):
        parse_x12(_tamper(*edit))


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ("UNB+UNOC:3+X", "must start with ISA"),
        ("ISA*00*", "has 2 elements; an ISA has 16"),
        ("ISA*00*          *00*          *ZZ*A*ZZ*B*091225*1943*U*00401*000000091*0*P*", "ends after ISA16"),
    ],
)
def test_not_an_interchange(document: str, words: str) -> None:
    with pytest.raises(EdiError, match=words):
        parse_x12(document)
