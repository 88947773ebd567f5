"""EDI: ANSI X12 (856 ship notice, 997 acknowledgment) and UN/EDIFACT (DESADV, CONTRL).

    from lotline.edi import ship_notices, receiving_events

    for notice in ship_notices(path.read_text()):      # X12 856 or EDIFACT DESADV
        events = receiving_events(notice)              # EPCIS receiving + packing events, validated

Inbound ship notices become one canonical `ShipNotice`, mapped to EPCIS by the `x12-856-receiving`
mapping template; outbound ones are built from shipping events (`ship_notice_from_events`) and written
as an 856 (`write_856`) or a DESADV (`write_desadv`). `acknowledgment` answers an inbound interchange with
a 997 or a CONTRL. See docs/edi.md.
"""

from lotline.edi.capture import NoticeOutcome, capture_ship_notices
from lotline.edi.documents import acknowledgment, describe, detect, ship_notices
from lotline.edi.errors import EdiError, Problem
from lotline.edi.outbound import ship_notice_from_events
from lotline.edi.receiving import receiving_events
from lotline.edi.shipnotice import Container, Item, Party, ShipNotice
from lotline.edi.x12_write import ControlNumbers, Envelope

__all__ = [
    "Container",
    "ControlNumbers",
    "EdiError",
    "Envelope",
    "Item",
    "NoticeOutcome",
    "Party",
    "Problem",
    "ShipNotice",
    "acknowledgment",
    "capture_ship_notices",
    "describe",
    "detect",
    "receiving_events",
    "ship_notice_from_events",
    "ship_notices",
]
