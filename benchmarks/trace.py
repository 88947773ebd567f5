"""Trace latency over a generated plant history, against two baselines over a plain edge table in the same run.

    .venv/bin/python benchmarks/trace.py [--events 1000000] [--traces 300] [--workdir benchmarks/out]
        [--reuse] [--repeat 3] [--record docs/benchmarks.md]

1. `lotline.sim` writes N events of the two-plant history (bulk silo/tank lots feeding many batches) and
   `lotline import` stores them in a fresh SQLite database (not timed here; `--reuse` keeps a database
   of the same size from an earlier run).
2. lotline: `lotline serve` runs on a free loopback port in its own process, as in production; it builds
   its trace index as it starts, and the first trace waits for it (build time: from the port opening to
   that first answer; memory: the server's resident memory then, less what it was at the port opening), then
   forward and backward traces run through HTTP (one keep-alive connection, key with the `trace` scope)
   from random roots (lots, serials, pallets) and from the heaviest lots (the most-consumed bulk
   ingredients). The latency is the client's: request sent to response body read.
3. Baselines over a plain edge table `bench_edges(src, dst)` in the same database (transformation input ->
   output, child -> container), indexed on src: the per-step walk that ERP traceability reports use (one
   SELECT per visited node) and one recursive SQL query (WITH RECURSIVE), from the same roots, forward.
4. The recall report for the heaviest lot, through `POST /api/v1/recalls` on the same server.
`--repeat N` runs each series N times (lotline, then the baselines, pass after pass) and reports the median
of the passes' percentiles, with the spread of lotline's p95: a single pass on a shared machine is noisy.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from statistics import median, quantiles
from typing import Any
from urllib.parse import urlencode

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import free_port, wait_port

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Trace"
TABLE = (
    "| machine | date | events | index build s | index RSS MB | kind of root | n | lotline p50 / p95 / p99 ms"
    " | per-step walk p50 / p95 ms | recursive SQL p50 / p95 ms |\n|---|---|---:|---:|---:|---|---:|---|---|---|\n"
)


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """Resident memory of a process now (VmRSS), or at its highest so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} x {model}"


def ms(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] if values else 0.0
        return v, v, v
    q = quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98]


def prepare_database(events: int, workdir: Path, reuse: bool) -> Path:
    db = workdir / f"trace-{events}.db"
    if reuse and db.exists():
        return db
    from lotline.sim import write_documents

    docs = workdir / f"trace-docs-{events}"
    for stale in [db, Path(f"{db}-wal"), Path(f"{db}-shm"), *workdir.glob(f"{db.name}.roots-*.json")]:
        stale.unlink(missing_ok=True)
    print(f"generating {events:,} events ...", flush=True)
    write_documents(docs, events, events_per_file=20_000, seed=3)
    print("importing ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lotline.cli", "import", str(docs), "--db", f"sqlite:///{db}"], check=True
    )
    print(f"imported in {time.perf_counter() - started:.0f} s", flush=True)
    return db


def build_edges(db: Path) -> None:
    conn = sqlite3.connect(db)
    if conn.execute("SELECT name FROM sqlite_master WHERE name='bench_edges'").fetchone():
        return
    conn.executescript(
        """
        CREATE TEMP TABLE ep AS SELECT event, role, key FROM event_epcs WHERE role IN ('i', 'n', 'o', 't', 'c', 'd', 'p');
        CREATE INDEX temp.ep_event ON ep (event, role);
        CREATE TABLE bench_edges (src TEXT NOT NULL, dst TEXT NOT NULL);
        INSERT INTO bench_edges
            SELECT i.key, o.key FROM ep i JOIN ep o ON o.event = i.event
            WHERE i.role IN ('i', 'n') AND o.role IN ('o', 't');
        INSERT INTO bench_edges
            SELECT c.key, p.key FROM ep c JOIN ep p ON p.event = c.event
            JOIN events e ON e.id = c.event
            WHERE c.role IN ('c', 'd') AND p.role = 'p' AND e.action = 'ADD';
        CREATE INDEX bench_edges_src ON bench_edges (src);
        """
    )
    conn.commit()
    conn.close()


def per_step_walk(conn: sqlite3.Connection, root: str) -> int:
    seen = {root}
    frontier = [root]
    while frontier:
        node = frontier.pop()
        for (dst,) in conn.execute("SELECT dst FROM bench_edges WHERE src = ?", (node,)):
            if dst not in seen:
                seen.add(dst)
                frontier.append(dst)
    return len(seen) - 1


def recursive_sql(conn: sqlite3.Connection, root: str) -> int:
    query = """WITH RECURSIVE reach(k) AS (SELECT ? UNION SELECT e.dst FROM bench_edges e JOIN reach r ON e.src = r.k)
               SELECT count(*) - 1 FROM reach"""
    return int(conn.execute(query, (root,)).fetchone()[0])


def pick_roots(db: Path, count: int, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """{kind: [(raw id, key)]}: random lots, serials and pallets, and the heaviest lots. Kept beside the
    database (`trace-N.db.roots-COUNT.json`) for the next `--reuse`: finding the heaviest lots scans every
    consumption (minutes at ten million events)."""
    kept = db.with_name(f"{db.name}.roots-{count}.json")
    if kept.exists():
        return {
            kind: [(raw, key) for raw, key in pairs]
            for kind, pairs in orjson.loads(kept.read_bytes()).items()
        }
    roots = _pick_roots(db, count, rng)
    kept.write_bytes(orjson.dumps(roots))
    return roots


def _pick_roots(db: Path, count: int, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    conn = sqlite3.connect(db)
    roots: dict[str, list[tuple[str, str]]] = {}
    heavy = conn.execute(
        "SELECT key, MAX(raw), COUNT(*) c FROM event_epcs WHERE role = 'n' GROUP BY key ORDER BY c DESC LIMIT 10"
    ).fetchall()
    roots["heaviest lots"] = [(raw or key, key) for key, raw, _ in heavy]
    for label, role, pattern in (
        ("lots", "n", "%/10/%"),
        ("serials", "o", "%/21/%"),
        ("pallets", "p", "%/00/%"),
    ):
        rows = conn.execute(
            "SELECT key, raw FROM event_epcs WHERE role = ? AND key LIKE ? LIMIT 20000", (role, pattern)
        ).fetchall()
        rng.shuffle(rows)
        roots[label] = [(raw or key, key) for key, raw in rows[: count // 3]]
    conn.close()
    return roots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--traces", type=int, default=300, help="random roots per run (split over kinds)")
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a database of this size from an earlier run"
    )
    parser.add_argument("--record", type=Path, help="append the result rows to this Markdown file")
    parser.add_argument(
        "--repeat", type=int, default=1, help="passes over each series; rows give the median of the passes"
    )
    parser.add_argument(
        "--recalls",
        type=int,
        default=5,
        help="timed recall reports of the heaviest lot (first, best, median)",
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)

    db = prepare_database(args.events, args.workdir, args.reuse)
    build_edges(db)
    roots = pick_roots(db, args.traces, rng)

    with _server(db) as (client, pid):
        before = rss_mb(pid)
        started = time.perf_counter()
        status, body = client.get("/api/v1/trace/forward", id=roots["serials"][0][0])
        assert status == 200, body
        build_s = time.perf_counter() - started
        index_mb = rss_mb(pid) - before
        print(
            f"index: {build_s:.1f} s, {index_mb:.0f} MB more resident memory ({rss_mb(pid):.0f} MB in all, "
            f"{rss_mb(pid, 'VmHWM'):.0f} MB at the peak of the build)"
        )
        rows = _traces(client, db, roots, args.events, build_s, index_mb, max(1, args.repeat))
        recall_line = recall_timing(client, roots["heaviest lots"][0][0], max(1, args.recalls))
        recall_line += (
            f"; the server's resident memory after all of it: {rss_mb(pid):.0f} MB (peak "
            f"{rss_mb(pid, 'VmHWM'):.0f} MB)"
        )
    print(recall_line)
    if args.record:
        record(args.record, rows, recall_line)


class _Client:
    """One keep-alive HTTP/1.1 connection (the standard library's: it adds the least of its own time to
    what is measured; httpx spends about 2 ms more reading a 750 KB trace) with the key on every request."""

    def __init__(self, port: int, key: str) -> None:
        # (the first trace waits for the build: 20 minutes and more at 10M events)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path: str, **params: str) -> tuple[int, bytes]:
        return self._send("GET", f"{path}?{urlencode(params)}" if params else path, None)

    def post(self, path: str, doc: Any) -> tuple[int, bytes]:
        return self._send("POST", path, orjson.dumps(doc))

    def _send(self, method: str, target: str, body: bytes | None) -> tuple[int, bytes]:
        headers = self.headers if body is None else {**self.headers, "Content-Type": "application/json"}
        for attempt in (1, 2):
            try:
                self.conn.request(method, target, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closes a connection idle for 5 s (uvicorn's keep-alive timeout): the baselines
                # between two series can take that long on a busy machine; connect again, once
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def fresh(self) -> None:
        """An untimed request first, so a series does not time a reconnection (see `_send`)."""
        self.get("/health")


@contextmanager
def _server(db: Path) -> Iterator[tuple[_Client, int]]:
    """`lotline serve` on a free port, a client with a `trace` key, and the server's pid."""
    env = {**os.environ, "LOTLINE_DB": f"sqlite:///{db}"}
    lotline = [sys.executable, "-m", "lotline.cli"]
    key = subprocess.run(
        [*lotline, "keys", "create", "--name", "bench", "--scope", "trace"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [*lotline, "serve", "--db", env["LOTLINE_DB"], "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_port(port, 30, server)  # the server is up within seconds
        yield _Client(port, key), server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def _traces(
    client: Any,
    db: Path,
    roots: dict[str, list[tuple[str, str]]],
    events: int,
    build_s: float,
    index_mb: float,
    repeat: int = 1,
) -> list[str]:
    """One row per kind of root and direction. With `repeat` > 1 each series runs that many passes (the
    lotline traces, then the baselines, pass after pass) and the row gives the median of the passes' p50, p95
    and p99, with the spread of the lotline p95 in the label: this machine's noise moves a single pass's p95
    by a millisecond or more."""
    conn = sqlite3.connect(db)
    rows: list[str] = []
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    for kind, pairs in roots.items():
        for direction in ("forward", "backward"):
            passes: list[tuple[float, float, float]] = []
            steps: list[tuple[float, float, float]] = []
            recursives: list[tuple[float, float, float]] = []
            sizes: list[int] = []
            for _ in range(repeat):
                timings: list[float] = []
                sizes.clear()
                client.fresh()
                for raw, _key in pairs:
                    t0 = time.perf_counter()
                    status, body = client.get(f"/api/v1/trace/{direction}", id=raw)
                    timings.append((time.perf_counter() - t0) * 1000)
                    assert status == 200, body
                    sizes.append(len(orjson.loads(body)["items"]))
                passes.append(ms(timings))
                if direction == "forward":
                    step: list[float] = []
                    recursive: list[float] = []
                    for _raw, key in pairs:
                        t0 = time.perf_counter()
                        per_step_walk(conn, key)
                        step.append((time.perf_counter() - t0) * 1000)
                        t0 = time.perf_counter()
                        recursive_sql(conn, key)
                        recursive.append((time.perf_counter() - t0) * 1000)
                    steps.append(ms(step))
                    recursives.append(ms(recursive))
            p = _median(passes)
            s = _median(steps) if steps else None
            r = _median(recursives) if recursives else None
            label = f"{kind}, {direction} (items p50 {ms([float(x) for x in sizes])[0]:.0f}, max {max(sizes)}"
            if repeat > 1:
                label += f"; p95 of the {repeat} passes {min(x[1] for x in passes):.1f}-{max(x[1] for x in passes):.1f}"
            label += ")"
            n = f"{len(pairs)}" if repeat == 1 else f"{len(pairs)} x {repeat}"
            row = (
                f"| {machine()} | {stamp} | {events:,} | {build_s:.1f} | {index_mb:.0f} | {label} | {n} "
                f"| {p[0]:.1f} / {p[1]:.1f} / {p[2]:.1f} "
                f"| {f'{s[0]:.1f} / {s[1]:.1f}' if s else 'n/a'} | {f'{r[0]:.1f} / {r[1]:.1f}' if r else 'n/a'} |"
            )
            print(row, flush=True)
            rows.append(row)
    conn.close()
    return rows


def _median(passes: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The median of each of the passes' (p50, p95, p99)."""
    return (
        median(x[0] for x in passes),
        median(x[1] for x in passes),
        median(x[2] for x in passes),
    )


def recall_timing(client: _Client, root: str, runs: int = 5) -> str:
    timings = []
    client.fresh()
    for _ in range(runs):
        t0 = time.perf_counter()
        status, body = client.post("/api/v1/recalls", {"ids": [root]})
        timings.append((time.perf_counter() - t0) * 1000)
        assert status == 200, body
    return (
        f"recall report for the heaviest lot ({root}), through POST /api/v1/recalls: "
        f"first {timings[0]:.0f} ms, best {min(timings):.0f} ms, median {median(timings):.0f} ms of {runs}"
    )


def record(path: Path, rows: list[str], recall_line: str | None) -> None:
    """Append the rows (and the recall line) at the end of the Trace section of `path`."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if SECTION not in text:
        text = (
            text.rstrip("\n")
            + f"\n\n{SECTION}\n\n`python benchmarks/trace.py --events N --record docs/benchmarks.md`\n\n{TABLE}"
        )
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    end = len(text) if end < 0 else end
    added = "\n".join(rows) + "\n" + (f"\n{recall_line}\n" if recall_line else "")
    path.write_text(text[:end].rstrip("\n") + "\n\n" + added + text[end:])


if __name__ == "__main__":
    main()
