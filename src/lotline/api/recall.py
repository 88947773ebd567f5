"""lotline's own API, /api/v1: recall impact, as JSON or as the FDA FSMA 204 sortable spreadsheet."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.auth import require
from lotline.api.problems import problem
from lotline.api.trace import BAD_REQUEST, NOT_FOUND, trace_index
from lotline.errors import IdentifierError
from lotline.trace.collector import collections_held
from lotline.trace.fsma import fsma_rows, write_csv, write_xlsx
from lotline.trace.index import TraceIndex
from lotline.trace.recall import RecallReport, recall_impact

router = APIRouter(prefix="/api/v1", tags=["Traceability"])

MAX_IDS = 1000
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ids"],
    "properties": {
        "ids": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_IDS,
            "items": {"type": "string", "minLength": 1},
            "description": "Suspect lots, serials or containers: EPC URNs or GS1 Digital Links.",
            "example": ["urn:epc:class:lgtin:4012345.000001.SUGAR-1"],
        },
        "own_parties": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Parties (PGLN) that are us, beside those inferred from the events: a shipment "
            "to one of them is a transfer (in transit), not a delivery.",
        },
    },
}


def _parse(body: bytes) -> tuple[list[str], list[str]] | str:
    """(ids, own parties), or what is wrong with the body."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return f"the body is not JSON: {exc}"
    if not isinstance(doc, dict):
        return 'send a JSON object: {"ids": ["urn:epc:class:lgtin:..."]}'
    ids, own = doc.get("ids"), doc.get("own_parties", [])
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i.strip() for i in ids):
        return "ids: give a non-empty array of identifiers (EPC URNs or GS1 Digital Links)"
    if len(ids) > MAX_IDS:
        return f"ids: at most {MAX_IDS} identifiers per request, got {len(ids)}"
    if not isinstance(own, list) or not all(isinstance(p, str) for p in own):
        return "own_parties: give an array of party identifiers"
    unknown = sorted(set(doc) - {"ids", "own_parties"})
    if unknown:
        return f"unknown field(s): {', '.join(unknown)} (expected ids, own_parties)"
    return [i.strip() for i in ids], own


def _wanted(request: Request, format_: str | None) -> str:
    if format_:
        return format_
    accept = request.headers.get("accept", "")
    if CSV in accept:
        return "csv"
    return "xlsx" if XLSX in accept else "json"


def _spreadsheet(report: RecallReport, kind: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rows = fsma_rows(report)
    if kind == "csv":
        text = io.StringIO()
        write_csv(rows, text)
        content, media = ("\ufeff" + text.getvalue()).encode(), f"{CSV}; charset=utf-8"
    else:
        data = io.BytesIO()
        write_xlsx(rows, data, report)
        content, media = data.getvalue(), XLSX
    headers = {"Content-Disposition": f'attachment; filename="recall-fsma204-{stamp}.{kind}"'}
    return Response(content, media_type=media, headers=headers)


@router.post(
    "/recalls",
    summary="Recall impact of suspect lots, serials or containers",
    description="Affected finished lots and serials, containers, shipments (when, from where, to whom, which "
    "despatch advice or bill of lading), quantities by current location and disposition, and the supplier "
    "side. `?format=csv|xlsx` (or `Accept: text/csv`, or the XLSX media type) returns the FDA FSMA 204 "
    "electronic sortable spreadsheet instead: one row per critical tracking event and lot. Unknown ids are "
    "reported (`found: false`); 404 only if none is known.",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _REQUEST_SCHEMA}}}
    },
    responses={
        200: {
            "description": "The recall report (JSON) or the FSMA 204 spreadsheet (CSV, XLSX)",
            "content": {"application/json": {}, CSV: {}, XLSX: {}},
        },
        400: {"description": "Bad body or malformed identifier (problem+json)"},
        403: {"description": "The API key lacks the trace scope"},
        404: {"description": "None of the ids is known"},
    },
)
async def create_recall(
    request: Request,
    format: Annotated[
        Literal["json", "csv", "xlsx"] | None,
        Query(description="json (default), or csv / xlsx: the FDA FSMA 204 sortable spreadsheet"),
    ] = None,
) -> Response:
    require(request, "trace")
    parsed = _parse(await request.body())
    if isinstance(parsed, str):
        return problem(400, BAD_REQUEST, "Bad recall request", parsed)
    ids, own = parsed
    kind = _wanted(request, format)
    try:
        found, answer = await run_in_threadpool(_recall, trace_index(request), ids, own, kind == "json")
    except IdentifierError as exc:
        return problem(400, BAD_REQUEST, "Bad identifier", str(exc))
    if not found:
        return problem(
            404, NOT_FOUND, "Unknown identifiers", f"no stored event names any of: {', '.join(ids)}", ids=ids
        )
    if isinstance(answer, RecallReport):
        return _spreadsheet(answer, kind)
    return Response(answer, media_type="application/json")


def _recall(
    index: TraceIndex, ids: list[str], own: list[str], as_json: bool
) -> tuple[bool, RecallReport | bytes]:
    """(found, the report, or as JSON if `as_json`). As for a trace (`lotline.api.trace._trace_json`), the
    report's tens of thousands of objects are made, encoded and freed with the collector held off."""
    with collections_held():
        report = recall_impact(index, ids, own_parties=own, spreadsheet=not as_json)
        if not as_json or not report.found:
            return report.found, report
        body = orjson.dumps(report.as_json())
        del report
    return True, body
