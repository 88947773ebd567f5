"""lotline's own API, /api/v1: completeness checks (the genealogy gaps a recall falls into)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.auth import require
from lotline.api.problems import problem
from lotline.api.trace import BAD_REQUEST, NOT_FOUND, trace_index
from lotline.errors import IdentifierError
from lotline.trace.completeness import CompletenessReport, Rule, check

router = APIRouter(prefix="/api/v1", tags=["Traceability"])


@router.get(
    "/completeness",
    summary="Genealogy gaps a recall falls into: findings with the events involved, and a score per plant",
)
async def completeness(
    request: Request,
    plant: Annotated[
        str | None,
        Query(description="Only this plant's findings: its SGLN or GLN, as an EPC URN or GS1 Digital Link"),
    ] = None,
    rule: Annotated[Rule | None, Query(description="Only this rule's findings")] = None,
) -> Response:
    """Every rule over the whole event history (events declared in error excluded). `score` (overall and per
    plant) is the share of identifiers, 0-100 rounded down, without a finding; see docs/completeness.md."""
    require(request, "trace")
    report = await run_in_threadpool(_report, request)
    try:
        report = report.filtered(plant=plant, rule=rule)
    except IdentifierError as exc:
        return problem(400, BAD_REQUEST, "Bad plant", f"plant: {exc}")
    except KeyError as exc:
        return problem(404, NOT_FOUND, "Unknown plant", str(exc.args[0]))
    return Response(orjson.dumps(report.as_json()), media_type="application/json")


def _report(request: Request) -> CompletenessReport:
    """The check over every stored event, computed again only when events were captured since the last one
    (a control tower may poll this; the check reads the whole event table)."""
    index = trace_index(request)
    index.refresh()
    cached: CompletenessReport | None = getattr(request.app.state, "completeness", None)
    if cached is not None and cached.checked_up_to == index.graph.last_pk:
        return cached
    report = request.app.state.completeness = check(index)
    return report
