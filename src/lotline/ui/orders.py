"""Searching the explorer by a business transaction (purchase order, despatch advice, bill of lading,
production order): the identifiers its events name, each a trace away."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from sqlalchemy import Engine, or_, select

from lotline.epcis.identifiers import identity_key
from lotline.errors import IdentifierError
from lotline.pipeline.prepare import identifiers_of
from lotline.store import schema as s
from lotline.store.schema import event_refs, events

MAX_EVENTS = 200


@dataclass
class Order:
    value: str  # as captured
    types: set[str] = field(default_factory=set)
    events: list[tuple[str, str, str | None]] = field(default_factory=list)  # (eventID, eventTime, bizStep)
    identifiers: dict[str, str] = field(default_factory=dict)  # as captured -> kind of field


def find_order(engine: Engine, text: str) -> Order | None:
    """The business transaction `text` names: its full URI, or the id after the last `:` or `/`."""
    text = text.strip()
    try:
        key = identity_key(text)
    except IdentifierError:
        key = text
    match = or_(
        event_refs.c.value == key, event_refs.c.value.like(f"%:{text}"), event_refs.c.value.like(f"%/{text}")
    )
    stmt = (
        select(event_refs.c.value, event_refs.c.type, event_refs.c.raw, event_refs.c.event)
        .where(event_refs.c.kind == s.REF_BIZ_TRANSACTION, match)
        .limit(MAX_EVENTS)
    )
    with engine.connect() as conn:
        refs = conn.execute(stmt).all()
        if not refs:
            return None
        pks = sorted({r.event for r in refs})
        rows = conn.execute(
            select(events.c.body).where(events.c.id.in_(pks)).order_by(events.c.event_time)
        ).all()
    order = Order(refs[0].raw or refs[0].value, {r.type for r in refs if r.type})
    for (body,) in rows:
        event = orjson.loads(body)
        order.events.append((event.get("eventID", ""), event.get("eventTime", ""), event.get("bizStep")))
        for role, key_, raw in identifiers_of(event):
            order.identifiers.setdefault(raw or key_, "container" if role == s.ROLE_PARENT else "item")
    return order
