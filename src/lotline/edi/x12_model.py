"""The parts of an X12 interchange: interchange (ISA ... IEA) > functional groups (GS ... GE) > transaction
sets (ST ... SE) of segments, each level with the problems found on it (see `lotline.edi.x12_envelope`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lotline.edi.errors import Problem
from lotline.edi.x12 import Delimiters, Segment

__all__ = ["FunctionalGroup", "Interchange", "TransactionSet"]


@dataclass(slots=True)
class TransactionSet:
    code: str  # ST01, e.g. 856
    control: str  # ST02
    segments: list[Segment]  # ST ... SE
    problems: list[Problem] = field(default_factory=list)

    def body(self) -> list[Segment]:
        """The segments between ST and SE."""
        return [s for s in self.segments if s.id not in ("ST", "SE")]


@dataclass(slots=True)
class FunctionalGroup:
    header: Segment  # GS
    sets: list[TransactionSet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.header.get(1)  # SH, FA, PO, ...

    @property
    def control(self) -> str:
        return self.header.get(6)

    @property
    def version(self) -> str:
        return self.header.get(8)


@dataclass(slots=True)
class Interchange:
    header: Segment  # ISA
    delimiters: Delimiters
    groups: list[FunctionalGroup] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def control(self) -> str:
        return self.header.get(13)

    @property
    def sender(self) -> tuple[str, str]:
        return self.header.get(5).strip(), self.header.get(6).strip()

    @property
    def receiver(self) -> tuple[str, str]:
        return self.header.get(7).strip(), self.header.get(8).strip()

    def all_problems(self) -> list[Problem]:
        found = list(self.problems)
        for group in self.groups:
            found.extend(group.problems)
            for tset in group.sets:
                found.extend(tset.problems)
        return sorted(found, key=lambda p: (p.segment, p.element))

    def transaction_sets(self) -> Iterator[tuple[FunctionalGroup, TransactionSet]]:
        for group in self.groups:
            for tset in group.sets:
                yield group, tset
