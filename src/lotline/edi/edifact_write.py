"""Writing EDIFACT interchanges: UNA/UNB/UNH ... UNT/UNZ around message bodies, counts filled in.

Service characters are the ISO 9735 defaults (`:+.? '`); a value holding one of them is escaped with the
release character `?`. Segments end with `'` and a line break. Control references come from the counter
passed in (interchange, then each message), so output is deterministic for a given counter and clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lotline.edi.x12_write import ControlNumbers

__all__ = ["EdifactEnvelope", "segment", "write_edifact"]

Element = str | Sequence[str]  # a simple element, or a composite's components


@dataclass(frozen=True, slots=True)
class EdifactEnvelope:
    sender: tuple[str, str]  # (id 0004, qualifier 0007)
    receiver: tuple[str, str]
    now: datetime
    syntax: str = "UNOC:3"


def _escape(value: str) -> str:
    return "".join("?" + c if c in "?:+'" else c for c in value)


def segment(tag: str, *elements: Element) -> str:
    """One segment; trailing empty elements and components are left out."""
    parts = []
    for element in elements:
        components = [element] if isinstance(element, str) else list(element)
        while components and components[-1] == "":
            components.pop()
        parts.append(":".join(_escape(c) for c in components))
    while parts and parts[-1] == "":
        parts.pop()
    return "+".join([tag, *parts]) + "'\n"


def write_edifact(
    envelope: EdifactEnvelope,
    messages: Sequence[tuple[Sequence[str], Sequence[str]]],
    numbers: ControlNumbers,
) -> str:
    """An interchange of `messages`: (message identifier components for UNH S009, body segments as written
    by `segment`)."""
    reference = str(numbers.next())
    now = envelope.now
    out = [
        "UNA:+.? '\n",
        segment(
            "UNB",
            envelope.syntax.split(":"),
            envelope.sender,
            envelope.receiver,
            (now.strftime("%y%m%d"), now.strftime("%H%M")),
            reference,
        ),
    ]
    for identifier, body in messages:
        ref = str(numbers.next())
        out.append(segment("UNH", ref, identifier))
        out.extend(body)
        out.append(segment("UNT", str(len(body) + 2), ref))
    out.append(segment("UNZ", str(len(messages)), reference))
    return "".join(out)
