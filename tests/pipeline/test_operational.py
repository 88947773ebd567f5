"""The runner's batch step with operational events: stored with the EPCIS events, once, with provenance;
a message that fails keeps none of its events."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lotline.connectors import Message
from lotline.mapping import load_mapping
from lotline.pipeline.batch import process_batch
from lotline.store.events import count_events
from lotline.store.inbox import admit
from lotline.store.operational import OperationalQuery, list_operational
from lotline.store.schema import events
from tests.config.payloads import confirmation
from tests.store.test_provenance import envelope


def test_stored_once_with_provenance_even_when_a_batch_is_processed_again(engine: sa.Engine) -> None:
    message = Message("mes-line1", "c/1", confirmation(1), headers={"plant": "plant-a"}, received_at=7)
    items = admit(engine, [message]).new
    mapper = load_mapping("template:mes-production-confirmation", plant="plant-a")
    first = process_batch(engine, items, mapper)
    assert (first.stored, first.duplicates, first.dead) == ({"mes-line1": 2}, {}, [])
    again = process_batch(engine, items, mapper)  # as after a crash before the inbox rows were settled
    assert (again.stored, again.duplicates) == ({}, {"mes-line1": 2})
    [(_, _, operational)] = list_operational(engine, OperationalQuery())
    assert operational["correlationid"] == "MO-1" and operational["plant"] == "plant-a"
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                events.c.source,
                events.c.source_message_id,
                events.c.plant,
                events.c.received_time,
                events.c.mapping,
                events.c.correlation_id,
            )
        ).one()
    assert tuple(row) == ("mes-line1", "c/1", "plant-a", 7, "mes-production-confirmation@1", "MO-1")


def test_a_failing_message_keeps_none_of_its_events(engine: sa.Engine) -> None:
    def mapper(_: Message) -> list[dict[str, Any]]:
        return [envelope(1), {"type": "ObjectEvent", "action": "OBSERVE"}]  # the EPCIS event is invalid

    items = admit(engine, [Message("line-1", "m/1", b"{}")]).new
    outcome = process_batch(engine, items, mapper)
    [letter] = outcome.dead
    assert letter.stage == "validate" and letter.error.startswith("event 1: ")
    assert count_events(engine) == 0 and list_operational(engine, OperationalQuery()) == []


def test_an_invalid_envelope_is_a_validate_failure(engine: sa.Engine) -> None:
    def mapper(_: Message) -> list[dict[str, Any]]:
        return [{"specversion": "1.0", "id": "", "source": "x", "type": "t"}]

    items = admit(engine, [Message("line-1", "m/2", b"{}")]).new
    [letter] = process_batch(engine, items, mapper).dead
    assert letter.stage == "validate" and "invalid CloudEvents envelope" in letter.error
