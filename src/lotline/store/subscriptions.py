"""Named EPCIS queries, their subscriptions and the windows each subscription is cut into.

A window is a range of event row ids `(from_event, to_event]`: the outbound dispatcher cuts a subscription's
next window in the same transaction as it advances the subscription's `last_event`, so consecutive windows
neither overlap nor leave a gap, and each window is delivered once (its delivery id is
`sub:<subscription>:<seq>`). Row ids, not record times, bound a window: a record time is taken before the
capture transaction commits, so a slow commit could land behind a window already cut by record time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from lotline.connectors.base import now_us
from lotline.epcis.timefmt import format_time
from lotline.errors import NotFound, StateConflict
from lotline.store.engine import writer
from lotline.store.schema import epcis_queries, epcis_subscriptions, outbound_requests, subscription_windows

__all__ = [
    "NamedQuery",
    "Subscription",
    "Window",
    "create_query",
    "create_subscription",
    "delete_query",
    "delete_subscription",
    "finish_window",
    "get_query",
    "get_subscription",
    "get_window",
    "list_queries",
    "list_subscriptions",
    "pending_windows",
]

PENDING, DONE, EMPTY, DEAD = "pending", "done", "empty", "dead"


@dataclass(frozen=True, slots=True)
class NamedQuery:
    name: str
    query: dict[str, list[str]]
    owner: str | None
    created_at: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "query": self.query}


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    query_name: str
    dest: str
    signature_token: str | None
    stream: bool
    schedule: dict[str, str] | None
    report_if_empty: bool
    initial_record_time: int
    epc_format: str
    owner: str | None
    created_at: int
    last_notified_at: int | None
    last_event: int
    last_fire: int | None
    next_window: int

    def to_json(self) -> dict[str, Any]:
        """As the REST binding shows it: never the signature token."""
        doc: dict[str, Any] = {
            "subscriptionID": self.id,
            "queryName": self.query_name,
            "dest": self.dest,
            "createdAt": format_time(self.created_at),
            "initialRecordTime": format_time(self.initial_record_time),
            "epcFormat": self.epc_format,
        }
        if self.stream:
            doc["stream"] = True
        else:
            doc["schedule"] = self.schedule
            doc["reportIfEmpty"] = self.report_if_empty
        if self.last_notified_at is not None:
            doc["lastNotifiedAt"] = format_time(self.last_notified_at)
        if self.last_fire is not None:
            doc["minRecordTime"] = format_time(self.last_fire)
        return doc


@dataclass(frozen=True, slots=True)
class Window:
    subscription: str
    seq: int
    from_event: int
    to_event: int
    fire_time: int
    state: str

    @property
    def key(self) -> str:
        """The delivery's idempotency key and workflow id."""
        return f"sub:{self.subscription}:{self.seq}"


# --- queries -------------------------------------------------------------------------------------------------


def create_query(
    engine: Engine, name: str, query: Mapping[str, Sequence[str]], owner: str | None
) -> NamedQuery:
    named = NamedQuery(name, {k: list(v) for k, v in query.items()}, owner, now_us())
    with writer(engine).begin() as conn:
        if conn.execute(sa.select(epcis_queries.c.name).where(epcis_queries.c.name == name)).first():
            raise StateConflict(f"a query named {name!r} exists already; choose another name or delete it")
        conn.execute(
            epcis_queries.insert().values(
                name=name, query=orjson.dumps(named.query).decode(), owner=owner, created_at=named.created_at
            )
        )
    return named


def get_query(engine: Engine, name: str) -> NamedQuery:
    with engine.connect() as conn:
        return _get_query(conn, name)


def _get_query(conn: Connection, name: str) -> NamedQuery:
    row = conn.execute(sa.select(epcis_queries).where(epcis_queries.c.name == name)).first()
    if row is None:
        raise NotFound(f"there is no query named {name!r} (see GET /epcis/queries)")
    return NamedQuery(row.name, orjson.loads(row.query), row.owner, int(row.created_at))


def list_queries(engine: Engine, *, after: str | None = None, limit: int = 100) -> list[NamedQuery]:
    stmt = sa.select(epcis_queries).order_by(epcis_queries.c.name).limit(limit)
    if after is not None:
        stmt = stmt.where(epcis_queries.c.name > after)
    with engine.connect() as conn:
        return [
            NamedQuery(r.name, orjson.loads(r.query), r.owner, int(r.created_at)) for r in conn.execute(stmt)
        ]


def delete_query(engine: Engine, name: str) -> list[str]:
    """Delete a query and (forcibly) all its subscriptions; returns the subscription ids removed."""
    with writer(engine).begin() as conn:
        _get_query(conn, name)
        ids = list(
            conn.execute(
                sa.select(epcis_subscriptions.c.id).where(epcis_subscriptions.c.query_name == name)
            ).scalars()
        )
        for sub_id in ids:
            _delete_subscription_on(conn, sub_id)
        conn.execute(epcis_queries.delete().where(epcis_queries.c.name == name))
    return ids


# --- subscriptions -------------------------------------------------------------------------------------------


def create_subscription(
    engine: Engine,
    query_name: str,
    *,
    dest: str,
    signature_token: str | None,
    stream: bool,
    schedule: Mapping[str, str] | None,
    report_if_empty: bool,
    initial_record_time: int | None,
    epc_format: str,
    owner: str | None,
) -> Subscription:
    now = now_us()
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "query_name": query_name,
        "dest": dest,
        "signature_token": signature_token,
        "stream": stream,
        "schedule": orjson.dumps(dict(schedule)).decode() if schedule is not None else None,
        "report_if_empty": report_if_empty,
        "initial_record_time": initial_record_time if initial_record_time is not None else now,
        "epc_format": epc_format,
        "owner": owner,
        "created_at": now,
        "last_notified_at": None,
        "last_event": 0,  # windows start at the first event; initialRecordTime filters the first ones
        "last_fire": None,
        "next_window": 1,
    }
    with writer(engine).begin() as conn:
        _get_query(conn, query_name)
        conn.execute(epcis_subscriptions.insert().values(**values))
        return _get_subscription(conn, values["id"])


def get_subscription(engine: Engine, subscription_id: str, query_name: str | None = None) -> Subscription:
    with engine.connect() as conn:
        sub = _get_subscription(conn, subscription_id)
    if query_name is not None and sub.query_name != query_name:
        raise NotFound(f"query {query_name!r} has no subscription {subscription_id!r}")
    return sub


def _get_subscription(conn: Connection, subscription_id: str) -> Subscription:
    row = conn.execute(
        sa.select(epcis_subscriptions).where(epcis_subscriptions.c.id == subscription_id)
    ).first()
    if row is None:
        raise NotFound(f"there is no subscription {subscription_id!r}")
    return _subscription(row)


def list_subscriptions(engine: Engine, query_name: str | None = None) -> list[Subscription]:
    stmt = sa.select(epcis_subscriptions).order_by(epcis_subscriptions.c.created_at, epcis_subscriptions.c.id)
    if query_name is not None:
        stmt = stmt.where(epcis_subscriptions.c.query_name == query_name)
    with engine.connect() as conn:
        return [_subscription(row) for row in conn.execute(stmt)]


def delete_subscription(engine: Engine, subscription_id: str) -> None:
    with writer(engine).begin() as conn:
        _get_subscription(conn, subscription_id)
        _delete_subscription_on(conn, subscription_id)


def _delete_subscription_on(conn: Connection, subscription_id: str) -> None:
    # Windows not yet delivered are dropped with the subscription; a delivery in flight finds it gone.
    conn.execute(
        subscription_windows.delete().where(
            subscription_windows.c.subscription == subscription_id, subscription_windows.c.state == PENDING
        )
    )
    conn.execute(epcis_subscriptions.delete().where(epcis_subscriptions.c.id == subscription_id))


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        query_name=row.query_name,
        dest=row.dest,
        signature_token=row.signature_token,
        stream=bool(row.stream),
        schedule=orjson.loads(row.schedule) if row.schedule else None,
        report_if_empty=bool(row.report_if_empty),
        initial_record_time=int(row.initial_record_time),
        epc_format=row.epc_format,
        owner=row.owner,
        created_at=int(row.created_at),
        last_notified_at=row.last_notified_at,
        last_event=int(row.last_event),
        last_fire=row.last_fire,
        next_window=int(row.next_window),
    )


# --- windows -------------------------------------------------------------------------------------------------


def cut_window_on(conn: Connection, sub: Subscription, to_event: int, fire_time: int) -> Window:
    """Cut the subscription's next window `(last_event, to_event]` inside the caller's transaction."""
    window = Window(sub.id, sub.next_window, sub.last_event, to_event, fire_time, PENDING)
    conn.execute(
        subscription_windows.insert().values(
            subscription=sub.id,
            seq=window.seq,
            from_event=window.from_event,
            to_event=to_event,
            fire_time=fire_time,
            state=PENDING,
            created_at=now_us(),
        )
    )
    values: dict[str, Any] = {"last_event": to_event, "next_window": sub.next_window + 1}
    if not sub.stream:
        values["last_fire"] = fire_time
    conn.execute(epcis_subscriptions.update().where(epcis_subscriptions.c.id == sub.id).values(**values))
    return window


def advance_on(conn: Connection, sub: Subscription, to_event: int) -> None:
    """Move a stream subscription past events none of which match (no window needed)."""
    conn.execute(
        epcis_subscriptions.update().where(epcis_subscriptions.c.id == sub.id).values(last_event=to_event)
    )


def subscriptions_on(conn: Connection) -> list[Subscription]:
    return [_subscription(row) for row in conn.execute(sa.select(epcis_subscriptions))]


def pending_windows(engine: Engine) -> list[Window]:
    stmt = (
        sa.select(subscription_windows)
        .where(subscription_windows.c.state == PENDING)
        .order_by(subscription_windows.c.subscription, subscription_windows.c.seq)
    )
    with engine.connect() as conn:
        return [_window(row) for row in conn.execute(stmt)]


def get_window(engine: Engine, subscription_id: str, seq: int) -> Window | None:
    stmt = sa.select(subscription_windows).where(
        subscription_windows.c.subscription == subscription_id, subscription_windows.c.seq == seq
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return _window(row) if row is not None else None


def list_windows(engine: Engine, subscription_id: str) -> list[Window]:
    stmt = (
        sa.select(subscription_windows)
        .where(subscription_windows.c.subscription == subscription_id)
        .order_by(subscription_windows.c.seq)
    )
    with engine.connect() as conn:
        return [_window(row) for row in conn.execute(stmt)]


def finish_window(engine: Engine, window: Window, state: str, events: int, *, notified: bool) -> None:
    """Record how a window ended (idempotent: a repeated call changes nothing more)."""
    with writer(engine).begin() as conn:
        finish_window_on(conn, window, state, events, notified=notified)


def finish_window_on(conn: Connection, window: Window, state: str, events: int, *, notified: bool) -> None:
    """`finish_window` in the caller's transaction (a dead window is recorded with its dead letter)."""
    now = now_us()
    conn.execute(
        subscription_windows.update()
        .where(
            subscription_windows.c.subscription == window.subscription,
            subscription_windows.c.seq == window.seq,
        )
        .values(state=state, events=events, finished_at=now)
    )
    if notified:
        conn.execute(
            epcis_subscriptions.update()
            .where(epcis_subscriptions.c.id == window.subscription)
            .values(last_notified_at=now)
        )


def reopen_window_on(conn: Connection, subscription_id: str, seq: int) -> None:
    conn.execute(
        subscription_windows.update()
        .where(subscription_windows.c.subscription == subscription_id, subscription_windows.c.seq == seq)
        .values(state=PENDING, finished_at=None)
    )


def _window(row: Any) -> Window:
    return Window(
        row.subscription, int(row.seq), int(row.from_event), int(row.to_event), int(row.fire_time), row.state
    )


# --- requests to the outbound dispatcher ---------------------------------------------------------------------


def request_replay_on(conn: Connection, letter_id: int) -> None:
    """Ask the outbound dispatcher to deliver a dead-lettered delivery again (inside the DLQ transaction)."""
    conn.execute(outbound_requests.insert().values(kind="replay", letter=letter_id, created_at=now_us()))


def open_requests(engine: Engine, limit: int = 100) -> list[tuple[int, str, int]]:
    stmt = (
        sa.select(outbound_requests.c.id, outbound_requests.c.kind, outbound_requests.c.letter)
        .where(outbound_requests.c.taken_at.is_(None))
        .order_by(outbound_requests.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [(int(r[0]), r[1], int(r[2])) for r in conn.execute(stmt)]


def take_request(engine: Engine, request_id: int) -> None:
    with writer(engine).begin() as conn:
        conn.execute(
            outbound_requests.update().where(outbound_requests.c.id == request_id).values(taken_at=now_us())
        )
