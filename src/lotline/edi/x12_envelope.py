"""X12 envelopes: segments into interchange -> functional groups -> transaction sets, with the checks.

    interchange = read_x12(text)        # never raises for envelope problems: they are kept on each level
    interchange = parse_x12(text)       # raises EdiError listing every problem (the first is the cause)

Checks: ISA/IEA (group count, control number), GS/GE (set count, control number), ST/SE (segment count,
control number), segments outside any envelope, missing trailers, and the element syntax of the segments
lotline reads (`lotline.edi.x12_elements`). Each problem is kept on the level it belongs to and carries
the code a 997 reports it with (AK304/AK403 for segments, AK502 for sets, AK905 for groups).
"""

from __future__ import annotations

from dataclasses import replace

from lotline.edi.errors import EdiError, Problem
from lotline.edi.x12 import Segment, tokenize
from lotline.edi.x12_elements import check_elements
from lotline.edi.x12_model import FunctionalGroup, Interchange, TransactionSet

__all__ = ["FunctionalGroup", "Interchange", "TransactionSet", "parse_x12", "read_x12"]


def parse_x12(text: str) -> Interchange:
    """The interchange, or EdiError with every problem found (segment number, element, what is wrong)."""
    interchange = read_x12(text)
    problems = interchange.all_problems()
    if problems:
        raise EdiError(problems)
    return interchange


def read_x12(text: str) -> Interchange:
    """The interchange with its problems kept on each level (for acknowledgments). Raises EdiError only
    when there is no interchange to speak of (no readable ISA)."""
    delimiters, segments, split_problems = tokenize(text)
    isa = segments[0]
    interchange = Interchange(isa, delimiters)
    if len(isa.elements) != 16:
        interchange.problems.append(
            _p(isa, f"has {len(isa.elements)} elements, an ISA has 16", "interchange", "024")
        )
    if not (isa.get(13).isdigit() and len(isa.get(13)) == 9):
        interchange.problems.append(
            Problem(f"{isa.get(13)!r} is not a 9-digit control number", 1, "ISA", 13, "interchange", "018")
        )
    by_segment = {p.segment: p for p in split_problems}
    _Builder(interchange, by_segment).run(segments[1:])
    return interchange


class _Builder:
    def __init__(self, interchange: Interchange, split: dict[int, Problem]) -> None:
        self.ic = interchange
        self.split = split
        self.group: FunctionalGroup | None = None
        self.tset: TransactionSet | None = None
        self.ended = False

    def run(self, segments: list[Segment]) -> None:
        for segment in segments:
            handler = getattr(self, f"_on_{segment.id}", None)
            if handler is not None:
                handler(segment)
            else:
                self._on_data(segment)
        if self.tset is not None:
            self._close_set(None)
        if self.group is not None:
            self._close_group(None)
        if not self.ended:
            last = segments[-1] if segments else self.ic.header
            self.ic.problems.append(
                Problem(
                    "the interchange has no IEA trailer (document truncated?)",
                    last.number,
                    last.id,
                    level="interchange",
                    code="023",
                )
            )

    def _on_data(self, segment: Segment) -> None:
        if self.tset is None:
            where = "after the IEA" if self.ended else "outside a transaction set (ST ... SE)"
            target = self.group.problems if self.group else self.ic.problems
            level = "group" if self.group else "interchange"
            target.append(_p(segment, f"{segment.id} {where}", level, "" if self.group else "024"))
            return
        self.tset.segments.append(segment)
        position = len(self.tset.segments)
        found = [self.split[segment.number]] if segment.number in self.split else check_elements(segment)
        self.tset.problems.extend(_at(p, position) for p in found)

    def _on_ISA(self, segment: Segment) -> None:
        self.ic.problems.append(
            _p(segment, "a second ISA: one interchange per document", "interchange", "024")
        )

    def _on_GS(self, segment: Segment) -> None:
        if self.group is not None:
            self._close_group(None)
        self.group = FunctionalGroup(segment)
        self.ic.groups.append(self.group)
        self.group.problems.extend(_with_level(check_elements(segment), "group", "6"))

    def _on_ST(self, segment: Segment) -> None:
        if self.group is None:
            self.ic.problems.append(
                _p(segment, "ST outside a functional group (GS ... GE)", "interchange", "2")
            )
            self.group = FunctionalGroup(Segment("GS", [], segment.number))
            self.ic.groups.append(self.group)
        if self.tset is not None:
            self._close_set(None)
        self.tset = TransactionSet(segment.get(1), segment.get(2), [segment])
        self.group.sets.append(self.tset)
        self.tset.problems.extend(_at(p, 1) for p in check_elements(segment))

    def _on_SE(self, segment: Segment) -> None:
        if self.tset is None:
            self._on_data(segment)
            return
        self._close_set(segment)

    def _on_GE(self, segment: Segment) -> None:
        if self.tset is not None:
            self._close_set(None)
        if self.group is None:
            self.ic.problems.append(_p(segment, "GE without a GS", "interchange", "2"))
            return
        self._close_group(segment)

    def _on_IEA(self, segment: Segment) -> None:
        if self.tset is not None:
            self._close_set(None)
        if self.group is not None:
            self._close_group(None)
        self.ended = True
        problems = check_elements(segment)
        if segment.get(2) and segment.get(2) != self.ic.control:
            problems.append(
                _p(
                    segment,
                    f"control number {segment.get(2)!r} is not the ISA13 {self.ic.control!r}",
                    "interchange",
                    "001",
                    2,
                )
            )
        count = segment.get(1)
        if count.isdigit() and int(count) != len(self.ic.groups):
            problems.append(
                _p(
                    segment,
                    f"says {int(count)} functional groups, the interchange has {len(self.ic.groups)}",
                    "interchange",
                    "021",
                    1,
                )
            )
        self.ic.problems.extend(_with_level(problems, "interchange", ""))

    def _close_set(self, trailer: Segment | None) -> None:
        tset = self.tset
        assert tset is not None
        self.tset = None
        header = tset.segments[0]
        if trailer is None:
            last = tset.segments[-1]
            tset.problems.append(
                Problem(
                    f"transaction set {tset.control} has no SE trailer",
                    last.number,
                    last.id,
                    level="transaction",
                    code="2",
                )
            )
            return
        tset.segments.append(trailer)
        size = len(tset.segments)
        tset.problems.extend(_at(p, size) for p in check_elements(trailer))
        if trailer.get(2) and trailer.get(2) != tset.control:
            tset.problems.append(
                _p(
                    trailer,
                    f"control number {trailer.get(2)!r} is not the ST02 {tset.control!r}",
                    "transaction",
                    "3",
                    2,
                )
            )
        count = trailer.get(1)
        if count.isdigit() and int(count) != size:
            tset.problems.append(
                _p(
                    trailer,
                    f"says {int(count)} segments, the transaction set has {size} (ST and SE included)",
                    "transaction",
                    "4",
                    1,
                )
            )
        if header.get(1) and not header.get(1).isdigit():
            tset.problems.append(
                _p(header, f"{header.get(1)!r} is not a transaction set id", "transaction", "6", 1)
            )

    def _close_group(self, trailer: Segment | None) -> None:
        group = self.group
        assert group is not None
        self.group = None
        if trailer is None:
            group.problems.append(
                _p(group.header, f"functional group {group.control} has no GE trailer", "group", "3")
            )
            return
        group.problems.extend(_with_level(check_elements(trailer), "group", "6"))
        if trailer.get(2) and trailer.get(2) != group.control:
            group.problems.append(
                _p(
                    trailer,
                    f"control number {trailer.get(2)!r} is not the GS06 {group.control!r}",
                    "group",
                    "4",
                    2,
                )
            )
        count = trailer.get(1)
        if count.isdigit() and int(count) != len(group.sets):
            group.problems.append(
                _p(
                    trailer,
                    f"says {int(count)} transaction sets, the group has {len(group.sets)}",
                    "group",
                    "5",
                    1,
                )
            )


def _p(segment: Segment, message: str, level: str, code: str, element: int = 0) -> Problem:
    return Problem(message, segment.number, segment.id, element, level, code)


def _at(problem: Problem, position: int) -> Problem:
    return replace(problem, level="transaction", position=position)


def _with_level(problems: list[Problem], level: str, code: str) -> list[Problem]:
    return [replace(p, level=level, code=code or p.code) for p in problems]
