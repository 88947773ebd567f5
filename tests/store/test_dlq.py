"""The dead-letter store: park whole messages, list with filters, replay and discard (audited)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lotline.connectors import Message
from lotline.connectors.wrappers import DeadLetter
from lotline.errors import NotFound, StateConflict
from lotline.store.audit import entries
from lotline.store.dlq import LetterState, count_open, discard, get_letter, list_letters, park, replay
from lotline.store.inbox import admit, pending


def letter(i: int, stage: str = "map", source: str = "line-1") -> DeadLetter:
    message = Message(source, f"m{i}", bytes([0, 255, i]), topic="t", headers={"k": "v"})
    return DeadLetter.inbound(message, stage, f"KeyError: 'lot' ({i})", attempts=2)


def test_a_dead_letter_keeps_the_original_message(engine: sa.Engine) -> None:
    park(engine, [letter(1)])
    [record] = list_letters(engine)
    again = get_letter(engine, record.id)
    assert again == record
    assert (record.payload, record.topic, record.headers) == (bytes([0, 255, 1]), "t", {"k": "v"})
    assert (record.stage, record.attempts, record.state) == ("map", 2, LetterState.OPEN)
    with pytest.raises(NotFound):
        get_letter(engine, record.id + 100)


def test_list_filters_and_pages(engine: sa.Engine) -> None:
    park(engine, [letter(1), letter(2, "validate"), letter(3, source="line-2")])
    assert [r.message_id for r in list_letters(engine)] == ["m3", "m2", "m1"]
    assert [r.message_id for r in list_letters(engine, stage="validate")] == ["m2"]
    assert [r.message_id for r in list_letters(engine, source="line-2")] == ["m3"]
    page = list_letters(engine, limit=2)
    assert [r.message_id for r in list_letters(engine, before_id=page[-1].id)] == ["m1"]
    assert count_open(engine) == {"line-1": 2, "line-2": 1}


def test_replay_puts_the_message_back_in_the_inbox_and_is_audited(engine: sa.Engine) -> None:
    [item] = admit(engine, [Message("line-1", "m1", b"old")]).new
    park(engine, [letter(1)])
    [record] = list_letters(engine)
    [replayed] = replay(engine, [record.id], actor="alice")
    assert replayed.state is LetterState.REPLAYED
    assert list_letters(engine, state=LetterState.REPLAYED)[0].id == record.id
    assert list_letters(engine, state=LetterState.OPEN) == []
    [queued] = pending(engine)
    assert queued.id == item.id and queued.message.payload == bytes([0, 255, 1])
    [audit] = entries(engine, action="dlq.replay")
    assert (audit.actor, audit.target) == ("alice", f"dead_letter:{record.id}")
    with pytest.raises(StateConflict):
        replay(engine, [record.id], actor="alice")


def test_discard_needs_a_reason_is_audited_and_is_final(engine: sa.Engine) -> None:
    park(engine, [letter(1), letter(2)])
    ids = [r.id for r in list_letters(engine)]
    with pytest.raises(ValueError):
        discard(engine, ids, actor="bob", reason=" ")
    discard(engine, ids, actor="bob", reason="test messages from commissioning")
    assert {r.state for r in list_letters(engine)} == {LetterState.DISCARDED}
    audits = entries(engine, action="dlq.discard")
    assert len(audits) == 2 and audits[0].detail["reason"] == "test messages from commissioning"
    with pytest.raises(StateConflict):
        replay(engine, ids[:1], actor="bob")


def test_replay_is_all_or_nothing(engine: sa.Engine) -> None:
    park(engine, [letter(1), letter(2, stage="send")])
    ids = [r.id for r in list_letters(engine)]
    with pytest.raises(StateConflict, match="only inbound"):
        replay(engine, ids, actor="carol")
    assert {r.state for r in list_letters(engine)} == {LetterState.OPEN}
    assert pending(engine) == [] and entries(engine) == []
