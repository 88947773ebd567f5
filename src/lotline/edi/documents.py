"""One entry point per job, whichever standard a document is in (X12 starts with ISA, EDIFACT with UNA/UNB).

notices = ship_notices(text)             # every 856 / DESADV in it; EdiError if the document is malformed
ack = acknowledgment(text, numbers, now)  # the 997 or CONTRL for it (never raises for a malformed one)
summary = describe(text)                  # JSON-able: envelopes, notices, acknowledgments read
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from lotline.edi.errors import EdiError
from lotline.edi.shipnotice import ShipNotice
from lotline.edi.x12_write import ControlNumbers, Envelope

__all__ = ["acknowledgment", "describe", "detect", "ship_notices"]


def detect(text: str) -> str:
    """ "x12" or "edifact"; EdiError for anything else."""
    head = text.lstrip("\ufeff \t\r\n")[:3]
    if head == "ISA":
        return "x12"
    if head in ("UNA", "UNB"):
        return "edifact"
    raise EdiError(f"not an EDI interchange: X12 starts with ISA, EDIFACT with UNA or UNB; found {head!r}")


def ship_notices(text: str) -> list[ShipNotice]:
    """The ship notices (X12 856, EDIFACT DESADV) of a document, checked: EdiError lists every problem."""
    if detect(text) == "x12":
        from lotline.edi.x12_856 import ship_notice_of
        from lotline.edi.x12_envelope import parse_x12

        interchange = parse_x12(text)
        return [
            ship_notice_of(interchange, g, t) for g, t in interchange.transaction_sets() if t.code == "856"
        ]
    from lotline.edi.desadv import desadv_notice
    from lotline.edi.edifact import parse_edifact

    edifact = parse_edifact(text)
    return [desadv_notice(edifact, m) for m in edifact.messages if m.type == "DESADV"]


def acknowledgment(text: str, numbers: ControlNumbers, now: datetime) -> str:
    """The 997 (X12) or CONTRL (EDIFACT) for the document, from us (its receiver) to its sender."""
    if detect(text) == "x12":
        from lotline.edi.x12_997 import acknowledge
        from lotline.edi.x12_envelope import read_x12

        interchange = read_x12(text)
        version = interchange.header.get(12) or "00401"
        usage = interchange.header.get(15) or "P"
        envelope = Envelope(interchange.receiver, interchange.sender, now, usage, version)
        return acknowledge(interchange, envelope, numbers)
    from lotline.edi.contrl import contrl
    from lotline.edi.edifact import read_edifact
    from lotline.edi.edifact_write import EdifactEnvelope

    edifact = read_edifact(text)
    sender, receiver = edifact.sender, edifact.receiver
    syntax = ":".join(edifact.header.elements[0][:2]) or "UNOC:3"
    reply = EdifactEnvelope((receiver[1], receiver[0]), (sender[1], sender[0]), now, syntax)
    return contrl(edifact, reply, numbers)


def describe(text: str) -> dict[str, Any]:
    """What a document holds, checked (EdiError when malformed): its envelope, ship notices, acks."""
    out: dict[str, Any] = {"format": detect(text)}
    if out["format"] == "x12":
        from lotline.edi.x12_997 import read_997
        from lotline.edi.x12_envelope import parse_x12

        interchange = parse_x12(text)
        out["interchange"] = {
            "sender": ":".join(interchange.sender),
            "receiver": ":".join(interchange.receiver),
            "control": interchange.control,
            "version": interchange.header.get(12),
            "groups": [
                {
                    "code": g.code,
                    "control": g.control,
                    "version": g.version,
                    "sets": [{"code": t.code, "control": t.control} for t in g.sets],
                }
                for g in interchange.groups
            ],
        }
        acks = read_997(interchange)
        if acks:
            out["acknowledgments"] = [asdict(a) for a in acks]
    else:
        from lotline.edi.edifact import parse_edifact

        edifact = parse_edifact(text)
        out["interchange"] = {
            "sender": ":".join(edifact.sender),
            "receiver": ":".join(edifact.receiver),
            "reference": edifact.reference,
            "messages": [
                {"type": m.type, "version": m.version, "reference": m.reference} for m in edifact.messages
            ],
        }
    out["shipNotices"] = [n.to_json() for n in ship_notices(text)]
    return out
