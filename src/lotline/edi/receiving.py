"""Ship notices into EPCIS receiving events, through the `x12-856-receiving` mapping template.

    events = receiving_events(notice)          # [ObjectEvent receiving, AggregationEvent packing, ...]

The mapping runs like any other lotline mapping (golden-tested in tests/mapping/golden/x12-856-*), on
the canonical JSON of `lotline.edi.identify.mapping_input`. Every event is checked with
`lotline.epcis.validation.validate_event` before it is returned; a notice whose events do not validate
raises EdiError naming the event and the issue.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson

from lotline.connectors.base import Message
from lotline.edi.errors import EdiError
from lotline.edi.identify import mapping_input
from lotline.edi.shipnotice import ShipNotice
from lotline.epcis.validation import validate_event
from lotline.mapping import Mapper, load_mapping

__all__ = ["TEMPLATE", "message_of", "receiving_events"]

TEMPLATE = "template:x12-856-receiving"


@functools.cache
def _mapper() -> Mapper:
    return load_mapping(TEMPLATE)


def message_of(notice: ShipNotice, offset: str = "+00:00", source: str = "edi") -> Message:
    """The notice as the message the mapping takes; its id names the partner, interchange and set."""
    message_id = f"{notice.sender}/{notice.interchange_control}/{notice.control}"
    return Message(source, message_id, orjson.dumps(mapping_input(notice, offset)), topic=notice.message)


def receiving_events(
    notice: ShipNotice, offset: str = "+00:00", mapper: Mapper | None = None
) -> list[dict[str, Any]]:
    """The EPCIS events for an inbound ship notice; `mapper` replaces the shipped template."""
    message = message_of(notice, offset)
    chosen = mapper or _mapper()
    if not chosen.matches(message):
        raise EdiError(
            f"ship notice {notice.number}: has no ship, delivery or document date to date the receipt"
        )
    events = chosen(message)
    for index, event in enumerate(events):
        issues = validate_event(event)
        if issues:
            raise EdiError(
                f"ship notice {notice.number}: event {index} ({event.get('type')}) is not valid "
                f"EPCIS: {'; '.join(str(i) for i in issues)}"
            )
    return events
