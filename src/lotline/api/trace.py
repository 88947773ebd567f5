"""lotline's own API, /api/v1: traces."""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.auth import require
from lotline.api.problems import problem
from lotline.epcis.timefmt import parse_time
from lotline.errors import IdentifierError
from lotline.trace.collector import collections_held
from lotline.trace.index import TraceIndex

router = APIRouter(prefix="/api/v1", tags=["Traceability"])

BAD_REQUEST = "https://lotline.dev/problems/bad-request"
NOT_FOUND = "https://lotline.dev/problems/not-found"


_making = threading.Lock()
log = logging.getLogger("lotline.trace")


def index_of(app: Starlette) -> TraceIndex:
    """The app's one trace index (`app.state.trace_index`: traces, recalls, the UI), made on first use."""
    index: TraceIndex | None = getattr(app.state, "trace_index", None)
    if index is None:
        with _making:  # the start-up warm-up and a first request may ask at the same time
            index = getattr(app.state, "trace_index", None)
            if index is None:
                index = app.state.trace_index = TraceIndex(app.state.engine)
    return index


def trace_index(request: Request) -> TraceIndex:
    return index_of(request.app)


def warm(app: Starlette) -> threading.Thread:
    """Build the trace index in the background now (a minute or more at a million events), so the first
    trace after the server starts does not wait for all of it. Traces meanwhile wait for the build."""

    def build() -> None:
        started = time.perf_counter()
        log.info("trace index: building from the stored events in the background")
        try:
            added = index_of(app).refresh()
        except Exception:  # the first trace tries again and reports what fails
            log.exception("trace index: the background build failed; traces will build it on demand")
            return
        log.info("trace index: ready, %s events in %.1f s", f"{added:,}", time.perf_counter() - started)

    thread = app.state.trace_index_build = threading.Thread(
        target=build, name="lotline-trace-index", daemon=True
    )
    thread.start()
    return thread


def index_state(app: Starlette) -> dict[str, Any]:
    """For /health: `building` (at start-up, with the events indexed so far), `ready`, or `not built` (it is
    built by the first trace); traces wait while it builds, nothing else does."""
    index: TraceIndex | None = getattr(app.state, "trace_index", None)
    build: threading.Thread | None = getattr(app.state, "trace_index_build", None)
    if build is not None and build.is_alive():
        return {"state": "building", "events": 0 if index is None else index.indexed}
    if index is None:
        return {"state": "not built", "events": 0}
    return {"state": "ready", "events": index.indexed}


@router.get(
    "/trace/{direction}", summary="Forward or backward trace of a lot, serial, container or any identifier"
)
async def trace(
    request: Request,
    direction: Literal["forward", "backward"],
    id: Annotated[str, Query(description="The identifier: EPC URN or GS1 Digital Link")],
    max_depth: Annotated[int | None, Query(ge=0, description="Hops from the root at most")] = None,
    since: Annotated[str | None, Query(description="Only events at or after this date-time")] = None,
    until: Annotated[str | None, Query(description="Only events before this date-time")] = None,
) -> Response:
    require(request, "trace")
    try:
        window = [parse_time(v) if v else None for v in (since, until)]
    except IdentifierError as exc:
        return problem(400, BAD_REQUEST, "Bad time window", f"since/until: {exc}")
    try:
        body = await run_in_threadpool(
            _trace_json, trace_index(request), direction, id, max_depth, window[0], window[1]
        )
    except IdentifierError as exc:
        return problem(400, BAD_REQUEST, "Bad identifier", f"id: {exc}")
    if body is None:
        return problem(404, NOT_FOUND, "Unknown identifier", f"no stored event names {id!r}")
    return Response(body, media_type="application/json")


def _trace_json(
    index: TraceIndex, direction: str, root: str, max_depth: int | None, since: int | None, until: int | None
) -> bytes | None:
    """The trace as JSON (`TraceResult.json`), None if no event names the root. The result's thousands of
    objects are made, encoded and freed with the collector held off (`collections_held`): let back on while
    they lived, its first young collection would walk them all for nothing."""
    with collections_held():
        result = index.trace(direction, root, max_depth=max_depth, since=since, until=until)
        body = result.json() if result.found else None
        del result
    return body
