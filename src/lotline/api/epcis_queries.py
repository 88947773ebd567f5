"""EPCIS 2.0 named queries and query subscriptions (REST binding `/queries`), mounted at /epcis/queries.

    POST   /epcis/queries                                   create a named query {"name", "query"}
    GET    /epcis/queries                                   list them
    GET    /epcis/queries/{name}                            one definition
    DELETE /epcis/queries/{name}                            delete it and all its subscriptions
    GET    /epcis/queries/{name}/events                     run it (paged like /epcis/events)
    POST   /epcis/queries/{name}/subscriptions              subscribe a webhook: dest, signatureToken,
                                                            stream=true or schedule, reportIfEmpty,
                                                            initialRecordTime
    GET    /epcis/queries/{name}/subscriptions              list them (never the signatureToken)
    GET    /epcis/queries/{name}/subscriptions/{id}         one subscription
    DELETE /epcis/queries/{name}/subscriptions/{id}         unsubscribe

Scopes: `query` creates and reads; deleting a query or subscription another key created needs `admin`.
Deliveries are made by `lotline.outbound` (see docs/subscriptions.md): EPCISQueryDocuments POSTed to
`dest`, signed in `GS1-Signature`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode, urlparse

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.auth import require
from lotline.api.epcis import VERSION_HEADERS, _engine, _query
from lotline.api.problems import CONFLICT, QUERY_PARAMETER, UNSUPPORTED_MEDIA, VALIDATION, problem
from lotline.epcis.epc_format import FORMATS, NO_PREFERENCE
from lotline.epcis.timefmt import parse_time
from lotline.errors import QueryError, StateConflict
from lotline.outbound.schedule import FIELDS, Schedule, ScheduleError
from lotline.store import subscriptions as subs
from lotline.store.keys import ApiKey
from lotline.store.query import parse_query

router = APIRouter(prefix="/epcis/queries", tags=["EPCIS 2.0 queries and subscriptions"])

PAGING = frozenset({"perPage", "nextPageToken"})


class QueryDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.~-]+$")
    query: dict[str, Any]


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dest: str = Field(min_length=1, max_length=2000)
    signatureToken: str | None = Field(default=None, max_length=1000)
    initialRecordTime: str | None = None
    reportIfEmpty: bool = False
    stream: bool | None = None
    schedule: dict[str, str | int] | None = None


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**VERSION_HEADERS, **(headers or {})},
    )


async def _body(request: Request) -> Any | Response:
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind not in ("application/json", "application/ld+json"):
        return problem(415, UNSUPPORTED_MEDIA, "Unsupported media type", "send application/json")
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        return problem(400, VALIDATION, "Unreadable body", f"the body is not JSON: {exc}")


def _invalid(exc: ValidationError) -> Response:
    errors = [{"path": "/".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
    detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
    return problem(400, VALIDATION, "Invalid request", detail, errors=errors)


def _as_params(query: dict[str, Any]) -> dict[str, list[str]] | str:
    """The query-schema JSON (lists, strings, numbers) as SimpleEventQuery parameters; or what is wrong."""
    params: dict[str, list[str]] = {}
    for name, value in query.items():
        if name in PAGING:
            return f"{name} is a paging parameter: give it to /events, not to the query definition"
        if isinstance(value, list):
            params[name] = ["|".join(str(v) for v in value)]
        elif isinstance(value, bool):
            params[name] = ["true" if value else "false"]
        elif isinstance(value, str | int | float):
            params[name] = [str(value)]
        else:
            return f"{name}: a value must be a string, a number or a list of strings"
    return params


def _may_delete(key: ApiKey, owner: str | None, what: str) -> None:
    from lotline.errors import ScopeError

    if owner != key.id and "admin" not in key.scopes:
        raise ScopeError(f"{what} was created by another API key; deleting it needs the 'admin' scope")


# --- queries -------------------------------------------------------------------------------------------------


@router.post("", status_code=201, summary="Create a named query")
async def create_query(request: Request) -> Response:
    key = require(request, "query")
    body = await _body(request)
    if isinstance(body, Response):
        return body
    try:
        definition = QueryDefinition.model_validate(body)
    except ValidationError as exc:
        return _invalid(exc)
    params = _as_params(definition.query)
    if isinstance(params, str):
        return problem(400, QUERY_PARAMETER, "Bad query", params)
    try:
        parse_query(params)
    except QueryError as exc:
        return problem(400, QUERY_PARAMETER, "Bad query", str(exc))
    try:
        await run_in_threadpool(subs.create_query, _engine(request), definition.name, params, key.id)
    except StateConflict as exc:
        return problem(409, CONFLICT, "Query exists", str(exc))
    location = f"/epcis/queries/{quote(definition.name, safe='')}"
    return _json({"name": definition.name, "query": params}, 201, {"Location": location})


@router.get("", summary="List the named queries")
def list_queries(request: Request, perPage: int = 30, nextPageToken: str | None = None) -> Response:
    require(request, "query")
    if perPage < 1:
        return problem(400, QUERY_PARAMETER, "Bad perPage", "perPage must be 1 or more")
    size = min(perPage, 1000)
    found = subs.list_queries(_engine(request), after=nextPageToken, limit=size + 1)
    page = found[:size]
    headers: dict[str, str] = {}
    if len(found) > size:
        headers["Link"] = (
            f'<{request.url.path}?{urlencode({"perPage": perPage, "nextPageToken": page[-1].name})}>; rel="next"'
        )
    return _json([q.to_json() for q in page], headers=headers)


@router.get("/{name}", summary="One named query's definition")
def get_query(request: Request, name: str) -> Response:
    require(request, "query")
    return _json(subs.get_query(_engine(request), name).to_json())


@router.delete("/{name}", status_code=204, summary="Delete a named query and all its subscriptions")
def delete_query(request: Request, name: str) -> Response:
    key = require(request, "query")
    named = subs.get_query(_engine(request), name)
    _may_delete(key, named.owner, f"query {name!r}")
    subs.delete_query(_engine(request), name)
    return Response(status_code=204, headers=VERSION_HEADERS)


@router.get("/{name}/events", summary="Run a named query (paged with perPage and nextPageToken)")
def query_events(request: Request, name: str) -> Response:
    require(request, "query")
    named = subs.get_query(_engine(request), name)
    extra = sorted(set(request.query_params) - PAGING)
    if extra:
        return problem(
            400,
            QUERY_PARAMETER,
            "Bad query",
            f"{extra[0]}: a named query takes only perPage and nextPageToken",
        )
    return _query(request, named.query)


# --- subscriptions -------------------------------------------------------------------------------------------


@router.post("/{name}/subscriptions", status_code=201, summary="Subscribe a webhook to a named query")
async def subscribe(request: Request, name: str) -> Response:
    key = require(request, "query")
    subs.get_query(_engine(request), name)  # 404 first
    body = await _body(request)
    if isinstance(body, Response):
        return body
    try:
        wanted = SubscriptionRequest.model_validate(body)
    except ValidationError as exc:
        return _invalid(exc)
    dest = urlparse(wanted.dest)
    if dest.scheme not in ("http", "https") or not dest.netloc:
        return problem(400, VALIDATION, "Bad dest", "dest must be an absolute http or https URL")
    if (wanted.stream is True) == (wanted.schedule is not None):
        return problem(
            400,
            VALIDATION,
            "Stream or schedule",
            "set exactly one of stream=true (deliver each newly captured match) and schedule (cron-like "
            f"fields {', '.join(FIELDS)})",
        )
    if wanted.stream is False:
        return problem(400, VALIDATION, "Bad stream", "stream can only be true; omit it to use a schedule")
    schedule = {k: str(v) for k, v in wanted.schedule.items()} if wanted.schedule is not None else None
    if schedule is not None:
        try:
            Schedule.parse(schedule)
        except ScheduleError as exc:
            return problem(400, VALIDATION, "Bad schedule", str(exc))
    initial: int | None = None
    if wanted.initialRecordTime is not None:
        try:
            initial = parse_time(wanted.initialRecordTime)
        except Exception as exc:
            return problem(400, VALIDATION, "Bad initialRecordTime", f"not a date-time: {exc}")
    epc_format = request.headers.get("GS1-EPC-Format", NO_PREFERENCE).strip()
    if epc_format not in FORMATS:
        return problem(400, VALIDATION, "Bad header", f"GS1-EPC-Format must be one of {', '.join(FORMATS)}")
    sub = await run_in_threadpool(
        lambda: subs.create_subscription(
            _engine(request),
            name,
            dest=wanted.dest,
            signature_token=wanted.signatureToken,
            stream=bool(wanted.stream),
            schedule=schedule,
            report_if_empty=wanted.reportIfEmpty,
            initial_record_time=initial,
            epc_format=epc_format,
            owner=key.id,
        )
    )
    location = f"/epcis/queries/{quote(name, safe='')}/subscriptions/{sub.id}"
    return _json(sub.to_json(), 201, {"Location": location})


@router.get("/{name}/subscriptions", summary="The subscriptions of a named query")
def list_subscriptions(request: Request, name: str) -> Response:
    require(request, "query")
    subs.get_query(_engine(request), name)
    return _json([s.to_json() for s in subs.list_subscriptions(_engine(request), name)])


@router.get("/{name}/subscriptions/{subscription_id}", summary="One subscription")
def get_subscription(request: Request, name: str, subscription_id: str) -> Response:
    require(request, "query")
    return _json(subs.get_subscription(_engine(request), subscription_id, name).to_json())


@router.delete("/{name}/subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe")
def unsubscribe(request: Request, name: str, subscription_id: str) -> Response:
    key = require(request, "query")
    sub = subs.get_subscription(_engine(request), subscription_id, name)
    _may_delete(key, sub.owner, f"subscription {subscription_id!r}")
    subs.delete_subscription(_engine(request), subscription_id)
    return Response(status_code=204, headers=VERSION_HEADERS)


@router.options("", include_in_schema=False)
@router.options("/{name}", include_in_schema=False)
@router.options("/{name}/subscriptions", include_in_schema=False)
@router.options("/{name}/events", include_in_schema=False)
def options(request: Request) -> Response:
    return Response(status_code=204, headers={**VERSION_HEADERS, "Allow": "GET, POST, DELETE, OPTIONS"})
