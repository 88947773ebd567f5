"""Trace explorer: search an identifier, see its genealogy as a graph (forward or backward), open a node's
events and status, and the path of events that put it in the result."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.trace import index_of
from lotline.epcis.timefmt import parse_time
from lotline.errors import IdentifierError, QueryError
from lotline.pipeline.prepare import identifiers_of
from lotline.store.query import parse_query, run_query
from lotline.store.schema import event_id_in, events
from lotline.ui import graph
from lotline.ui.orders import find_order
from lotline.ui.render import need, page, script_json

router = APIRouter(prefix="/ui", include_in_schema=False)
Direction = Literal["forward", "backward"]
_CHUNK = 500
NODE_EVENTS = 25


def event_facts(engine: Engine, event_ids: Iterable[str], with_ids: set[str]) -> dict[str, graph.EventFacts]:
    """Type, step and time of events (one indexed look-up per chunk); the identifiers they name only for
    `with_ids` (the shipments and receipts that link parties), which needs their bodies."""
    wanted = sorted(set(event_ids))
    facts: dict[str, graph.EventFacts] = {}
    columns = (events.c.event_id, events.c.event_type, events.c.biz_step, events.c.event_time)
    with engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for row in conn.execute(select(*columns).where(event_id_in(chunk))):
                facts.setdefault(row[0], graph.EventFacts(row[0], row[1], row[2], row[3]))
        bodies = sorted(with_ids)
        for start in range(0, len(bodies), _CHUNK):
            chunk = bodies[start : start + _CHUNK]
            rows = conn.execute(select(events.c.event_id, events.c.body).where(event_id_in(chunk)))
            for event_id, body in rows:
                keys = frozenset(key for _, key, _ in identifiers_of(orjson.loads(body)))
                old = facts[event_id]
                facts[event_id] = graph.EventFacts(old.event_id, old.event_type, old.biz_step, old.time, keys)
    return facts


def depth_of(text: str) -> int | None:
    """The form's "depth at most": empty for no limit; raises IdentifierError (shown) when not a number."""
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise IdentifierError(f"depth must be a whole number of hops, got {text!r}")
    return int(text)


def _trace(request: Request, direction: str, id_: str, depth: str, since: str, until: str) -> Any:
    max_depth = depth_of(depth)
    window = [parse_time(v) if v else None for v in (since, until)]
    result = index_of(request.app).trace(
        direction, id_, max_depth=max_depth, since=window[0], until=window[1]
    )
    if not result.found:
        return None
    data = result.as_json()
    wanted, linking = graph.needed_events(data)
    facts = event_facts(request.app.state.engine, wanted, linking)
    return {"trace": data, "graph": graph.build(data, facts)}


@router.get("/trace")
async def trace_page(
    request: Request,
    id: str = "",
    direction: Direction = "forward",
    max_depth: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    need(request, "trace")
    context: dict[str, Any] = {
        "title": "Trace explorer",
        "id": id.strip(),
        "direction": direction,
        "max_depth": max_depth.strip(),
        "since": since,
        "until": until,
        "result": None,
        "error": None,
        "order": None,
    }
    status = 200
    if context["id"]:
        try:
            found = await run_in_threadpool(
                _trace, request, direction, context["id"], max_depth, since, until
            )
        except IdentifierError as exc:
            context["order"] = await run_in_threadpool(find_order, request.app.state.engine, context["id"])
            if context["order"] is None:
                context["error"], status = f"Check the form: {exc}", 400
        else:
            if found is None:
                context["order"] = await run_in_threadpool(
                    find_order, request.app.state.engine, context["id"]
                )
                if context["order"] is None:
                    context["error"], status = f"No stored event names {context['id']}.", 404
            else:
                context["result"] = found["trace"]
                context["graph_json"] = script_json(found["graph"])
                context["graph"] = found["graph"]
    return page(request, "trace.html", context, status_code=status)


@router.get("/trace.json")
async def trace_json(
    request: Request,
    id: str,
    direction: Direction = "forward",
    max_depth: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """The trace and its graph as a JSON download (the explorer's "Export JSON")."""
    need(request, "trace")
    try:
        found = await run_in_threadpool(_trace, request, direction, id.strip(), max_depth, since, until)
    except IdentifierError as exc:
        return Response(orjson.dumps({"error": str(exc)}), status_code=400, media_type="application/json")
    if found is None:
        return Response(
            orjson.dumps({"error": f"no stored event names {id}"}), 404, media_type="application/json"
        )
    name = f"trace-{direction}.json"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(
        orjson.dumps(found, option=orjson.OPT_INDENT_2), media_type="application/json", headers=headers
    )


@router.get("/trace/node")
async def node_details(request: Request, id: str) -> Response:
    """A node's current status and latest events, as an HTML fragment for the explorer's side panel."""
    need(request, "trace")
    try:
        query = parse_query({"orderBy": ["eventTime"], "perPage": [str(NODE_EVENTS)]}, any_epc=id)
        found = await run_in_threadpool(run_query, request.app.state.engine, query)
    except (QueryError, IdentifierError) as exc:
        return page(request, "node.html", {"id": id, "events": [], "error": str(exc)}, status_code=400)
    status = found.events[0] if found.events else None
    context = {"id": id, "events": found.events, "status": status, "more": found.next_token is not None}
    return page(request, "node.html", context)
