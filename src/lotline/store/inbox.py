"""The durable inbox: a message is written here before its source is acknowledged.

Once a message is in the inbox lotline owns it: a crash after the ack loses nothing, because unfinished
rows are processed on restart. The unique (source, message_id) makes the inbox the idempotent consumer:
a redelivered message finds its row and is not processed twice.

States: pending (acknowledged, not yet through the pipeline) -> done (stored or duplicate) or
dead (parked in dead_letters; a replay sets it back to pending).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, select, update

from lotline.connectors.base import Message
from lotline.store.engine import writer
from lotline.store.schema import INBOX_DEAD, INBOX_DONE, INBOX_PENDING, inbox

_CHUNK = 500  # bound on IN (...) lists


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A message with its inbox row id and how many times the pipeline has taken it up before."""

    id: int
    message: Message
    attempts: int = 0


@dataclass(slots=True)
class Admitted:
    """What `admit` did with a batch of messages from sources."""

    new: list[InboxItem] = field(default_factory=list)  # written now: process them
    redelivered: list[Message] = field(default_factory=list)  # already done or dead: a duplicate delivery
    queued: list[Message] = field(default_factory=list)  # already pending: the backlog will process it


def admit(engine: Engine, messages: Sequence[Message]) -> Admitted:
    """Write the new messages in one transaction; after it returns, every message may be acknowledged."""
    with writer(engine).begin() as conn:
        return admit_on(conn, messages)


def admit_on(conn: Connection, messages: Sequence[Message]) -> Admitted:
    result = Admitted()
    known = _states(conn, [(m.source, m.message_id) for m in messages])
    fresh: dict[tuple[str, str], Message] = {}
    for message in messages:
        key = (message.source, message.message_id)
        state = known.get(key)
        if state in (INBOX_DONE, INBOX_DEAD):
            result.redelivered.append(message)
        elif state == INBOX_PENDING or key in fresh:
            result.queued.append(message)
        else:
            fresh[key] = message
    if fresh:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(
            "INSERT INTO inbox (source, message_id, payload, topic, headers, received_at, state, attempts) "
            f"VALUES ({', '.join([mark] * 8)}) ON CONFLICT (source, message_id) DO NOTHING",
            [
                (m.source, m.message_id, m.payload, m.topic, _headers(m), m.received_at, INBOX_PENDING, 0)
                for m in fresh.values()
            ],
        )
        ids = _ids(conn, list(fresh))
        result.new = [InboxItem(ids[key], message) for key, message in fresh.items() if key in ids]
    return result


def pending(engine: Engine, after_id: int = 0, limit: int = 500) -> list[InboxItem]:
    """Unfinished rows after `after_id`, oldest first: the crash-recovery and replay work queue."""
    stmt = (
        select(inbox)
        .where(inbox.c.state == INBOX_PENDING, inbox.c.id > after_id)
        .order_by(inbox.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        InboxItem(
            r.id,
            Message(
                r.source, r.message_id, bytes(r.payload), r.topic, orjson.loads(r.headers), r.received_at
            ),
            r.attempts,
        )
        for r in rows
    ]


def settle_on(conn: Connection, done: Iterable[int], dead: Iterable[int]) -> None:
    """Mark rows done or dead and count the attempt, inside the caller's transaction."""
    for state, ids in ((INBOX_DONE, list(done)), (INBOX_DEAD, list(dead))):
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            conn.execute(
                update(inbox).where(inbox.c.id.in_(chunk)).values(state=state, attempts=inbox.c.attempts + 1)
            )


def requeue_on(conn: Connection, message: Message) -> None:
    """Put a message back into the work queue (a dead-letter replay), creating its row if it is gone."""
    done = conn.execute(
        update(inbox)
        .where(inbox.c.source == message.source, inbox.c.message_id == message.message_id)
        .values(state=INBOX_PENDING, payload=message.payload)
    )
    if done.rowcount == 0:
        conn.execute(
            inbox.insert().values(
                source=message.source,
                message_id=message.message_id,
                payload=message.payload,
                topic=message.topic,
                headers=_headers(message),
                received_at=message.received_at,
                state=INBOX_PENDING,
                attempts=0,
            )
        )


def counts(engine: Engine) -> dict[str, int]:
    """Rows per state (pending is the backlog)."""
    with engine.connect() as conn:
        rows = conn.execute(select(inbox.c.state, func.count()).group_by(inbox.c.state)).all()
    found = {INBOX_PENDING: 0, INBOX_DONE: 0, INBOX_DEAD: 0}
    found.update({state: int(n) for state, n in rows})
    return found


def _headers(message: Message) -> str:
    return orjson.dumps(dict(message.headers)).decode()


def _states(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    return {key: str(state) for key, state in _lookup(conn, keys, inbox.c.state).items()}


def _ids(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    return {key: int(pk) for key, pk in _lookup(conn, keys, inbox.c.id).items()}


def _lookup(conn: Connection, keys: Sequence[tuple[str, str]], column: Any) -> dict[tuple[str, str], Any]:
    """`column` of the rows with these (source, message_id) keys, one IN list per source and chunk."""
    found: dict[tuple[str, str], Any] = {}
    by_source: dict[str, list[str]] = {}
    for source, message_id in keys:
        by_source.setdefault(source, []).append(message_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), _CHUNK):
            stmt = select(inbox.c.message_id, column).where(
                inbox.c.source == source, inbox.c.message_id.in_(ids[start : start + _CHUNK])
            )
            found.update(((source, mid), value) for mid, value in conn.execute(stmt))
    return found
