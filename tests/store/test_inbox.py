"""The inbox: written once per (source, message_id), a redelivery is recognised, settled rows leave the queue."""

from __future__ import annotations

import sqlalchemy as sa

from lotline.connectors import Message
from lotline.store.engine import writer
from lotline.store.inbox import admit, counts, pending, requeue_on, settle_on


def msg(i: int, source: str = "line-1") -> Message:
    return Message(source, f"m{i}", f'{{"n":{i}}}'.encode(), topic="t/1", headers={"h": "v"})


def test_new_messages_are_written_once_and_redeliveries_recognised(engine: sa.Engine) -> None:
    first = admit(engine, [msg(1), msg(2), msg(2)])
    assert [i.message.message_id for i in first.new] == ["m1", "m2"]
    assert [m.message_id for m in first.queued] == ["m2"]  # twice in one batch
    again = admit(engine, [msg(1), msg(3)])
    assert [i.message.message_id for i in again.new] == ["m3"]
    assert [m.message_id for m in again.queued] == ["m1"]  # pending: the backlog has it
    with writer(engine).begin() as conn:
        settle_on(conn, done=[first.new[0].id], dead=[first.new[1].id])
    third = admit(engine, [msg(1), msg(2)])
    assert third.new == [] and [m.message_id for m in third.redelivered] == ["m1", "m2"]
    assert counts(engine) == {"pending": 1, "done": 1, "dead": 1}


def test_the_same_message_id_from_two_sources_is_two_messages(engine: sa.Engine) -> None:
    admitted = admit(engine, [msg(1, "a"), msg(1, "b")])
    assert len(admitted.new) == 2


def test_pending_rows_come_back_whole_in_order(engine: sa.Engine) -> None:
    admit(engine, [msg(i) for i in range(5)])
    items = pending(engine, limit=3)
    assert [i.message.message_id for i in items] == ["m0", "m1", "m2"]
    assert items[0].message.payload == b'{"n":0}' and items[0].message.headers == {"h": "v"}
    assert items[0].message.topic == "t/1" and items[0].attempts == 0
    rest = pending(engine, after_id=items[-1].id)
    assert [i.message.message_id for i in rest] == ["m3", "m4"]


def test_settling_counts_attempts_and_requeue_reopens(engine: sa.Engine) -> None:
    [item] = admit(engine, [msg(1)]).new
    with writer(engine).begin() as conn:
        settle_on(conn, done=[], dead=[item.id])
    assert pending(engine) == []
    with writer(engine).begin() as conn:
        requeue_on(conn, item.message)
        requeue_on(conn, Message("other", "gone", b"x"))  # its row is gone: created
    back = pending(engine)
    assert [(i.message.message_id, i.attempts) for i in back] == [("m1", 1), ("gone", 0)]
