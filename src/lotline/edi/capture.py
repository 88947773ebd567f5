"""Storing the receiving events of inbound ship notices through the normal capture path.

    outcome = capture_ship_notices(engine, notices, source="edi:acme", message_id="asn-0042.edi")

Each notice's events are captured as one document (all or nothing: a notice is received whole), with
provenance interface "edi" and the notice's partner, interchange and set as the source message id.
Re-importing the same document stores nothing new: the events hash the same and count as duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from lotline.edi.receiving import receiving_events
from lotline.edi.shipnotice import ShipNotice
from lotline.pipeline.capture import ROLLBACK, CaptureOutcome, DocumentParts, capture_parts
from lotline.store.events import Provenance

__all__ = ["NoticeOutcome", "capture_ship_notices"]


@dataclass(slots=True)
class NoticeOutcome:
    notice: ShipNotice
    outcome: CaptureOutcome
    warnings: list[str] = field(default_factory=list)


def capture_ship_notices(
    engine: Engine, notices: Sequence[ShipNotice], *, message_id: str = "", offset: str = "+00:00"
) -> list[NoticeOutcome]:
    results = []
    for notice in notices:
        events = receiving_events(notice, offset)
        source_id = f"{message_id}#{notice.sender}/{notice.interchange_control}/{notice.control}"
        provenance = Provenance("edi", source_message_id=source_id)
        outcome = capture_parts(engine, DocumentParts(list(events), {}, []), provenance, ROLLBACK)
        results.append(NoticeOutcome(notice, outcome, list(notice.warnings)))
    return results
