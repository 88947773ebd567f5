"""Control tower page latency over a generated plant history: does each page answer in under 1 s?

    .venv/bin/python benchmarks/ui.py [--events 1000000] [--repeat 5] [--workdir benchmarks/out] [--reuse]

1. `lotline.sim` writes N events of the two-plant history and `lotline import` stores them in a fresh SQLite
   database (not timed; `--reuse` keeps a database of the same size from an earlier run, and a trace
   benchmark database `trace-N.db` is reused too).
2. The app (FastAPI, in-process ASGI client, signed in with a key of every scope through the sign-in form)
   serves each page: the first request is reported apart ("cold": it builds the trace index or starts the
   completeness check), then `--repeat` requests give the median and the worst.
3. Pages: overview (1 h, 24 h and 7 d windows, and the body the page refreshes), trace explorer (the
   heaviest supplier lot, a finished lot, a pallet), node details, recall workbench and its FSMA 204 XLSX,
   events browser (first page, a filtered page, the next page, an event's detail) and exceptions.

The overview counts what was captured in its window by record time: right after the import every event is
in the 7 d window (and in the 1 h one when the import took under an hour), which is the worst case.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from trace import machine, prepare_database  # noqa: E402  (benchmarks/trace.py)


def pick(conn: Any, sql: str) -> str:
    row = conn.exec_driver_sql(sql).first()
    if row is None:
        raise SystemExit(f"no identifier for: {sql}")
    return str(row[1] or row[0])


def pages(engine: Any, client: Any) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        heavy = pick(
            conn,
            "SELECT key, MIN(raw) FROM event_epcs WHERE role = 'n' GROUP BY key ORDER BY COUNT(*) DESC LIMIT 1",
        )
        lot = pick(
            conn, "SELECT key, raw FROM event_epcs WHERE role = 't' ORDER BY event DESC LIMIT 1 OFFSET 500"
        )
        pallet = pick(
            conn, "SELECT key, raw FROM event_epcs WHERE role = 'p' ORDER BY event DESC LIMIT 1 OFFSET 500"
        )
    listing = client.get("/ui/events?EQ_bizStep=shipping&orderBy=eventTime").text
    next_url = re.search(r'id="next-page" href="([^"]+)"', listing)
    detail = re.search(r'href="(/ui/events/detail\?id=[^"]+)"', listing)
    q = lambda value: quote(value, safe="")  # noqa: E731
    return [
        ("overview, 1 h", "/ui/"),
        ("overview, 24 h", "/ui/?window=24h"),
        ("overview, 7 d", "/ui/?window=7d"),
        ("overview refresh (body)", "/ui/overview/body?window=1h"),
        ("trace: heaviest supplier lot, forward", f"/ui/trace?id={q(heavy)}"),
        ("trace: finished lot, backward", f"/ui/trace?id={q(lot)}&direction=backward"),
        ("trace: pallet, forward", f"/ui/trace?id={q(pallet)}"),
        ("trace: node details", f"/ui/trace/node?id={q(lot)}"),
        ("recall workbench: finished lot", f"/ui/recall?ids={q(lot)}"),
        ("recall workbench: heaviest supplier lot", f"/ui/recall?ids={q(heavy)}"),
        ("FSMA 204 XLSX: finished lot", f"/ui/recall/download?ids={q(lot)}&format=xlsx"),
        ("events: first page", "/ui/events"),
        ("events: shipping by event time", "/ui/events?EQ_bizStep=shipping&orderBy=eventTime"),
        ("events: next page", next_url.group(1).replace("&amp;", "&") if next_url else "/ui/events"),
        ("event detail", detail.group(1).replace("&amp;", "&") if detail else "/ui/events"),
        ("exceptions", "/ui/exceptions"),
    ]


def warm_up(app: Any) -> None:
    """What the sign-in page starts in the background, step by step and timed."""
    from lotline.epcis.timefmt import now_micros
    from lotline.ui import scores
    from lotline.ui.overview import tally_of

    for name, step in (
        ("capture counts (7 days by minute)", lambda: tally_of(app).refresh(app.state.engine, now_micros())),
        ("trace index build", lambda: scores.trace_index_of(app).refresh()),
        ("completeness check", lambda: scores.latest(app, wait=0)[1].worker.join()),  # type: ignore[union-attr]
    ):
        started = time.perf_counter()
        step()
        print(f"warm-up: {name:36s} {time.perf_counter() - started:8.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a database of this size from an earlier run"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    trace_db = args.workdir / f"trace-{args.events}.db"
    db = (
        trace_db
        if args.reuse and trace_db.exists()
        else prepare_database(args.events, args.workdir, args.reuse)
    )

    from fastapi.testclient import TestClient

    from lotline.api.app import create_app
    from lotline.store.engine import open_engine
    from lotline.store.keys import create_key

    engine = open_engine(f"sqlite:///{db}")
    _, token = create_key(engine, "ui-benchmark", frozenset({"capture", "query", "trace", "admin"}))
    app = create_app(engine)
    print(f"{machine()}, {args.events:,} events, SQLite, {db.name}")
    warm_up(app)
    with TestClient(app) as client:
        assert client.post("/ui/login", data={"api_key": token}).status_code == 200
        rows = []
        for name, url in pages(engine, client):
            started = time.perf_counter()
            first = client.get(url)
            cold = time.perf_counter() - started
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                answer = client.get(url)
                times.append(time.perf_counter() - started)
            size = len(answer.content)
            flag = "" if median(times) < 1 else "  <-- over 1 s"
            rows.append((name, first.status_code, cold, median(times), max(times), size, flag))
            print(
                f"{name:42s} {first.status_code} cold {cold * 1000:8.0f} ms  p50 {median(times) * 1000:7.0f} ms"
                f"  max {max(times) * 1000:7.0f} ms  {size / 1024:8.0f} KiB{flag}",
                flush=True,
            )
    print(
        "\n| page | status | first request ms | median ms | worst ms | size KiB |\n|---|---:|---:|---:|---:|---:|"
    )
    for name, status, cold, mid, worst, size, _ in rows:
        print(
            f"| {name} | {status} | {cold * 1000:.0f} | {mid * 1000:.0f} | {worst * 1000:.0f} | {size / 1024:.0f} |"
        )


if __name__ == "__main__":
    main()
