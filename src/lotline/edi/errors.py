"""Errors of the EDI layer.

LotlineError
└── EdiError            an EDI document cannot be read: where (segment number and id, element) and what is wrong

An `EdiError` carries the place in the document and, for X12, the 997 error code that says the same thing
(AK304 segment syntax error, AK403 element syntax error, AK502 transaction set error, AK905 group error,
TA105 interchange note), so an acknowledgment can be built from it without re-parsing the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from lotline.errors import LotlineError

__all__ = ["EdiError", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document.

    `segment` is the 1-based position of the segment in the interchange (ISA/UNA/UNB is 1), `position` its
    position inside its transaction set or message (ST/UNH is 1; 0 outside one), `element` the 1-based
    element position (0: the segment as a whole), `component` the 1-based component (0: the whole element).
    `level` is interchange, group or transaction; `code` the X12 997 / TA1 code or the EDIFACT 0085 code;
    `value` the offending element value, when there is one.
    """

    message: str
    segment: int = 0
    segment_id: str = ""
    element: int = 0
    level: str = "transaction"
    code: str = ""
    position: int = 0
    component: int = 0
    value: str = ""  # the offending value, when there is one (a 997 AK404 quotes it)

    def __str__(self) -> str:
        where = []
        if self.segment:
            where.append(
                f"segment {self.segment} ({self.segment_id})"
                if self.segment_id
                else f"segment {self.segment}"
            )
        if self.element:
            where.append(f"element {self.segment_id}{self.element:02d}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class EdiError(LotlineError):
    """An EDI document cannot be read or checks fail; `problems` lists each problem, the first is the cause."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = Problem(problems, level="interchange")
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__(str(self.problems[0]) if self.problems else "invalid EDI document")

    @property
    def problem(self) -> Problem:
        return self.problems[0]
