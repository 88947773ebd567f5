"""The dead-letter store: messages the pipeline could not take, kept whole so they can be replayed.

A dead letter is open until it is replayed (its message goes back to the inbox as pending, and the
runner takes it up with the current mapping) or discarded (with a reason). Both are audited in the same
transaction. The UI, the CLI (`lotline dlq`) and the API (`/api/v1/dlq`) all call the functions here.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, select, update

from lotline.connectors.base import Message, now_us
from lotline.connectors.wrappers.deadletter import DeadLetter
from lotline.epcis.timefmt import format_time
from lotline.errors import NotFound, StateConflict
from lotline.store.audit import record_on
from lotline.store.engine import writer
from lotline.store.inbox import requeue_on
from lotline.store.schema import dead_letters

# Stages whose input came from a source through the inbox, so a replay can put it back there.
INBOUND_STAGES = frozenset({"map", "validate", "store"})
# Outbound deliveries (lotline.outbound): a replay asks the dispatcher to start the delivery again.
OUTBOUND_STAGES = frozenset({"deliver"})


class LetterState(StrEnum):
    OPEN = "open"
    REPLAYED = "replayed"
    DISCARDED = "discarded"


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    id: int
    source: str
    message_id: str
    payload: bytes
    topic: str
    headers: dict[str, str]
    stage: str
    error: str
    attempts: int
    created_at: int
    replayed_at: int | None
    discarded_at: int | None
    discard_reason: str | None

    @property
    def state(self) -> LetterState:
        if self.discarded_at is not None:
            return LetterState.DISCARDED
        if self.replayed_at is not None:
            return LetterState.REPLAYED
        return LetterState.OPEN

    def message(self) -> Message:
        return Message(self.source, self.message_id, self.payload, self.topic, self.headers)

    def to_json(self, *, payload: bool) -> dict[str, Any]:
        """As the CLI and the API show it; the payload as text when it is UTF-8, else base64."""
        doc: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "messageId": self.message_id,
            "topic": self.topic,
            "stage": self.stage,
            "error": self.error,
            "attempts": self.attempts,
            "state": self.state.value,
            "createdAt": _time(self.created_at),
            "replayedAt": _time(self.replayed_at),
            "discardedAt": _time(self.discarded_at),
            "discardReason": self.discard_reason,
        }
        if payload:
            doc["headers"] = self.headers
            try:
                doc.update(payload=self.payload.decode("utf-8"), payloadEncoding="utf-8")
            except UnicodeDecodeError:
                doc.update(payload=base64.b64encode(self.payload).decode(), payloadEncoding="base64")
        return doc


def park_on(conn: Connection, letters: Sequence[DeadLetter], now: int | None = None) -> None:
    """Insert dead letters inside the caller's transaction (the runner's, with the inbox update)."""
    if not letters:
        return
    at = now or now_us()
    conn.execute(
        dead_letters.insert(),
        [
            {
                "source": letter.source,
                "message_id": letter.message_id,
                "payload": letter.payload,
                "topic": letter.topic,
                "headers": orjson.dumps(dict(letter.headers)).decode(),
                "stage": letter.stage,
                "error": letter.error,
                "attempts": letter.attempts,
                "created_at": at,
            }
            for letter in letters
        ],
    )


def park(engine: Engine, letters: Sequence[DeadLetter]) -> None:
    with writer(engine).begin() as conn:
        park_on(conn, letters)


def list_letters(
    engine: Engine,
    *,
    source: str | None = None,
    stage: str | None = None,
    state: LetterState | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[DeadLetterRecord]:
    """Newest first; page with `before_id` (the smallest id of the previous page)."""
    stmt = select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit)
    if source is not None:
        stmt = stmt.where(dead_letters.c.source == source)
    if stage is not None:
        stmt = stmt.where(dead_letters.c.stage == stage)
    if before_id is not None:
        stmt = stmt.where(dead_letters.c.id < before_id)
    if state is LetterState.OPEN:
        stmt = stmt.where(dead_letters.c.replayed_at.is_(None), dead_letters.c.discarded_at.is_(None))
    elif state is LetterState.REPLAYED:
        stmt = stmt.where(dead_letters.c.replayed_at.is_not(None))
    elif state is LetterState.DISCARDED:
        stmt = stmt.where(dead_letters.c.discarded_at.is_not(None))
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(stmt)]


def get_letter(engine: Engine, letter_id: int) -> DeadLetterRecord:
    with engine.connect() as conn:
        return _get(conn, letter_id)


def count_open(engine: Engine) -> dict[str, int]:
    """Open dead letters per source (for the control tower and the counters)."""
    stmt = (
        select(dead_letters.c.source, func.count())
        .where(dead_letters.c.replayed_at.is_(None), dead_letters.c.discarded_at.is_(None))
        .group_by(dead_letters.c.source)
    )
    with engine.connect() as conn:
        return {source: int(n) for source, n in conn.execute(stmt)}


def replay(engine: Engine, letter_ids: Sequence[int], actor: str) -> list[DeadLetterRecord]:
    """Send open dead letters back to the inbox as pending; the runner processes them with the mapping in
    force now. All or nothing: one letter that cannot be replayed (unknown, not open, outbound) fails the
    call and nothing changes."""
    now = now_us()
    with writer(engine).begin() as conn:
        letters = [_get(conn, letter_id) for letter_id in dict.fromkeys(letter_ids)]
        for letter in letters:
            _must_be_open(letter, "replay")
            if letter.stage not in INBOUND_STAGES | OUTBOUND_STAGES:
                raise StateConflict(
                    f"dead letter {letter.id} failed at stage {letter.stage!r}; only inbound messages "
                    f"(stages {', '.join(sorted(INBOUND_STAGES))}) and outbound deliveries (stage "
                    "deliver) can be replayed"
                )
        for letter in letters:
            if letter.stage in OUTBOUND_STAGES:
                from lotline.store.subscriptions import request_replay_on

                request_replay_on(conn, letter.id)
            else:
                requeue_on(conn, letter.message())
            conn.execute(update(dead_letters).where(dead_letters.c.id == letter.id).values(replayed_at=now))
            record_on(conn, actor, "dlq.replay", f"dead_letter:{letter.id}", _detail(letter))
    return [_with(letter, replayed_at=now) for letter in letters]


def discard(engine: Engine, letter_ids: Sequence[int], actor: str, reason: str) -> list[DeadLetterRecord]:
    """Close open dead letters for good, saying why. All or nothing, like `replay`."""
    if not reason.strip():
        raise ValueError("a discard needs a reason (it is kept in the audit log)")
    now = now_us()
    with writer(engine).begin() as conn:
        letters = [_get(conn, letter_id) for letter_id in dict.fromkeys(letter_ids)]
        for letter in letters:
            _must_be_open(letter, "discard")
        for letter in letters:
            conn.execute(
                update(dead_letters)
                .where(dead_letters.c.id == letter.id)
                .values(discarded_at=now, discard_reason=reason)
            )
            record_on(
                conn, actor, "dlq.discard", f"dead_letter:{letter.id}", {**_detail(letter), "reason": reason}
            )
    return [_with(letter, discarded_at=now, discard_reason=reason) for letter in letters]


def _time(value: int | None) -> str | None:
    return format_time(value) if value is not None else None


def _must_be_open(letter: DeadLetterRecord, verb: str) -> None:
    if letter.state is not LetterState.OPEN:
        raise StateConflict(
            f"dead letter {letter.id} is {letter.state.value}; only open letters can be {verb}ed"
        )


def _detail(letter: DeadLetterRecord) -> dict[str, object]:
    return {"source": letter.source, "message_id": letter.message_id, "stage": letter.stage}


def _get(conn: Connection, letter_id: int) -> DeadLetterRecord:
    row = conn.execute(select(dead_letters).where(dead_letters.c.id == letter_id)).first()
    if row is None:
        raise NotFound(f"no dead letter with id {letter_id} (see `lotline dlq list`)")
    return _record(row)


def _record(row: object) -> DeadLetterRecord:
    r = row._mapping  # type: ignore[attr-defined]
    return DeadLetterRecord(
        id=int(r["id"]),
        source=r["source"],
        message_id=r["message_id"],
        payload=bytes(r["payload"]),
        topic=r["topic"],
        headers=orjson.loads(r["headers"]),
        stage=r["stage"],
        error=r["error"],
        attempts=int(r["attempts"]),
        created_at=int(r["created_at"]),
        replayed_at=r["replayed_at"],
        discarded_at=r["discarded_at"],
        discard_reason=r["discard_reason"],
    )


def _with(letter: DeadLetterRecord, **changes: object) -> DeadLetterRecord:
    return replace(letter, **changes)  # type: ignore[arg-type]
