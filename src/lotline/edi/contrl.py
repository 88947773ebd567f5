"""EDIFACT CONTRL (syntax and service report) for an inbound interchange.

    text = contrl(read_edifact(inbound), EdifactEnvelope(...), ControlNumbers(1))

UCI reports the interchange: action 0083 = 7 (acknowledged, and so is every message not rejected below)
or 4 (rejected, with the 0085 error code, the segment tag and the element position of the first problem
of the interchange envelope). One UCM per message: 7 accepted, or 4 rejected with the error code of its
first problem, then UCS per segment in error (its position in the message, UNH = 1) with UCD per element
(0085 code, element:component position). Message trailers that do not add up are reported on the UCM.
"""

from __future__ import annotations

from lotline.edi.edifact import EdifactInterchange, EdifactMessage
from lotline.edi.edifact_write import EdifactEnvelope, segment, write_edifact
from lotline.edi.x12_write import ControlNumbers

__all__ = ["IDENTIFIER", "contrl"]

IDENTIFIER = ("CONTRL", "D", "3", "UN")


def contrl(inbound: EdifactInterchange, envelope: EdifactEnvelope, numbers: ControlNumbers) -> str:
    sender, receiver = inbound.header.elements[1], inbound.header.elements[2]
    body = []
    first = inbound.problems[0] if inbound.problems else None
    if first is None:
        body.append(segment("UCI", inbound.reference, sender, receiver, "7"))
    else:
        body.append(
            segment(
                "UCI",
                inbound.reference,
                sender,
                receiver,
                "4",
                first.code or "18",
                first.segment_id,
                str(first.element) if first.element else "",
            )
        )
    for message in inbound.messages:
        body.extend(_message(message))
    return write_edifact(envelope, [(IDENTIFIER, body)], numbers)


def _message(message: EdifactMessage) -> list[str]:
    identifier = [message.header.get(2, i) for i in range(1, 5)]
    if not message.problems:
        return [segment("UCM", message.reference, identifier, "7")]
    trailer = [p for p in message.problems if not p.position]
    code = (trailer[0] if trailer else message.problems[0]).code or "18"
    out = [segment("UCM", message.reference, identifier, "4", code)]
    by_position: dict[int, list[str]] = {}
    for problem in message.problems:
        if not problem.position:
            continue
        details = by_position.setdefault(problem.position, [])
        if problem.element:
            where = (
                [str(problem.element), str(problem.component)]
                if problem.component
                else [str(problem.element)]
            )
            details.append(segment("UCD", problem.code or "12", where))
    for position, details in sorted(by_position.items()):
        out.append(segment("UCS", str(position), "" if details else "15"))
        out.extend(details)
    return out
