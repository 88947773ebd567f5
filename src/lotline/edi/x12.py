"""X12 tokenizer: an interchange's text into segments, with the delimiters the ISA segment declares.

    ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *091225*1943*U*00401*000000091*0*P*>~
       ^ element separator (position 4, the character after "ISA")                       ISA16 ^ ^ segment terminator

The element separator is the 4th character; the ISA has exactly 16 elements, so the component separator is
the single character of ISA16 and the segment terminator the character after it. The ISA is split on the
separator rather than read at fixed columns, so interchanges whose ISA fields are not padded (seen in the
wild, e.g. old 00200 documents) read too. ISA11 is the repetition separator from version 00402 on (before,
it is the standards identifier `U`). Line breaks between segments are ignored (also when the newline *is*
the terminator); a line break *inside* a segment is reported, because it means the document mixes
terminators. Repetitions and components are split only when asked for (`Segment.repeats`,
`Segment.components`): a repetition separator such as `-` is a legal data character in elements that are
not defined as repeating (a ZIP+4 like 31139-0020).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lotline.edi.errors import EdiError, Problem

__all__ = ["Delimiters", "Segment", "tokenize"]

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_LINE_BREAKS = "\r\n"


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None  # ISA11, version 00402 and later


@dataclass(slots=True)
class Segment:
    """One segment: its id and its elements (`elements[0]` is the first element, XX01)."""

    id: str
    elements: list[str]
    number: int = 0  # position in the interchange, ISA = 1
    delimiters: Delimiters = field(default_factory=Delimiters, repr=False)

    def get(self, position: int) -> str:
        """Element `position` (1-based, as in BSN02), or "" when absent."""
        return self.elements[position - 1] if 0 < position <= len(self.elements) else ""

    def components(self, position: int) -> list[str]:
        return self.get(position).split(self.delimiters.component)

    def repeats(self, position: int) -> list[str]:
        value = self.get(position)
        return value.split(self.delimiters.repetition) if self.delimiters.repetition else [value]

    def __str__(self) -> str:
        return self.delimiters.element.join([self.id, *self.elements])


def tokenize(text: str) -> tuple[Delimiters, list[Segment], list[Problem]]:
    """The delimiters, the segments and the problems found while splitting (line breaks inside a
    segment, malformed segment ids). Raises EdiError when the text is not an X12 interchange at all."""
    text = text.lstrip("\ufeff \t\r\n")
    delimiters = _delimiters(text)
    body = text.split(delimiters.segment)
    if delimiters.segment in _LINE_BREAKS:
        body = re.split(r"\r\n|\r|\n", text)
    segments: list[Segment] = []
    problems: list[Problem] = []
    for raw in body:
        piece = raw.strip(_LINE_BREAKS)
        if not piece.strip():
            continue
        number = len(segments) + 1
        parts = piece.split(delimiters.element)
        segment = Segment(parts[0], parts[1:], number, delimiters)
        segments.append(segment)
        if not _SEGMENT_ID.fullmatch(segment.id):
            problems.append(
                Problem(f"{segment.id[:20]!r} is not a segment id", number, segment.id[:3], code="1")
            )
        elif any(c in piece for c in _LINE_BREAKS):
            problems.append(_line_break(segment, delimiters))
    return delimiters, segments, problems


def _delimiters(text: str) -> Delimiters:
    if not text.startswith("ISA"):
        found = text[:3] or "nothing"
        raise EdiError(f"not an X12 interchange: it must start with ISA, found {found!r}")
    if len(text) < 4 or text[3].isalnum() or text[3].isspace():
        raise EdiError("segment 1 (ISA): the 4th character must be the element separator (e.g. '*')")
    separator = text[3]
    position = 3
    for count in range(16):
        position = text.find(separator, position + 1) if count else position
        if position < 0:
            raise EdiError(
                f"segment 1 (ISA): has {count} elements; an ISA has 16 (element separator {separator!r})"
            )
    # `position` is the separator before ISA16: ISA16 is one character, the terminator comes next
    if position + 2 >= len(text):
        raise EdiError("segment 1 (ISA): ends after ISA16; the segment terminator must follow it")
    component, terminator = text[position + 1], text[position + 2]
    if terminator == separator or terminator.isalnum():
        raise EdiError(
            f"segment 1, element ISA16: {text[position + 1 : position + 3]!r} is not one component separator "
            f"followed by the segment terminator"
        )
    isa = text[: position + 1].split(separator)
    version, isa11 = isa[12], isa[11]
    repetition = isa11 if version >= "00402" and len(isa11) == 1 and not isa11.isalnum() else None
    return Delimiters(separator, component, "\n" if terminator == "\r" else terminator, repetition)


def _line_break(segment: Segment, delimiters: Delimiters) -> Problem:
    for index, element in enumerate(segment.elements, start=1):
        if any(c in element for c in _LINE_BREAKS):
            lines = [line for line in re.split(r"[\r\n]+", element) if line]
            after = lines[1][:3] if len(lines) > 1 else ""
            ends = lines[0][-1:] if lines else ""
            hint = f"; the line ends in {ends!r}" if ends and not ends.isalnum() else ""
            follows = f" and the next line starts with {after!r}" if after else ""
            return Problem(
                f"a line break inside the element: segments must end with {delimiters.segment!r} (the "
                f"terminator after ISA16){hint}{follows}; the document mixes segment terminators",
                segment.number,
                segment.id,
                element=index,
                code="6",
                value=element,
            )
    return Problem("a line break inside the segment id", segment.number, segment.id, code="1")
