"""Forward traces while the trace snapshot is retaken, against the same traces without a retake.

    .venv/bin/python benchmarks/retake.py [--events 1000000] [--after 100000] [--workdir benchmarks/out]
        [--reuse]

1. The database of `benchmarks/trace.py` (generated and imported unless `--reuse` finds one of this size).
2. A trace index is built in this process from all but the last `--after` events, with its snapshot; then
   the rest is indexed, which makes the snapshot stale, and the retake it asks for is held back.
3. Baseline: forward traces of 100 random lots from the stale snapshot, caught up, with no retake running.
4. lotline: the retake runs on its own thread (as in `lotline serve`) while the same lots are traced back
   to back, one trace at a time, until it is installed: the p50/p95/max of those traces, how many ran and
   how long the retake took. With traces back to back the retake gets only what they leave of the process.
5. The same 100 traces again on the new snapshot.

The numbers are in docs/trace.md ("How it is kept"). In-process, not through HTTP: this measures how the
retake and the traces share the interpreter, not the API.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lotline.store.engine import open_engine
from lotline.trace.facts import Light
from lotline.trace.index import TraceIndex

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))  # for benchmarks/trace.py's own import of loopback.py
# benchmarks/trace.py by its path ("trace" alone is also a module of the standard library)
_spec = importlib.util.spec_from_file_location("trace_benchmark", HERE / "trace.py")
assert _spec is not None and _spec.loader is not None
trace_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(trace_benchmark)


def summary(label: str, ms: list[float]) -> str:
    ms = sorted(ms)
    return (
        f"{label}: {len(ms)} traces, p50 {ms[len(ms) // 2]:.1f} ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms,"
        f" max {ms[-1]:.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--after", type=int, default=100_000, help="events indexed after the snapshot")
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--reuse", action="store_true", help="reuse a database of this size")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = trace_benchmark.prepare_database(args.events, args.workdir, args.reuse)

    index = TraceIndex(open_engine(f"sqlite:///{db}", migrate=False))
    cap = [args.events - args.after]
    read = index._read

    def capped(after: int) -> list[Light]:
        return [light for light in read(after) if light.pk <= cap[0]]

    index._read = capped  # type: ignore[method-assign]
    started = time.perf_counter()
    index.refresh()
    print(f"index of the first {cap[0]:,} events with its snapshot: {time.perf_counter() - started:.1f} s")
    held: list[Callable[[], None]] = []
    index.start_retake = held.append
    cap[0] = 2**62
    index._seen = None  # read again although nothing was committed since
    started = time.perf_counter()
    added = index.refresh()
    print(f"{added:,} more events indexed: {time.perf_counter() - started:.1f} s; the retake is held back")
    if not held:
        raise SystemExit("the snapshot did not ask for a retake: --after must be over a tenth of --events")

    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT key, raw FROM event_epcs WHERE role = 'n' AND key LIKE '%/10/%' LIMIT 20000"
    ).fetchall()
    random.Random(3).shuffle(rows)
    lots = [raw or key for key, raw in rows[:100]]

    def traced(roots: list[str]) -> list[float]:
        out = []
        for root in roots:
            t0 = time.perf_counter()
            index.trace("forward", root)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    print(summary("no retake running (stale snapshot, caught up)", traced(lots)))
    done = threading.Event()
    took: list[float] = []

    def retake() -> None:
        t0 = time.perf_counter()
        held[0]()
        took.append(time.perf_counter() - t0)
        done.set()

    threading.Thread(target=retake, name="lotline-trace-snapshot", daemon=True).start()
    during: list[float] = []
    n = 0
    while not done.is_set():
        during += traced([lots[n % len(lots)]])
        n += 1
    print(summary(f"during the retake ({took[0]:.1f} s)", during))
    print(summary("on the new snapshot", traced(lots)))


if __name__ == "__main__":
    main()
