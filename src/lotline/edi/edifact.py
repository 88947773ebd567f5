"""EDIFACT interchanges: pydifact tokenises (UNA service characters, release character, components),
lotline keeps the structure and checks the envelopes.

    interchange = read_edifact(text)      # problems kept on the interchange and on each message
    interchange = parse_edifact(text)     # raises EdiError listing every problem

Checks: UNB/UNZ (message count 0036, reference 0020), UNH/UNT (segment count 0074 with UNH and UNT, message
reference 0062), segment tags, and the element syntax of the segments lotline reads (QTY numbers, DTM dates
in formats 102/203/204). Problems carry the EDIFACT syntax error code (0085) that CONTRL reports them with.
pydifact is an optional dependency (`pip install 'lotline[edi]'`), imported only here, when a document is read.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime

from lotline.edi.errors import EdiError, Problem

__all__ = ["ESegment", "EdifactInterchange", "EdifactMessage", "parse_edifact", "read_edifact"]

_TAG = re.compile(r"[A-Z][A-Z0-9]{2}")
_DATE_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}


@dataclass(slots=True)
class ESegment:
    tag: str
    elements: list[list[str]]  # each element as its components
    number: int = 0  # position in the interchange (UNA not counted; UNB = 1)

    def get(self, element: int, component: int = 1) -> str:
        """Element `element` (1-based, after the tag), component `component` (1-based), or ""."""
        if 0 < element <= len(self.elements):
            parts = self.elements[element - 1]
            return parts[component - 1] if 0 < component <= len(parts) else ""
        return ""


@dataclass(slots=True)
class EdifactMessage:
    header: ESegment  # UNH
    segments: list[ESegment]  # UNH ... UNT
    problems: list[Problem] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.header.get(1)

    @property
    def type(self) -> str:
        return self.header.get(2, 1)

    @property
    def version(self) -> str:
        return self.header.get(2, 2) + self.header.get(2, 3)  # D + 96A

    def body(self) -> list[ESegment]:
        return [s for s in self.segments if s.tag not in ("UNH", "UNT")]


@dataclass(slots=True)
class EdifactInterchange:
    header: ESegment  # UNB
    messages: list[EdifactMessage] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    decimal_mark: str = "."

    @property
    def reference(self) -> str:
        return self.header.get(5)

    @property
    def sender(self) -> tuple[str, str]:
        return self.header.get(2, 2), self.header.get(2, 1)  # (qualifier 0007, id 0004)

    @property
    def receiver(self) -> tuple[str, str]:
        return self.header.get(3, 2), self.header.get(3, 1)

    def all_problems(self) -> list[Problem]:
        found = list(self.problems)
        for message in self.messages:
            found.extend(message.problems)
        return sorted(found, key=lambda p: (p.segment, p.element))


def parse_edifact(text: str) -> EdifactInterchange:
    interchange = read_edifact(text)
    problems = interchange.all_problems()
    if problems:
        raise EdiError(problems)
    return interchange


def _tokenise(text: str) -> tuple[list[ESegment], str]:
    from lotline.connectors.registry import require

    require("pydifact", "edi")
    from pydifact.exceptions import EDISyntaxError
    from pydifact.parser import Parser

    segments: list[ESegment] = []
    decimal = "."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydifact warns about directories it has no definitions for
            for segment in Parser().parse(text.lstrip("\ufeff \r\n")):
                if segment.tag == "UNA":
                    decimal = str(segment.elements[0])[2] if segment.elements else "."
                    continue
                elements = [list(e) if isinstance(e, list) else [str(e or "")] for e in segment.elements]
                segments.append(
                    ESegment(segment.tag, [[str(c or "") for c in e] for e in elements], len(segments) + 1)
                )
    except EDISyntaxError as exc:
        after = f" after segment {len(segments)} ({segments[-1].tag})" if segments else ""
        raise EdiError(
            Problem(f"EDIFACT syntax error{after}: {exc}", len(segments) + 1, level="interchange", code="22")
        ) from None
    return segments, decimal


def read_edifact(text: str) -> EdifactInterchange:
    """The interchange with its problems. Raises EdiError when there is no UNB or the text does not tokenise."""
    segments, decimal = _tokenise(text)
    if not segments or segments[0].tag != "UNB":
        found = segments[0].tag if segments else "nothing"
        raise EdiError(f"not an EDIFACT interchange: it must start with UNA or UNB, found {found}")
    ic = EdifactInterchange(segments[0], decimal_mark=decimal)
    current: EdifactMessage | None = None
    ended = False
    for segment in segments[1:]:
        if not _TAG.fullmatch(segment.tag):
            target = current.problems if current else ic.problems
            target.append(
                Problem(
                    f"{segment.tag[:10]!r} is not a segment tag",
                    segment.number,
                    segment.tag[:3],
                    level="transaction",
                    code="15",
                    position=_pos(current),
                )
            )
            if current:
                current.segments.append(segment)
        elif segment.tag == "UNH":
            if current is not None:
                current.problems.append(_p(current.segments[-1], "message has no UNT trailer", "13"))
            current = EdifactMessage(segment, [segment])
            ic.messages.append(current)
        elif segment.tag == "UNT" and current is not None:
            current.segments.append(segment)
            _close(current, segment)
            current = None
        elif segment.tag == "UNZ":
            ended = True
            _trailer(ic, segment)
        elif current is None:
            ic.problems.append(
                Problem(
                    f"{segment.tag} outside a message (UNH ... UNT)",
                    segment.number,
                    segment.tag,
                    level="interchange",
                    code="15",
                )
            )
        else:
            current.segments.append(segment)
            current.problems.extend(_check(segment, len(current.segments), decimal))
    if current is not None:
        current.problems.append(_p(current.segments[-1], "message has no UNT trailer", "13"))
    if not ended:
        last = segments[-1]
        ic.problems.append(
            Problem(
                "the interchange has no UNZ trailer", last.number, last.tag, level="interchange", code="13"
            )
        )
    return ic


def _pos(message: EdifactMessage | None) -> int:
    return len(message.segments) + 1 if message else 0


def _p(segment: ESegment, message: str, code: str, element: int = 0, position: int = 0) -> Problem:
    return Problem(message, segment.number, segment.tag, element, "transaction", code, position)


def _close(message: EdifactMessage, trailer: ESegment) -> None:
    size = len(message.segments)
    count = trailer.get(1)
    if not count.isdigit() or int(count) != size:
        message.problems.append(
            _p(
                trailer,
                f"UNT says {count or 'nothing'} segments, the message has {size} (UNH and UNT included)",
                "29",
                1,
            )
        )
    if trailer.get(2) != message.reference:
        message.problems.append(
            _p(trailer, f"reference {trailer.get(2)!r} is not the UNH's {message.reference!r}", "28", 2)
        )


def _trailer(ic: EdifactInterchange, trailer: ESegment) -> None:
    count = trailer.get(1)
    if not count.isdigit() or int(count) != len(ic.messages):
        ic.problems.append(
            Problem(
                f"UNZ says {count or 'nothing'} messages, the interchange has {len(ic.messages)}",
                trailer.number,
                "UNZ",
                1,
                "interchange",
                "29",
            )
        )
    if trailer.get(2) != ic.reference:
        ic.problems.append(
            Problem(
                f"reference {trailer.get(2)!r} is not the UNB's {ic.reference!r}",
                trailer.number,
                "UNZ",
                2,
                "interchange",
                "28",
            )
        )


def _check(segment: ESegment, position: int, decimal: str) -> list[Problem]:
    found = []
    if segment.tag == "QTY":
        amount = segment.get(1, 2)
        if not re.fullmatch(rf"-?\d+(?:[{re.escape(decimal)}.]\d+)?", amount):
            found.append(
                _p(segment, f"quantity {amount!r} is not a number", "12" if amount else "13", 1, position)
            )
    elif segment.tag == "DTM":
        value, fmt = segment.get(1, 2), segment.get(1, 3)
        pattern = _DATE_FORMATS.get(fmt)
        if pattern is not None:
            try:
                datetime.strptime(value, pattern)
            except ValueError:
                found.append(_p(segment, f"{value!r} is not a date in format {fmt}", "12", 1, position))
    return [
        Problem(
            p.message, p.segment, p.segment_id, p.element, p.level, p.code, p.position, 2 if p.element else 0
        )
        for p in found
    ]
