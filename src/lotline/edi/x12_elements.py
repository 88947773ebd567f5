"""Element syntax of the X12 segments lotline reads: requirement, type and length, per element.

Only what is stable from version 002001 to 005010 is checked (lengths are the widest of those versions),
so a document is never refused for a difference between versions. Each problem carries the AK403 code
(1 mandatory element missing, 3 too many elements, 4 too short, 5 too long, 6 invalid character,
8 invalid date, 9 invalid time).
"""

from __future__ import annotations

import re
from datetime import date

from lotline.edi.errors import Problem
from lotline.edi.x12 import Segment

__all__ = ["check_elements"]

# (mandatory, type, min, max): types N0 integer, R decimal, ID code, AN text, DT date, TM time
_E = tuple[bool, str, int, int]
_SPEC: dict[str, list[_E]] = {
    "ST": [(True, "ID", 3, 3), (True, "AN", 4, 9), (False, "AN", 1, 35)],
    "SE": [(True, "N0", 1, 10), (True, "AN", 4, 9)],
    "GS": [(True, "ID", 2, 2), (True, "AN", 2, 15), (True, "AN", 2, 15), (True, "DT", 6, 8),
           (True, "TM", 4, 8), (True, "N0", 1, 9), (True, "ID", 1, 2), (True, "AN", 1, 12)],
    "GE": [(True, "N0", 1, 6), (True, "N0", 1, 9)],
    "IEA": [(True, "N0", 1, 5), (True, "N0", 9, 9)],
    "BSN": [(True, "ID", 2, 2), (True, "AN", 2, 30), (True, "DT", 6, 8), (False, "TM", 4, 8)],
    "HL": [(True, "AN", 1, 12), (False, "AN", 1, 12), (True, "ID", 1, 2), (False, "ID", 1, 1)],
    "SN1": [(False, "AN", 1, 20), (True, "R", 1, 15), (True, "ID", 2, 2)],
    "MAN": [(True, "ID", 1, 2), (True, "AN", 1, 48)],
    "DTM": [(True, "ID", 3, 3), (False, "DT", 6, 8), (False, "TM", 4, 8)],
    "N1": [(True, "ID", 2, 3), (False, "AN", 1, 60), (False, "ID", 1, 2), (False, "AN", 2, 80)],
    "REF": [(True, "ID", 2, 3), (False, "AN", 1, 50)],
    "PRF": [(True, "AN", 1, 22)],
    "CTT": [(True, "N0", 1, 6), (False, "R", 1, 10)],
    "AK1": [(True, "ID", 2, 2), (True, "N0", 1, 9), (False, "AN", 1, 12)],
    "AK2": [(True, "ID", 3, 3), (True, "AN", 4, 9), (False, "AN", 1, 35)],
    "AK3": [(True, "ID", 2, 3), (True, "N0", 1, 10), (False, "AN", 1, 6), (False, "ID", 1, 3)],
    "AK4": [(True, "AN", 1, 11), (False, "N0", 1, 4), (True, "ID", 1, 3), (False, "AN", 1, 99)],
    "AK5": [(True, "ID", 1, 1)] + [(False, "ID", 1, 3)] * 5,
    "AK9": [(True, "ID", 1, 1), (True, "N0", 1, 6), (True, "N0", 1, 6), (True, "N0", 1, 6)]
    + [(False, "ID", 1, 3)] * 5,
}  # fmt: skip
# Segments whose every element is listed above: more elements than that is an error.
_COMPLETE = frozenset({"ST", "SE", "GE", "IEA", "AK1", "AK2", "AK3", "AK4", "AK5", "AK9"})
_TIME = re.compile(r"([01]\d|2[0-3])[0-5]\d(?:[0-5]\d(?:\d{1,2})?)?")
_DECIMAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")


def check_elements(segment: Segment) -> list[Problem]:
    """The element problems of a segment lotline knows; [] for others (they are kept, not checked)."""
    spec = _SPEC.get(segment.id)
    if spec is None:
        return []
    problems: list[Problem] = []
    if segment.id in _COMPLETE and len(segment.elements) > len(spec) and any(segment.elements[len(spec) :]):
        problems.append(_bad(segment, len(spec) + 1, "3", f"too many elements: {segment.id} has {len(spec)}"))
    for position, (mandatory, kind, low, high) in enumerate(spec, start=1):
        value = segment.get(position)
        if not value:
            if mandatory:
                problems.append(_bad(segment, position, "1", "mandatory element is missing"))
            continue
        problem = _check(value, kind, low, high)
        if problem:
            problems.append(_bad(segment, position, *problem, value=value))
    return problems


def _check(value: str, kind: str, low: int, high: int) -> tuple[str, str] | None:
    shown = value if len(value) <= 40 else value[:37] + "..."
    if kind == "N0" and not value.lstrip("-").isdigit():
        return "6", f"{shown!r} is not a whole number"
    if kind == "R" and not _DECIMAL.fullmatch(value):
        return "6", f"{shown!r} is not a number"
    if kind == "DT" and not _valid_date(value):
        return "8", f"{shown!r} is not a date (CCYYMMDD or YYMMDD)"
    if kind == "TM" and not _TIME.fullmatch(value):
        return "9", f"{shown!r} is not a time (HHMM, HHMMSS or HHMMSSdd)"
    size = len(value.lstrip("-").replace(".", "")) if kind in ("N0", "R") else len(value)
    if size < low:
        return "4", f"{shown!r} is too short ({size} characters, at least {low})"
    if size > high:
        return "5", f"{shown!r} is too long ({size} characters, at most {high})"
    return None


def _valid_date(value: str) -> bool:
    if not value.isdigit() or len(value) not in (6, 8):
        return False
    year = int(value[:-4]) + (2000 if len(value) == 6 else 0)
    try:
        date(year, int(value[-4:-2]), int(value[-2:]))
    except ValueError:
        return False
    return True


def _bad(segment: Segment, position: int, code: str, message: str, value: str = "") -> Problem:
    return Problem(message, segment.number, segment.id, element=position, code=code, value=value)
