"""The overview's numbers, from SQL over the events and capture jobs tables.

Every query is bounded by the record-time index (the window) or by a LIMIT, so the overview stays fast on
a large store: captures per time bucket by plant and source, duplicates and rejections from the capture
jobs, and the lag from event time to record time (p50/p95 per source over the latest events captured).
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, func, select

from lotline.epcis.timefmt import now_micros
from lotline.errors import IdentifierError
from lotline.store.schema import capture_jobs, events
from lotline.trace.completeness import UNKNOWN_PLANT, plant_key
from lotline.ui.tally import MINUTE, Tally

# window name -> (length in seconds, bucket in seconds)
WINDOWS = {"1h": (3600, 60), "24h": (86400, 900), "7d": (7 * 86400, 3600)}
MAX_SERIES = 6  # the busiest plant/source pairs get a line each; the rest share one
LAG_SAMPLE = 20_000  # lag percentiles over at most this many of the latest events in the window
_SECOND = 1_000_000


@lru_cache(maxsize=4096)
def plant_of(location: str | None) -> str:
    """The plant (site) key of a stored location (`lotline.trace.completeness.plant_key`); `rename` shows
    it as the completeness report does."""
    if not location:
        return UNKNOWN_PLANT
    try:
        return plant_key(location)
    except IdentifierError:
        return location


def rename(data: dict[str, Any], names: dict[str, str]) -> None:
    """Show plants by the names the completeness report uses (as first captured, e.g. an SGLN URN)."""
    for series in data["series"]:
        series["plant"] = names.get(series["plant"], series["plant"])
        if series["source"] != "any":
            series["label"] = f"{series['plant']} · {series['source']}"


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def overview(
    engine: Engine, window: str = "1h", now: int | None = None, tally: Tally | None = None
) -> dict[str, Any]:
    """The overview's numbers over the window ending `now`; `tally` keeps the per-minute counts between
    calls (a fresh one reads the whole window)."""
    length, bucket = WINDOWS[window]
    now = now if now is not None else now_micros()
    since = now - length * _SECOND
    first_bucket = since // (bucket * _SECOND)
    buckets = length // bucket + 1
    tally = tally if tally is not None else Tally()
    tally.refresh(engine, now)
    lags = (
        select(func.coalesce(events.c.source, events.c.interface), events.c.record_time - events.c.event_time)
        .where(events.c.record_time >= since)
        .order_by(events.c.record_time.desc())
        .limit(LAG_SAMPLE)
    )
    jobs = select(
        func.count(),
        func.coalesce(func.sum(capture_jobs.c.events_total), 0),
        func.coalesce(func.sum(capture_jobs.c.events_stored), 0),
        func.coalesce(func.sum(capture_jobs.c.events_duplicate), 0),
    ).where(capture_jobs.c.created_at >= since)
    with engine.connect() as conn:
        lag_rows = conn.execute(lags).all()
        job_count, job_total, job_stored, job_duplicates = conn.execute(jobs).one()
    series: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * buckets)
    for at, loc, source, plant, count in tally.snapshot(since // MINUTE):
        at_micros = at * MINUTE
        if at_micros < since:  # the minute the window starts in: counted if it began inside
            continue
        slot = at_micros // (bucket * _SECOND) - first_bucket
        if 0 <= slot < buckets:
            series[(plant or plant_of(loc), source)][slot] += count
    by_source: dict[str, list[float]] = defaultdict(list)
    for source, lag in lag_rows:
        by_source[source].append(lag / _SECOND)
    lag = [
        {"source": s, "events": len(v), "p50": percentile(v, 0.5), "p95": percentile(v, 0.95)}
        for s, v in sorted(by_source.items())
    ]
    captured = sum(sum(counts) for counts in series.values())
    ranked = sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    shown = [
        {"plant": p, "source": s, "label": f"{p} · {s}", "counts": c} for (p, s), c in ranked[:MAX_SERIES]
    ]
    if len(ranked) > MAX_SERIES:
        rest = [sum(column) for column in zip(*(c for _, c in ranked[MAX_SERIES:]), strict=True)]
        shown.append(
            {
                "plant": "other plants",
                "source": "any",
                "label": f"{len(ranked) - MAX_SERIES} more",
                "counts": rest,
            }
        )
    return {
        "window": window,
        "bucket_seconds": bucket,
        "times": [(first_bucket + i) * bucket for i in range(buckets)],
        "series": shown,
        "events_total": tally.total,
        "captured": captured,
        "capture_jobs": int(job_count),
        "duplicates": int(job_duplicates),
        "rejections": int(job_total) - int(job_stored) - int(job_duplicates),
        "lag": lag,
    }
