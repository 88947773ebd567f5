"""Overview: captures per time bucket by plant and source, duplicates, rejections, DLQ size, lag from event
time to record time, and completeness per plant with its trend. The page swaps in a fresh body every few seconds."""

from __future__ import annotations

import logging
import threading
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lotline.api.trace import index_of
from lotline.epcis.timefmt import now_micros
from lotline.ui import dlq, metrics, scores
from lotline.ui.render import need, page, script_json
from lotline.ui.tally import Tally

router = APIRouter(prefix="/ui", include_in_schema=False)
REFRESH_SECONDS = 10


def _window(value: str | None) -> str:
    return value if value in metrics.WINDOWS else "1h"


def _data(request: Request, window: str) -> dict[str, Any]:
    data = metrics.overview(request.app.state.engine, window, tally=tally_of(request.app))
    report, state = scores.latest(request.app)
    data["completeness"] = (
        None
        if report is None
        else {
            "score": report.score,
            "events_checked": report.events_checked,
            "findings": len(report.findings),
            "plants": [p.as_json() for p in sorted(report.plants, key=lambda p: (-p.objects, p.plant))],
        }
    )
    if report is not None:
        metrics.rename(data, {p.site: p.plant for p in report.plants})
    data["completeness_error"] = state.error
    data["trend"] = state.trend
    plants = [p["plant"] for p in data["completeness"]["plants"]] if data["completeness"] else []
    data["plant_trend"] = {p: [point["plants"].get(p) for point in state.trend] for p in plants}
    data["dlq"] = _dlq_size(request)
    runtime = getattr(request.app.state, "runtime", None)  # `lotline serve --config`: the pipeline runner
    data["runner"] = runtime.runner.counters.snapshot() if runtime is not None else None
    if data["runner"] is not None:
        data["duplicates"] += data["runner"]["total"]["duplicates"]
    return data


def tally_of(app: FastAPI) -> Tally:
    tally: Tally | None = getattr(app.state, "ui_tally", None)
    if tally is None:
        tally = app.state.ui_tally = Tally()
    return tally


def warm_up(app: FastAPI) -> threading.Thread:
    """Read what the pages need before anyone asks (the capture counts, the trace index, the completeness
    check), in the background: started when the sign-in page is shown, so the first pages answer at once."""
    thread: threading.Thread | None = getattr(app.state, "ui_warm_up", None)
    if thread is None:

        def run() -> None:
            try:
                tally_of(app).refresh(app.state.engine, now_micros())
                index_of(app).refresh()
                scores.latest(app, wait=0)
            except Exception:  # the pages do the same work on demand, and report what fails
                logging.getLogger("lotline.ui").debug("warm-up failed", exc_info=True)

        thread = app.state.ui_warm_up = threading.Thread(target=run, daemon=True, name="ui-warm-up")
        thread.start()
    return thread


def _dlq_size(request: Request) -> int | None:
    return dlq.open_count(request.app.state.engine)


async def _context(request: Request, window: str | None, refresh: int | None = None) -> dict[str, Any]:
    need(request, "query")
    data = await run_in_threadpool(_data, request, _window(window))
    return {
        "title": "Overview",
        "data": data,
        "data_json": script_json(data),
        "windows": list(metrics.WINDOWS),
        "refresh": max(2, refresh) if refresh else REFRESH_SECONDS,
    }


@router.get("/")
async def overview_page(request: Request, window: str | None = None, refresh: int | None = None) -> Response:
    """`refresh`: seconds between updates (a wall display may want fewer; at least 2)."""
    return page(request, "overview.html", await _context(request, window, refresh))


@router.get("/overview/body")
async def overview_body(request: Request, window: str | None = None) -> Response:
    """The page's body alone: what the page's script swaps in every REFRESH_SECONDS."""
    return page(request, "overview_body.html", await _context(request, window))


@router.get("/overview.json")
async def overview_json(request: Request, window: str | None = None) -> Response:
    need(request, "query")
    data = await run_in_threadpool(_data, request, _window(window))
    return Response(orjson.dumps(data), media_type="application/json")
