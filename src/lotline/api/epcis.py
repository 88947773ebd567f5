"""The EPCIS 2.0 REST binding at /epcis: capture, capture jobs, events and the query endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from lotline.api.auth import require
from lotline.api.problems import (
    CAPTURE_LIMIT,
    CONFLICT,
    NO_SUCH_RESOURCE,
    NOT_ACCEPTABLE,
    QUERY_PARAMETER,
    QUERY_TOO_LARGE,
    UNSUPPORTED_MEDIA,
    VALIDATION,
    problem,
)
from lotline.api.settings import Settings
from lotline.epcis.document import JSON_TYPES, STANDARD_CONTEXT, XML_TYPES, media_type, read_document
from lotline.epcis.epc_format import FORMATS, NO_PREFERENCE, translate_event
from lotline.epcis.timefmt import format_time, now_micros
from lotline.errors import DocumentError, QueryError, ValidationError
from lotline.pipeline.capture import PROCEED, ROLLBACK, DocumentParts, capture_parts, split_document
from lotline.store import jobs
from lotline.store.events import Provenance, get_event
from lotline.store.query import EVENT_TYPES, QueryTooLarge, parse_query, run_query

router = APIRouter(prefix="/epcis", tags=["EPCIS 2.0"])

VERSION_HEADERS = {
    "GS1-EPCIS-Version": "2.0.0",
    "GS1-EPCIS-Min": "2.0.0",
    "GS1-EPCIS-Max": "2.0.0",
    "GS1-CBV-Version": "2.0.0",
    "GS1-CBV-Min": "2.0.0",
    "GS1-CBV-Max": "2.0.0",
    "GS1-Extensions": "",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> Any:
    return request.app.state.engine


def _discovery_headers(settings: Settings) -> dict[str, str]:
    return {
        **VERSION_HEADERS,
        "GS1-EPCIS-Capture-Limit": str(settings.capture_limit),
        "GS1-EPCIS-Capture-File-Size-Limit": str(settings.capture_file_size_limit),
        "GS1-Capture-Error-Behaviour": "rollback, proceed",
        "GS1-EPC-Format": ", ".join(FORMATS),
        "Allow": "GET, OPTIONS",
    }


@router.get("", summary="Discovery: versions, capture limits and the endpoints of this EPCIS repository")
def discovery(request: Request) -> Response:
    settings = _settings(request)
    body = {
        "epcisVersion": "2.0.0",
        "cbvVersion": "2.0.0",
        "captureLimit": settings.capture_limit,
        "captureFileSizeLimit": settings.capture_file_size_limit,
        "endpoints": [
            "/epcis/capture",
            "/epcis/events",
            "/epcis/events/{eventID}",
            "/epcis/epcs/{epc}/events",
            "/epcis/eventTypes",
            "/epcis/eventTypes/{eventType}/events",
            "/epcis/bizSteps/{bizStep}/events",
            "/epcis/queries",
            "/epcis/queries/{queryName}",
            "/epcis/queries/{queryName}/events",
            "/epcis/queries/{queryName}/subscriptions",
            "/epcis/queries/{queryName}/subscriptions/{subscriptionID}",
        ],
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=_discovery_headers(settings))


@router.options("", include_in_schema=False)
@router.options("/capture", include_in_schema=False)
@router.options("/events", include_in_schema=False)
def options(request: Request) -> Response:
    return Response(status_code=204, headers=_discovery_headers(_settings(request)))


async def _read_body(request: Request, limit: int) -> bytes | Response:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return _too_big(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _too_big(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(limit: int) -> Response:
    return problem(
        413,
        CAPTURE_LIMIT,
        "Payload too large",
        f"the body is larger than this server's capture file size limit of {limit} bytes; split it into "
        "several capture requests",
    )


def _check_content_type(request: Request) -> Response | None:
    kind = media_type(request.headers.get("content-type"))
    if kind not in JSON_TYPES and kind not in XML_TYPES:
        return problem(
            415,
            UNSUPPORTED_MEDIA,
            "Unsupported media type",
            f"Content-Type {kind or '(none)'!r} is not accepted; send application/json, application/ld+json "
            "or application/xml",
        )
    return None


async def _capture_body(request: Request, settings: Settings) -> bytes | Response:
    """The body of a capture request, or the problem with it (content type, size)."""
    if (bad := _check_content_type(request)) is not None:
        return bad
    return await _read_body(request, settings.capture_file_size_limit)


@router.post("/capture", status_code=202, summary="Capture an EPCISDocument (JSON-LD or XML)")
async def capture(request: Request) -> Response:
    key = require(request, "capture")
    settings = _settings(request)
    behaviour = request.headers.get("GS1-Capture-Error-Behaviour", ROLLBACK).strip().lower()
    if behaviour not in (ROLLBACK, PROCEED):
        return problem(
            400, VALIDATION, "Bad header", "GS1-Capture-Error-Behaviour must be rollback or proceed"
        )
    body = await _capture_body(request, settings)
    if isinstance(body, Response):
        return body
    try:
        doc = read_document(body, request.headers.get("content-type"))
        parts = split_document(doc)
    except DocumentError as exc:
        return problem(400, VALIDATION, "Unreadable document", str(exc))
    except ValidationError as exc:
        return _invalid("Invalid EPCIS document", exc)
    if len(parts.events) > settings.capture_limit:
        return problem(
            413,
            CAPTURE_LIMIT,
            "Too many events",
            f"the document holds {len(parts.events)} events; this server captures at most "
            f"{settings.capture_limit} per request (see GS1-EPCIS-Capture-Limit)",
        )
    from starlette.concurrency import run_in_threadpool

    job = await run_in_threadpool(_run_capture, _engine(request), parts, behaviour, key.id)
    location = f"/epcis/capture/{job.id}"
    headers = {**VERSION_HEADERS, "Location": location}
    if not job.success and behaviour == ROLLBACK:
        return problem(
            400,
            VALIDATION,
            "Events rejected",
            f"{len(job.errors)} of {job.events_total} events are invalid, so none was stored "
            "(GS1-Capture-Error-Behaviour: rollback); see errors",
            headers=headers,
            captureID=job.id,
            errors=job.errors,
        )
    return Response(
        orjson.dumps(job.as_json()), status_code=202, media_type="application/json", headers=headers
    )


def _run_capture(engine: Any, parts: DocumentParts, behaviour: str, key_id: str) -> jobs.CaptureJob:
    job = jobs.start_job(engine, behaviour, "rest", key_id, len(parts.events))
    outcome = capture_parts(
        engine, parts, Provenance("rest", key_id=key_id, capture_id=job.id), behaviour=behaviour
    )
    job.events_stored = outcome.stored
    job.events_duplicate = outcome.duplicates
    job.errors = outcome.errors
    job.success = not outcome.errors
    jobs.finish_job(engine, job)
    return job


def _invalid(title: str, exc: ValidationError) -> Response:
    issues = [{"path": i.path, "message": i.message} for i in exc.issues]
    return problem(400, VALIDATION, title, str(exc), errors=issues)


@router.get("/capture", summary="List capture jobs, newest first")
def list_capture_jobs(request: Request, perPage: int = 30, nextPageToken: str | None = None) -> Response:
    require(request, "capture")
    before = None
    if nextPageToken:
        if not nextPageToken.isdigit():
            return problem(
                400, QUERY_PARAMETER, "Bad nextPageToken", "nextPageToken is not one this server issued"
            )
        before = int(nextPageToken)
    if perPage < 1:
        return problem(400, QUERY_PARAMETER, "Bad perPage", "perPage must be 1 or more")
    found = jobs.list_jobs(_engine(request), min(perPage, 1000) + 1, before)
    page = found[: min(perPage, 1000)]
    headers = dict(VERSION_HEADERS)
    if len(found) > len(page) and page:
        query = urlencode({"perPage": perPage, "nextPageToken": page[-1].created_at})
        headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
    return Response(orjson.dumps([j.as_json() for j in page]), media_type="application/json", headers=headers)


@router.get("/capture/{capture_id}", summary="One capture job: running, success, errors")
def get_capture_job(request: Request, capture_id: str) -> Response:
    require(request, "capture")
    job = jobs.get_job(_engine(request), capture_id)
    if job is None:
        return problem(
            404, NO_SUCH_RESOURCE, "No such capture job", f"there is no capture job {capture_id!r}"
        )
    return Response(orjson.dumps(job.as_json()), media_type="application/json", headers=VERSION_HEADERS)


@router.post("/events", status_code=201, summary="Capture a single event")
async def capture_event(request: Request) -> Response:
    key = require(request, "capture")
    settings = _settings(request)
    body = await _capture_body(request, settings)
    if isinstance(body, Response):
        return body
    try:
        event = read_document(body, request.headers.get("content-type"))
    except DocumentError as exc:
        return problem(400, VALIDATION, "Unreadable event", str(exc))
    if event.get("type") in ("EPCISDocument", "EPCISQueryDocument"):
        return problem(
            400,
            VALIDATION,
            "Expected one event",
            "POST /epcis/events takes one event; send documents to /epcis/capture",
        )
    context = event.pop("@context", None)
    from lotline.epcis.document import extra_context
    from lotline.epcis.hashing import context_prefixes

    parts = DocumentParts([event], context_prefixes(context), extra_context(context))
    from starlette.concurrency import run_in_threadpool

    outcome = await run_in_threadpool(
        capture_parts, _engine(request), parts, Provenance("rest", key_id=key.id), ROLLBACK
    )
    if outcome.errors:
        error = outcome.errors[0]
        if "issues" in error:
            return problem(400, VALIDATION, "Invalid event", error["reason"], errors=error["issues"])
        return problem(409, CONFLICT, "Conflicting eventID", error["reason"])
    if outcome.duplicates:
        return problem(
            409, CONFLICT, "Duplicate event", "an event with the same CBV 2.0 event hash is already stored"
        )
    event_id = outcome.stored_ids[0]
    location = f"/epcis/events/{quote(event_id, safe='')}"
    return Response(
        orjson.dumps({"eventID": event_id}),
        status_code=201,
        media_type="application/json",
        headers={**VERSION_HEADERS, "Location": location},
    )


@router.get("/events", summary="Query events (EPCIS 2.0 SimpleEventQuery parameters)")
def query_events(request: Request) -> Response:
    require(request, "query")
    return _query(request, {})


@router.get("/events/{event_id:path}", summary="One event by its eventID")
def get_one_event(request: Request, event_id: str) -> Response:
    require(request, "query")
    event = get_event(_engine(request), event_id)
    if event is None:
        return problem(404, NO_SUCH_RESOURCE, "No such event", f"there is no event with eventID {event_id!r}")
    fmt = _epc_format(request)
    if isinstance(fmt, Response):
        return fmt
    xml = _wants_xml(request)
    if isinstance(xml, Response):
        return xml
    return _query_response(query_document([translate_event(event, fmt)]), xml, dict(VERSION_HEADERS))


@router.get("/epcs/{epc:path}/events", summary="Events that name an EPC or EPC class in any field")
def events_by_epc(request: Request, epc: str) -> Response:
    require(request, "query")
    return _query(request, {}, any_epc=epc)


@router.get("/eventTypes", summary="The event types this repository serves")
def event_types(request: Request) -> Response:
    require(request, "query")
    return Response(orjson.dumps(sorted(EVENT_TYPES)), media_type="application/json", headers=VERSION_HEADERS)


@router.get("/eventTypes/{event_type}/events", summary="Events of one type")
def events_by_type(request: Request, event_type: str) -> Response:
    require(request, "query")
    if event_type not in EVENT_TYPES:
        return problem(
            404,
            NO_SUCH_RESOURCE,
            "No such event type",
            f"{event_type!r} is not one of {', '.join(sorted(EVENT_TYPES))}",
        )
    return _query(request, {"eventType": [event_type]})


@router.get("/bizSteps/{biz_step:path}/events", summary="Events with one business step")
def events_by_biz_step(request: Request, biz_step: str) -> Response:
    require(request, "query")
    return _query(request, {"EQ_bizStep": [biz_step]})


def _epc_format(request: Request) -> str | Response:
    fmt = request.headers.get("GS1-EPC-Format", NO_PREFERENCE).strip()
    if fmt not in FORMATS:
        return problem(400, VALIDATION, "Bad header", f"GS1-EPC-Format must be one of {', '.join(FORMATS)}")
    return fmt


def _wants_xml(request: Request) -> bool | Response:
    accept = request.headers.get("accept", "*/*").lower()
    kinds = [part.split(";")[0].strip() for part in accept.split(",")]
    for kind in kinds:
        if kind in JSON_TYPES or kind in ("*/*", "application/*"):
            return False
        if kind in XML_TYPES:
            return True
    return problem(
        406,
        NOT_ACCEPTABLE,
        "Not acceptable",
        "ask for application/json, application/ld+json or application/xml",
    )


def _query(request: Request, fixed: Mapping[str, list[str]], any_epc: str | None = None) -> Response:
    fmt = _epc_format(request)
    if isinstance(fmt, Response):
        return fmt
    xml = _wants_xml(request)
    if isinstance(xml, Response):
        return xml
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    clash = sorted(set(params) & set(fixed))
    if clash:
        return problem(400, QUERY_PARAMETER, "Bad query", f"{clash[0]} is already given by the path")
    try:
        query = parse_query({**params, **fixed}, any_epc=any_epc)
        page = run_query(_engine(request), query)
    except QueryTooLarge as exc:
        return problem(413, QUERY_TOO_LARGE, "Query too large", str(exc))
    except QueryError as exc:
        return problem(400, QUERY_PARAMETER, "Bad query parameter", str(exc))
    doc = query_document([translate_event(e, fmt) for e in page.events])
    headers = dict(VERSION_HEADERS)
    if page.next_token:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "nextPageToken"]
        url = f"{request.url.path}?{urlencode([*kept, ('nextPageToken', page.next_token)])}"
        headers["Link"] = f'<{url}>; rel="next"'  # keyset tokens do not expire
    return _query_response(doc, xml, headers)


def _query_response(doc: dict[str, Any], xml: bool, headers: dict[str, str]) -> Response:
    if xml:
        from lotline.epcis.xml import render_xml_document

        return Response(render_xml_document(doc), media_type="application/xml", headers=headers)
    return Response(orjson.dumps(doc), media_type="application/ld+json", headers=headers)


def query_document(event_list: list[dict[str, Any]]) -> dict[str, Any]:
    """An EPCISQueryDocument around events; their extension contexts are merged into the document's
    @context where the prefixes agree, and left on the event where they clash."""
    merged: dict[str, str] = {}
    out_events = []
    for event in event_list:
        local = event.get("@context")
        if local is None:
            out_events.append(event)
            continue
        entries = local if isinstance(local, list) else [local]
        prefixes = {k: v for e in entries if isinstance(e, dict) for k, v in e.items()}
        strings = [e for e in entries if not isinstance(e, dict)]
        if strings or any(merged.get(k, v) != v for k, v in prefixes.items()):
            out_events.append(event)
            continue
        merged.update(prefixes)
        out_events.append({k: v for k, v in event.items() if k != "@context"})
    context: list[Any] = [STANDARD_CONTEXT] + ([merged] if merged else [])
    return {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": format_time(now_micros()),
        "epcisBody": {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": out_events}}
        },
    }
