"""lotline's own API for what EPCIS responses do not carry (scope `query`):

- GET /api/v1/operational-events: operational events (CloudEvents envelopes) with filters and paging;
- GET /api/v1/events/{eventID}/provenance: where a stored EPCIS event came from (kept out of /epcis so
  EPCIS responses stay standard).
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.auth import require
from lotline.api.problems import QUERY_PARAMETER, problem
from lotline.epcis.timefmt import parse_time
from lotline.errors import IdentifierError, NotFound
from lotline.store.operational import OperationalQuery, list_operational
from lotline.store.provenance import event_provenance

router = APIRouter(prefix="/api/v1", tags=["Operational events and provenance"])


def _json(doc: object) -> Response:
    return Response(orjson.dumps(doc), media_type="application/json")


@router.get("/operational-events", summary="Operational events in time order, with filters")
async def operational_events(
    request: Request,
    type: Annotated[
        str | None, Query(description="CloudEvents type, e.g. io.lotline.equipment.state.v1")
    ] = None,
    plant: Annotated[str | None, Query(description="Only this plant")] = None,
    correlation_id: Annotated[
        str | None, Query(alias="correlationId", description="Only this correlation id (order, lot)")
    ] = None,
    subject: Annotated[str | None, Query(description="Only this subject (order, equipment, lot)")] = None,
    since: Annotated[
        str | None, Query(description="Events at or after this time (ISO 8601 with offset)")
    ] = None,
    until: Annotated[str | None, Query(description="Events before this time")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    after: Annotated[str | None, Query(description="Page cursor: the `next` link sets it")] = None,
) -> Response:
    require(request, "query")
    try:
        window = [parse_time(v) if v is not None else None for v in (since, until)]
        cursor = _cursor(after) if after is not None else None
    except (IdentifierError, ValueError) as exc:
        return problem(400, QUERY_PARAMETER, "Bad request", f"since/until/after: {exc}")
    query = OperationalQuery(type, plant, correlation_id, subject, window[0], window[1], cursor, limit)
    rows = await run_in_threadpool(list_operational, request.app.state.engine, query)
    doc: dict[str, object] = {"operationalEvents": [envelope for _, _, envelope in rows]}
    if len(rows) == limit:
        last_time, last_id = rows[-1][0], rows[-1][1]
        doc["next"] = str(request.url.include_query_params(after=f"{last_time}.{last_id}"))
    return _json(doc)


def _cursor(value: str) -> tuple[int, int]:
    time, _, row_id = value.partition(".")
    try:
        return int(time), int(row_id)
    except ValueError:
        raise ValueError(f"after={value!r} is not a cursor from a `next` link") from None


@router.get("/events/{event_id:path}/provenance", summary="Where a stored EPCIS event came from")
async def provenance(request: Request, event_id: str) -> Response:
    require(request, "query")
    records = await run_in_threadpool(event_provenance, request.app.state.engine, event_id)
    if not records:
        raise NotFound(f"no stored event has the eventID {event_id!r}")
    return _json({"eventID": event_id, "provenance": records})
