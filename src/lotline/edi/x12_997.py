"""X12 997 Functional Acknowledgment: written for an inbound interchange, read from a partner's.

    text = acknowledge(read_x12(inbound), Envelope(...), ControlNumbers(1))
    acks = read_997(parse_x12(text))

What an inbound interchange gets: one 997 per functional group (in one interchange), AK1 naming the group,
AK2 and AK5 per transaction set (A accepted, R rejected with up to five AK502 codes), AK3 per segment in
error (AK304: 1 unrecognized segment, 2 unexpected, 8 has element errors) with AK4 per element (AK403 code
and a copy of the bad value), AK9 for the group (A all accepted, P partly, R none, with AK905 codes for the
group's own errors). Problems of the interchange envelope itself (a missing IEA, a control number that does
not match) cannot be said in a 997: they are reported in a TA1 inside the same interchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lotline.edi.errors import Problem
from lotline.edi.x12_envelope import FunctionalGroup, Interchange, TransactionSet
from lotline.edi.x12_write import ControlNumbers, Envelope, write_interchange

__all__ = ["GroupAck", "SetAck", "acknowledge", "read_997"]


@dataclass(slots=True)
class SetAck:
    code: str  # AK201: the acknowledged transaction set id (856)
    control: str  # AK202
    status: str  # AK501: A accepted, E accepted with errors, R rejected
    codes: list[str] = field(default_factory=list)  # AK502..AK506
    errors: list[str] = field(default_factory=list)  # AK3/AK4 in words


@dataclass(slots=True)
class GroupAck:
    code: str  # AK101: the acknowledged group's functional id (SH)
    control: str  # AK102: its GS06
    status: str  # AK901: A, E, P or R
    included: int = 0  # AK902
    received: int = 0  # AK903
    accepted: int = 0  # AK904
    codes: list[str] = field(default_factory=list)
    sets: list[SetAck] = field(default_factory=list)

    @property
    def accepted_all(self) -> bool:
        return self.status == "A"


def acknowledge(inbound: Interchange, envelope: Envelope, numbers: ControlNumbers) -> str:
    """The 997 interchange for `inbound` (read with `read_x12`, so its problems are on each level)."""
    before: list[list[str]] = []
    if inbound.problems:
        isa = inbound.header
        code = next((p.code for p in inbound.problems if len(p.code) == 3), "024")
        before.append(["TA1", inbound.control, isa.get(9), isa.get(10), "R", code])
    sets = [("997", _body(group)) for group in inbound.groups]
    version = inbound.groups[0].version if inbound.groups else "004010"
    return write_interchange(envelope, "FA", version, sets, numbers, before)


def _body(group: FunctionalGroup) -> list[list[str]]:
    ak1 = ["AK1", group.code, group.control]
    if group.version.startswith("005"):
        ak1.append(group.version)
    body = [ak1]
    accepted = 0
    for tset in group.sets:
        ak5 = _set(tset, body)
        accepted += ak5 == "A"
    total = len(group.sets)
    group_codes = [p.code for p in group.problems if p.code and len(p.code) == 1][:5]
    if group_codes or accepted == 0 < total:
        status = "R"  # the group's own envelope is broken, or no set was accepted
    elif accepted == total:
        status = "E" if group.problems else "A"  # E: accepted, with errors noted (e.g. a stray segment)
    else:
        status = "P"
    body.append(["AK9", status, str(total), str(total), str(accepted), *group_codes])
    return body


def _set(tset: TransactionSet, body: list[list[str]]) -> str:
    body.append(["AK2", tset.code, tset.control])
    by_segment: dict[int, list[Problem]] = {}
    set_codes: list[str] = []
    for problem in tset.problems:
        if problem.position:
            by_segment.setdefault(problem.segment, []).append(problem)
        else:
            set_codes.append(problem.code)
    for problems in by_segment.values():
        first = problems[0]
        elements = [p for p in problems if p.element]
        code = "8" if elements else (first.code or "8")
        body.append(["AK3", first.segment_id[:3], str(first.position), "", code])
        for p in elements[:99]:
            body.append(["AK4", str(p.element), "", p.code or "6", _copy(p)])
    if by_segment:
        set_codes.insert(0, "5")
    if set_codes:
        body.append(["AK5", "R", *dict.fromkeys(set_codes)][:6])
        return "R"
    body.append(["AK5", "A"])
    return "A"


def _copy(problem: Problem) -> str:
    """AK404: a copy of the bad value (cleaned of delimiters and line breaks, at most 99 characters)."""
    return "".join(c for c in problem.value if c.isalnum() or c in " .-/")[:99].strip()


def read_997(interchange: Interchange) -> list[GroupAck]:
    """The acknowledgments in an interchange of 997s (parse it with `parse_x12` first)."""
    acks: list[GroupAck] = []
    for _, tset in interchange.transaction_sets():
        if tset.code != "997":
            continue
        group: GroupAck | None = None
        current: SetAck | None = None
        segment_error = ""
        for s in tset.body():
            if s.id == "AK1":
                group = GroupAck(s.get(1), s.get(2), "")
                acks.append(group)
            elif s.id == "AK2" and group is not None:
                current = SetAck(s.get(1), s.get(2), "")
                group.sets.append(current)
            elif s.id == "AK3" and current is not None:
                segment_error = f"segment {s.get(1)} at position {s.get(2)}"
                current.errors.append(f"{segment_error}: error {s.get(4) or '?'}")
            elif s.id == "AK4" and current is not None:
                bad = f" (value {s.get(4)!r})" if s.get(4) else ""
                current.errors.append(f"{segment_error}, element {s.get(1)}: error {s.get(3)}{bad}")
            elif s.id == "AK5" and current is not None:
                current.status, current.codes = s.get(1), [c for c in s.elements[1:] if c]
            elif s.id == "AK9" and group is not None:
                group.status = s.get(1)
                group.included, group.received, group.accepted = (int(s.get(i) or 0) for i in (2, 3, 4))
                group.codes = [c for c in s.elements[4:] if c]
    return acks
