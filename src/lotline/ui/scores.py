"""The completeness report for the pages, computed off the request path, with the score trend.

The check reads the whole event history, so a page never waits for it long: when events were captured
since the last report, a background thread computes the next one and the page shows the last one (or
waits briefly for the first). Each new report adds a point to the trend of every plant's score; the trend
lives in the serving process (it restarts with the server).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from lotline.api.trace import index_of
from lotline.epcis.timefmt import now_micros
from lotline.store.schema import events
from lotline.trace.completeness import CompletenessReport, check

TREND_POINTS = 200
_WAIT_SECONDS = 0.6
# The check reads every event (minutes at a million; traces in the process go first, but it keeps a core
# busy), so on a busy store it runs at most once a minute, and never more than a tenth of the time: the next
# may start CHECK_SHARE times as long after the last started as the last took.
MIN_INTERVAL_SECONDS = 60.0
CHECK_SHARE = 10.0


@dataclass
class Scores:
    trend: list[dict[str, Any]] = field(default_factory=list)  # {"at": micros, "score": n, "plants": {...}}
    worker: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    error: str | None = None
    started: float = 0.0  # monotonic time the last check started
    took: float = 0.0  # seconds the last check took


def _state(app: FastAPI) -> Scores:
    scores: Scores | None = getattr(app.state, "ui_scores", None)
    if scores is None:
        scores = app.state.ui_scores = Scores()
    return scores


def _compute(app: FastAPI, scores: Scores) -> None:
    began = time.monotonic()
    try:
        index = index_of(app)
        report: CompletenessReport = check(index)
        app.state.completeness = report  # shared with GET /api/v1/completeness
        point = {
            "at": now_micros(),
            "score": report.score,
            "plants": {p.plant: p.score for p in report.plants},
        }
        with scores.lock:
            scores.trend = [*scores.trend, point][-TREND_POINTS:]
            scores.error = None
    except Exception as exc:  # shown on the page; the next request tries again
        scores.error = f"{type(exc).__name__}: {exc}"
    finally:
        scores.took = time.monotonic() - began


def latest(app: FastAPI, wait: float = _WAIT_SECONDS) -> tuple[CompletenessReport | None, Scores]:
    """The newest report there is (None while the first is computed) and the trend; starts a new
    computation when events were captured since the last report."""
    scores = _state(app)
    report: CompletenessReport | None = getattr(app.state, "completeness", None)
    with app.state.engine.connect() as conn:
        last = conn.execute(select(func.max(events.c.id))).scalar() or 0
    stale = report is None or report.checked_up_to < last
    now = time.monotonic()
    due = report is None or now - scores.started >= max(MIN_INTERVAL_SECONDS, CHECK_SHARE * scores.took)
    with scores.lock:
        if stale and due and (scores.worker is None or not scores.worker.is_alive()):
            scores.started = now
            scores.worker = threading.Thread(
                target=_compute, args=(app, scores), daemon=True, name="ui-scores"
            )
            scores.worker.start()
        worker = scores.worker
    if stale and worker is not None and wait > 0:
        worker.join(wait)
        report = getattr(app.state, "completeness", None)
    return report, scores
