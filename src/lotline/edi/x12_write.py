"""Writing X12 interchanges: ISA/GS/ST envelopes around transaction set bodies, counts filled in.

    numbers = ControlNumbers(1)                        # or ControlNumbers(last_used + 1), kept by the caller
    text = write_interchange(Envelope(("ZZ", "LOTLINE"), ("ZZ", "PARTNER"), now), "SH", "004010",
                             [[["BSN", "00", "ASN1", "20260301", "0800"], ...]], numbers)

Control numbers come from the counter passed in (interchange, group and set numbers in that order), so
output is deterministic for a given counter and clock. The ISA is written at its fixed width. X12 has no
escape character: a value holding a delimiter is refused (EdiError), never silently changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lotline.edi.errors import EdiError
from lotline.edi.x12 import Delimiters

__all__ = ["ControlNumbers", "Envelope", "write_interchange"]

DEFAULT = Delimiters("*", ">", "~", "^")


class ControlNumbers:
    """A counter of control numbers: `next()` gives start, start + 1, ..."""

    def __init__(self, start: int = 1) -> None:
        if start < 1:
            raise ValueError("control numbers start at 1")
        self.value = start

    def next(self) -> int:
        number = self.value
        self.value += 1
        return number


@dataclass(frozen=True, slots=True)
class Envelope:
    sender: tuple[str, str]  # (ISA05 qualifier, ISA06 id)
    receiver: tuple[str, str]
    now: datetime
    usage: str = "P"  # ISA15: P production, T test
    version: str = "00401"  # ISA12
    group_sender: str | None = None  # GS02 (default: the ISA id)
    group_receiver: str | None = None


def write_interchange(
    envelope: Envelope,
    group_code: str,
    group_version: str,
    sets: Sequence[tuple[str, Sequence[Sequence[str]]]],
    numbers: ControlNumbers,
    before_groups: Sequence[Sequence[str]] = (),
) -> str:
    """One interchange with one functional group of `sets` ((ST01, body segments)); `before_groups` are
    segments between ISA and GS (a TA1). Segments end with `~` and a line break."""
    d = DEFAULT if envelope.version >= "00402" else Delimiters("*", ">", "~", None)
    isa_control = f"{numbers.next():09d}"
    group_control = str(numbers.next())
    now = envelope.now
    lines = [_isa(envelope, isa_control, d)]
    lines += [_segment(s, d) for s in before_groups]
    gs_sender = envelope.group_sender or envelope.sender[1]
    gs_receiver = envelope.group_receiver or envelope.receiver[1]
    lines.append(
        _segment(
            [
                "GS",
                group_code,
                gs_sender,
                gs_receiver,
                now.strftime("%Y%m%d"),
                now.strftime("%H%M"),
                group_control,
                "X",
                group_version,
            ],
            d,
        )
    )
    for code, body in sets:
        control = f"{numbers.next():04d}"
        segments = [["ST", code, control], *body]
        segments.append(["SE", str(len(segments) + 1), control])
        lines += [_segment(s, d) for s in segments]
    lines.append(_segment(["GE", str(len(sets)), group_control], d))
    lines.append(_segment(["IEA", "1", isa_control], d))
    return "".join(lines)


def _isa(e: Envelope, control: str, d: Delimiters) -> str:
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        e.sender[0].ljust(2),
        e.sender[1].ljust(15)[:15],
        e.receiver[0].ljust(2),
        e.receiver[1].ljust(15)[:15],
        e.now.strftime("%y%m%d"),
        e.now.strftime("%H%M"),
        d.repetition or "U",
        e.version,
        control,
        "0",
        e.usage,
        d.component,
    ]
    return d.element.join(fields) + d.segment + "\n"


def _segment(elements: Sequence[str], d: Delimiters) -> str:
    values = list(elements)
    while len(values) > 1 and values[-1] == "":
        values.pop()  # trailing empty elements are left out
    for position, value in enumerate(values[1:], start=1):
        bad = [c for c in (d.element, d.component, d.segment, d.repetition) if c and c in value]
        if bad or "\n" in value or "\r" in value:
            raise EdiError(
                f"{values[0]}{position:02d}: {value!r} holds the delimiter {(bad or ['line break'])[0]!r}; X12 has "
                "no escape character"
            )
    return d.element.join(values) + d.segment + "\n"
