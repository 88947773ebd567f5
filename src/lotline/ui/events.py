"""Events browser: the EPCIS 2.0 query parameters as a form, a page of events, and one event with its
provenance and raw document."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.errors import IdentifierError, QueryError
from lotline.store.query import EVENT_TYPES, QueryTooLarge, parse_query, run_query
from lotline.store.schema import event_id_in, events
from lotline.ui.metrics import plant_of
from lotline.ui.render import micros, need, page

router = APIRouter(prefix="/ui", include_in_schema=False)

# The form's text fields, in order: (parameter, label, placeholder)
FIELDS = (
    ("epc", "Identifier, in any field", "lot, serial, SSCC: EPC URN or Digital Link"),
    ("EQ_bizStep", "Business step", "shipping|receiving"),
    ("EQ_disposition", "Disposition", "in_progress"),
    ("EQ_readPoint", "Read point", "urn:epc:id:sgln:…"),
    ("EQ_bizLocation", "Business location", "urn:epc:id:sgln:…"),
    ("GE_eventTime", "Event time from", "2026-01-05T00:00:00Z"),
    ("LT_eventTime", "Event time before", "2026-02-01T00:00:00Z"),
    ("GE_recordTime", "Record time from", "2026-01-05T00:00:00Z"),
    ("LT_recordTime", "Record time before", ""),
    ("MATCH_anyEPC", "Instance (MATCH_anyEPC)", "urn:epc:id:sgtin:… or pattern"),
    ("MATCH_anyEPCClass", "Class (MATCH_anyEPCClass)", "urn:epc:class:lgtin:…"),
    ("EQ_transformationID", "Transformation id", ""),
    ("EQ_eventID", "Event id", "ni:///sha-256;…"),
)
_SELECTS = ("eventType", "EQ_action", "orderBy", "orderDirection", "perPage")
PER_PAGE = ("20", "50", "100")


def _params(request: Request) -> tuple[dict[str, list[str]], str | None, dict[str, str]]:
    """(query parameters, identifier in any field, the form's values) from the request's query string."""
    form = {k: v.strip() for k, v in request.query_params.items()}
    params: dict[str, list[str]] = {}
    for name, *_ in FIELDS:
        if name != "epc" and form.get(name):
            params[name] = [form[name]]
    for name in _SELECTS:
        if form.get(name):
            params[name] = [form[name]]
    for line in form.get("more", "").splitlines():
        name, _, value = line.partition("=")
        if name.strip() and value.strip():
            params.setdefault(name.strip(), []).append(value.strip())
    if form.get("nextPageToken"):
        params["nextPageToken"] = [form["nextPageToken"]]
    params.setdefault("perPage", ["20"])
    return params, form.get("epc") or None, form


@router.get("/events")
async def events_page(request: Request) -> Response:
    need(request, "query")
    params, epc, form = _params(request)
    context: dict[str, Any] = {
        "title": "Events",
        "fields": FIELDS,
        "form": form,
        "event_types": sorted(EVENT_TYPES),
        "per_page": PER_PAGE,
        "advanced": any(form.get(name) for name, *_ in FIELDS[3:]) or bool(form.get("more")),
        "events": None,
        "error": None,
        "next_url": None,
        "first_url": None,
    }
    try:
        query = parse_query(params, any_epc=epc)
        found = await run_in_threadpool(run_query, request.app.state.engine, query)
    except QueryTooLarge as exc:
        context["error"] = str(exc)
        return page(request, "events.html", context, status_code=413)
    except (QueryError, IdentifierError) as exc:
        context["error"] = f"Check the form: {exc}"
        return page(request, "events.html", context, status_code=400)
    context["events"] = found.events
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "nextPageToken" and v.strip()]
    if found.next_token:
        context["next_url"] = "/ui/events?" + urlencode([*kept, ("nextPageToken", found.next_token)])
    if form.get("nextPageToken"):
        context["first_url"] = "/ui/events?" + urlencode(kept)
    return page(request, "events.html", context)


def _stored(request: Request, event_id: str) -> dict[str, Any] | None:
    stmt = (
        select(events).where(event_id_in([event_id])).order_by(events.c.error_declared, events.c.id).limit(2)
    )
    with request.app.state.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    if not rows:
        return None
    row = rows[0]._mapping
    body = orjson.loads(row["body"])
    return {
        "body": body,
        "raw": orjson.dumps(body, option=orjson.OPT_INDENT_2).decode(),
        "provenance": provenance(row),
        "declared": len(rows) > 1,
    }


def provenance(row: Any) -> dict[str, Any]:
    """What the Provenance panel lists for a stored event row: the per-event provenance columns (source,
    source message id, plant, received time, mapping, correlation id: `lotline.store.provenance`) when set,
    and how and when it was stored. Nothing is shown for a column left unset (a REST capture or an import
    has no connector, mapping or received time); a plant not recorded is derived from the event's location
    and says so."""
    out: dict[str, Any] = {"source": row["source"] or row["interface"], "interface": row["interface"]}
    recorded = {
        "source message id": row["source_message_id"],
        "plant": row["plant"],
        "received time": micros(row["received_time"]) or None,
        "mapping": row["mapping"],
        "correlation id": row["correlation_id"],
        "capture job": row["capture_id"],
        "API key id": row["key_id"],
    }
    out.update((label, value) for label, value in recorded.items() if value is not None)
    location = row["biz_location"] or row["read_point"]
    if row["plant"] is None and location:
        out["plant (from its location)"] = plant_of(location)
    out.update(
        {
            "record time": micros(row["record_time"]),
            "event time": micros(row["event_time"]),
            "event hash": row["event_hash"],
            "stored row": row["id"],
        }
    )
    return out


@router.get("/events/detail")
async def event_detail(request: Request, id: str) -> Response:
    need(request, "query")
    found = await run_in_threadpool(_stored, request, id)
    if found is None:
        context = {"title": "Event not found", "event_id": id, "event": None}
        return page(request, "event.html", context, status_code=404)
    return page(request, "event.html", {"title": "Event", "event_id": id, "event": found})
