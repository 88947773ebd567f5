"""The EPCIS 2.0 SimpleEventQuery over the event store: parameters in, one page of events out.

Parameters follow the EPCIS 2.0 REST binding: list values are pipe-delimited (`EQ_bizStep=shipping|receiving`)
or repeated. An unknown parameter is an error (EPCIS 2.0 §8.2.7.1: QueryParameterException), never ignored.
Pages use keyset pagination: the `nextPageToken` carries the position after the last event served and a
fingerprint of the query, so a token cannot be replayed against a different query.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, and_, false, func, or_, select

from lotline.epcis.identifiers import identity_key, idpat_like
from lotline.epcis.timefmt import parse_time
from lotline.epcis.vocab import short_cbv
from lotline.errors import IdentifierError, QueryError
from lotline.store import schema as s
from lotline.store.schema import event_epcs, event_id_in, event_refs, events

EVENT_TYPES = frozenset(
    {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"}
)
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 10_000

_MATCH_ROLES: dict[str, tuple[str, ...]] = {
    "MATCH_epc": (s.ROLE_EPC, s.ROLE_CHILD),
    "MATCH_parentID": (s.ROLE_PARENT,),
    "MATCH_inputEPC": (s.ROLE_INPUT,),
    "MATCH_outputEPC": (s.ROLE_OUTPUT,),
    "MATCH_anyEPC": (s.ROLE_EPC, s.ROLE_CHILD, s.ROLE_PARENT, s.ROLE_INPUT, s.ROLE_OUTPUT),
    "MATCH_epcClass": (s.ROLE_QTY, s.ROLE_CHILD_QTY),
    "MATCH_inputEPCClass": (s.ROLE_INPUT_QTY,),
    "MATCH_outputEPCClass": (s.ROLE_OUTPUT_QTY,),
    "MATCH_anyEPCClass": (s.ROLE_QTY, s.ROLE_CHILD_QTY, s.ROLE_INPUT_QTY, s.ROLE_OUTPUT_QTY),
}
_TIME_PARAMS: dict[str, tuple[Any, Callable[[Any, int], ColumnElement[bool]]]] = {
    "GE_eventTime": (events.c.event_time, lambda c, v: c >= v),
    "LT_eventTime": (events.c.event_time, lambda c, v: c < v),
    "GE_recordTime": (events.c.record_time, lambda c, v: c >= v),
    "LT_recordTime": (events.c.record_time, lambda c, v: c < v),
}
_EQ_COLUMNS: dict[str, tuple[Any, Callable[[str], str]]] = {
    "EQ_bizStep": (events.c.biz_step, lambda v: short_cbv("bizStep", v)),
    "EQ_disposition": (events.c.disposition, lambda v: short_cbv("disposition", v)),
    "EQ_readPoint": (events.c.read_point, identity_key),
    "WD_readPoint": (events.c.read_point, identity_key),
    "EQ_bizLocation": (events.c.biz_location, identity_key),
    "WD_bizLocation": (events.c.biz_location, identity_key),
    "EQ_transformationID": (events.c.transformation_id, str),
}
_REF_PREFIXES = {
    "EQ_bizTransaction_": (s.REF_BIZ_TRANSACTION, "bizTransactionType"),
    "EQ_source_": (s.REF_SOURCE, "sourceDestType"),
    "EQ_destination_": (s.REF_DESTINATION, "sourceDestType"),
}
_CONTROL = frozenset(
    {"orderBy", "orderDirection", "eventCountLimit", "maxEventCount", "perPage", "nextPageToken"}
)
KNOWN_PARAMS = frozenset(
    {
        "eventType",
        "EQ_action",
        "EXISTS_errorDeclaration",
        *_MATCH_ROLES,
        *_TIME_PARAMS,
        *_EQ_COLUMNS,
        "EQ_eventID",
        *_CONTROL,
    }
)


@dataclass
class EventQuery:
    """A parsed, validated query. Build it with `parse_query`."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    order_by: str | None = None  # "eventTime" | "recordTime" | None (capture order)
    descending: bool = True
    event_count_limit: int | None = None
    max_event_count: int | None = None
    per_page: int = DEFAULT_PER_PAGE
    page_token: str | None = None
    fingerprint: str = ""


@dataclass
class Page:
    events: list[dict[str, Any]]
    next_token: str | None


def parse_query(
    params: Mapping[str, Sequence[str]],
    *,
    any_epc: str | None = None,
    default_per_page: int = DEFAULT_PER_PAGE,
) -> EventQuery:
    """Turn query-string parameters (name -> raw values) into an `EventQuery`, or raise `QueryError`.

    `any_epc` (from the path of /epcs/{epc}/events) keeps events naming that identifier in any field, as an
    instance or as a class; it is part of the query's fingerprint like any parameter.
    """
    query = EventQuery(per_page=default_per_page)
    fingerprint_items: list[Any] = [("/epcs", [any_epc])] if any_epc is not None else []
    if any_epc is not None:
        query.conditions.append(match_any_epc(any_epc))
    for name in sorted(params):
        raw = list(params[name])
        if name not in ("perPage", "nextPageToken"):
            fingerprint_items.append((name, raw))
        values = [v for item in raw for v in item.split("|") if v != ""]
        try:
            _apply(query, name, values, raw)
        except IdentifierError as exc:
            raise QueryError(f"{name}: {exc}") from None
    query.fingerprint = hashlib.sha256(orjson.dumps(fingerprint_items)).hexdigest()[:16]
    if query.event_count_limit is not None and query.max_event_count is not None:
        raise QueryError("eventCountLimit and maxEventCount cannot be used together: choose one")
    if query.event_count_limit is not None and query.order_by is None:
        raise QueryError(
            "eventCountLimit needs orderBy (eventTime or recordTime) to say which events come first"
        )
    return query


def _apply(query: EventQuery, name: str, values: list[str], raw: list[str]) -> None:
    if not values and name not in ("nextPageToken", "EXISTS_errorDeclaration"):
        raise QueryError(f"{name} needs a value")
    if name == "eventType":
        unknown = [v for v in values if v not in EVENT_TYPES]
        if unknown:
            raise QueryError(
                f"eventType: unknown event type {unknown[0]!r}; use one of {', '.join(sorted(EVENT_TYPES))}"
            )
        query.conditions.append(events.c.event_type.in_(values))
    elif name in _TIME_PARAMS:
        column, compare = _TIME_PARAMS[name]
        query.conditions.append(compare(column, parse_time(_single(name, values))))
    elif name == "EQ_action":
        unknown = [v for v in values if v not in ("ADD", "OBSERVE", "DELETE")]
        if unknown:
            raise QueryError(f"EQ_action: {unknown[0]!r} is not an action; use ADD, OBSERVE or DELETE")
        query.conditions.append(events.c.action.in_(values))
    elif name == "EQ_eventID":
        query.conditions.append(event_id_in(list(values)))
    elif name in _EQ_COLUMNS:
        column, normalise = _EQ_COLUMNS[name]
        query.conditions.append(column.in_([normalise(v) for v in values]))
    elif name in _MATCH_ROLES:
        query.conditions.append(_match(_MATCH_ROLES[name], values))
    elif name == "EXISTS_errorDeclaration":
        if _boolean(name, _single(name, values or [""])):
            query.conditions.append(events.c.error_declared.is_(True))
    elif name == "orderBy":
        value = _single(name, values)
        if value not in ("eventTime", "recordTime"):
            raise QueryError("orderBy must be eventTime or recordTime")
        query.order_by = value
    elif name == "orderDirection":
        value = _single(name, values).upper()
        if value not in ("ASC", "DESC"):
            raise QueryError("orderDirection must be ASC or DESC")
        query.descending = value == "DESC"
    elif name == "eventCountLimit":
        query.event_count_limit = _positive(name, _single(name, values))
    elif name == "maxEventCount":
        query.max_event_count = _positive(name, _single(name, values))
    elif name == "perPage":
        query.per_page = min(_positive(name, _single(name, values)), MAX_PER_PAGE)
    elif name == "nextPageToken":
        query.page_token = raw[-1] if raw else None
    else:
        for prefix, (kind, vocab) in _REF_PREFIXES.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                ref_type = short_cbv(vocab, name[len(prefix) :])
                sub = select(event_refs.c.event).where(
                    event_refs.c.kind == kind,
                    event_refs.c.type == ref_type,
                    event_refs.c.value.in_([identity_key(v) for v in values]),
                )
                query.conditions.append(events.c.id.in_(sub))
                return
        raise QueryError(
            f"unknown query parameter {name!r}; supported: {', '.join(sorted(KNOWN_PARAMS))}, "
            "EQ_bizTransaction_{type}, EQ_source_{type}, EQ_destination_{type}"
        )


def _match(roles: tuple[str, ...], values: list[str]) -> ColumnElement[bool]:
    exact: list[str] = []
    patterns: list[str] = []
    for value in values:
        like = idpat_like(value)
        if like is not None:
            patterns.append(like)
        else:
            exact.append(identity_key(value))
    keys: list[ColumnElement[bool]] = []
    if exact:
        keys.append(event_epcs.c.key.in_(exact))
    keys.extend(event_epcs.c.key.like(p) for p in patterns)
    sub = select(event_epcs.c.event).where(event_epcs.c.role.in_(roles), or_(*keys) if keys else false())
    return events.c.id.in_(sub)


def match_any_epc(value: str) -> ColumnElement[bool]:
    """Events naming `value` in any EPC field, as an instance or as a class (for /epcs/{epc}/events)."""
    try:
        return _match(_MATCH_ROLES["MATCH_anyEPC"] + _MATCH_ROLES["MATCH_anyEPCClass"], [value])
    except IdentifierError as exc:
        raise QueryError(str(exc)) from None


def _single(name: str, values: list[str]) -> str:
    if len(values) != 1:
        raise QueryError(f"{name} takes exactly one value, got {len(values)}")
    return values[0]


def _boolean(name: str, value: str) -> bool:
    if value.lower() in ("true", "1", ""):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise QueryError(f"{name} must be true or false, got {value!r}")


def _positive(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, got {value!r}") from None
    if number < 1:
        raise QueryError(f"{name} must be 1 or more, got {number}")
    return number


class QueryTooLarge(QueryError):
    """More events match than `maxEventCount` allows."""


def run_query(engine: Engine, query: EventQuery) -> Page:
    """One page of events, in query order, with the token for the next page (None on the last page)."""
    sort = {"eventTime": events.c.event_time, "recordTime": events.c.record_time}.get(query.order_by or "")
    served, position = _read_token(query)
    where = and_(*query.conditions) if query.conditions else None
    with engine.connect() as conn:
        if query.max_event_count is not None and query.page_token is None:
            probe = select(events.c.id)
            if where is not None:
                probe = probe.where(where)
            total = conn.execute(
                select(func.count()).select_from(probe.limit(query.max_event_count + 1).subquery())
            ).scalar_one()
            if total > query.max_event_count:
                raise QueryTooLarge(
                    f"the query matches more than maxEventCount={query.max_event_count} events; narrow it"
                )
        limit = query.per_page
        if query.event_count_limit is not None:
            limit = min(limit, query.event_count_limit - served)
        if limit <= 0:
            return Page([], None)
        columns = [events.c.id, events.c.body] + ([sort] if sort is not None else [])
        stmt = select(*columns)
        if where is not None:
            stmt = stmt.where(where)
        if position is not None:
            stmt = stmt.where(_after(sort, position, query.descending))
        if sort is None:
            stmt = stmt.order_by(events.c.id)
        elif query.descending:
            stmt = stmt.order_by(sort.desc(), events.c.id.desc())
        else:
            stmt = stmt.order_by(sort.asc(), events.c.id.asc())
        rows = conn.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    served += len(rows)
    if query.event_count_limit is not None and served >= query.event_count_limit:
        more = False
    token = None
    if more and rows:
        last = rows[-1]
        token = _make_token(query.fingerprint, served, [last[2] if sort is not None else None, last[0]])
    return Page([orjson.loads(row[1]) for row in rows], token)


def _after(sort: Any, position: list[Any], descending: bool) -> ColumnElement[bool]:
    value, pk = position
    condition: ColumnElement[bool]
    if sort is None:
        condition = events.c.id > pk
    elif descending:
        condition = or_(sort < value, and_(sort == value, events.c.id < pk))
    else:
        condition = or_(sort > value, and_(sort == value, events.c.id > pk))
    return condition


def _make_token(fingerprint: str, served: int, position: list[Any]) -> str:
    raw = orjson.dumps({"f": fingerprint, "n": served, "p": position})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(query: EventQuery) -> tuple[int, list[Any] | None]:
    if not query.page_token:
        return 0, None
    try:
        padded = query.page_token + "=" * (-len(query.page_token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        fingerprint, served, position = data["f"], int(data["n"]), list(data["p"])
        if len(position) != 2 or not all(type(v) is int for v in position[1:]):
            raise ValueError
        if position[0] is not None and type(position[0]) is not int:
            raise ValueError
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise QueryError("nextPageToken is not a token this server issued; start again without it") from None
    if fingerprint != query.fingerprint:
        raise QueryError("nextPageToken belongs to a different query: repeat the same parameters with it")
    return served, position
