"""Capture throughput: `lotline import` against a plain INSERT of the same events, same database, same run.

    .venv/bin/python benchmarks/capture.py [--events 100000] [--db sqlite | postgresql+psycopg://user@host/db]
        [--workdir benchmarks/out] [--batch-size 5000] [--record docs/benchmarks.md] [--baseline-only] [--keep]

1. `lotline.sim.write_documents` writes N events of the generated two-plant history as EPCISDocument
   files of 10,000 events each (not timed).
2. lotline: `python -m lotline.cli import <dir> --db <fresh database>`, timed wall clock as a whole:
   process start, imports, migrations, reading and parsing, validation, identity, hashing, indexing and
   commits. It must exit 0 (nothing rejected).
3. Baseline, on the same kind of database, also fresh: read and parse the same files (orjson), write
   each event back as JSON text and INSERT it with `executemany` into a table (id integer primary key,
   doc text), in batches of the same size, one transaction per batch. This is the floor: what keeping
   the events costs with no validation, identity, hashing or indexing.
4. One Markdown row: machine, date, database, N, lotline events/s, baseline events/s, lotline/baseline;
   with `--record FILE` it is appended to the `## Capture` table of FILE (created if missing).

SQLite runs use fresh files in the work folder, with the pragmas lotline uses (WAL, synchronous=NORMAL).
PostgreSQL runs use two fresh schemas on the server named by the URL, dropped afterwards.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
EVENTS_PER_FILE = 10_000
SECTION = "## Capture"
TABLE_HEADER = (
    "| machine | date | database | N | lotline events/s | baseline events/s | ratio |\n"
    "|---|---|---|---:|---:|---:|---:|\n"
)
METHOD = f"""{SECTION}

`python benchmarks/capture.py --events N --db sqlite|postgresql://... --record docs/benchmarks.md`

lotline: the wall-clock time of the whole `lotline import <folder> --db <fresh database>` command
(process start, migrations, parsing, validation, identity, event hash, indexing, commits) over N events
of the generated two-plant history (`lotline.sim`, files of {EVENTS_PER_FILE:,} events). Baseline: the
same files read and parsed (orjson), each event written back as JSON text with a plain `executemany`
INSERT into a one-column table `(id integer primary key, doc text)`, in batches of the same size, one
transaction each, on the same kind of database (fresh), in the same run. Ratio = lotline / baseline.

{TABLE_HEADER}"""
INTRO = """# Benchmarks

Reproducible measurements, each against a baseline measured in the same run on the same machine, so
that the ratio means something even when the machines differ. The scripts live in `benchmarks/`; each
section says how its numbers are made, and `--record` appends a row.

"""


@dataclass
class Target:
    """Where one side of the benchmark writes: a SQLAlchemy URL for lotline, connection details for the
    baseline."""

    url: str  # SQLAlchemy URL
    sqlite_path: Path | None = None
    pg_conninfo: str | None = None
    pg_schema: str | None = None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="how many events (default 100000)")
    parser.add_argument(
        "--db", default="sqlite", help="sqlite (fresh files in the work folder) or a PostgreSQL URL"
    )
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--batch-size", type=int, default=5000, help="events per transaction, both sides")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--record", type=Path, help="append the result row to this Markdown file")
    parser.add_argument("--baseline-only", action="store_true", help="measure the baseline alone")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and databases")
    args = parser.parse_args(argv)
    if args.events < 1 or args.batch_size < 1:
        parser.error("--events and --batch-size must be at least 1")
    if args.db != "sqlite" and not re.match(r"postgres(ql)?(\+psycopg)?://", args.db):
        parser.error("--db must be 'sqlite' (the benchmark makes fresh files) or a postgresql:// URL")
    if args.record and args.baseline_only:
        parser.error("--record needs the lotline measurement: drop --baseline-only")
    return args


def require_lotline_import() -> None:
    """Fail early, and clearly, when the `lotline import` command cannot run in this checkout."""
    for module in ("lotline.cli", "lotline.importer"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise SystemExit(
                f"benchmarks/capture.py: `lotline import` is not available ({module}: {exc}).\n"
                "Measure the baseline alone with --baseline-only until it is."
            ) from None


# --- databases ---------------------------------------------------------------------------------------


def _psycopg_conninfo(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


@contextmanager
def fresh_databases(db: str, workdir: Path, keep: bool) -> Iterator[tuple[Target, Target, str]]:
    """(lotline target, baseline target, database label), both empty; removed afterwards unless keep."""
    if db == "sqlite":
        paths = [workdir / "capture-lotline.db", workdir / "capture-baseline.db"]
        _remove_sqlite(paths)
        try:
            yield (
                Target(f"sqlite:///{paths[0].resolve()}", sqlite_path=paths[0]),
                Target(f"sqlite:///{paths[1].resolve()}", sqlite_path=paths[1]),
                f"SQLite {sqlite3.sqlite_version} (WAL)",
            )
        finally:
            if not keep:
                _remove_sqlite(paths)
        return
    import psycopg

    conninfo = _psycopg_conninfo(db)
    token = secrets.token_hex(4)
    schemas = [f"bench_lotline_{token}", f"bench_baseline_{token}"]
    with psycopg.connect(conninfo, autocommit=True) as admin:
        row = admin.execute("SHOW server_version").fetchone()
        version = str(row[0]).split()[0] if row else "?"
        for schema in schemas:
            admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in db else "?"
    base = "postgresql+psycopg://" + conninfo.removeprefix("postgresql://")
    try:
        yield (
            Target(
                f"{base}{sep}options=-csearch_path%3D{schemas[0]}", pg_conninfo=conninfo, pg_schema=schemas[0]
            ),
            Target(
                f"{base}{sep}options=-csearch_path%3D{schemas[1]}", pg_conninfo=conninfo, pg_schema=schemas[1]
            ),
            f"PostgreSQL {version}",
        )
    finally:
        if not keep:
            with psycopg.connect(conninfo, autocommit=True) as admin:
                for schema in schemas:
                    admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _remove_sqlite(paths: list[Path]) -> None:
    for path in paths:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- the two measurements ----------------------------------------------------------------------------


def run_lotline(folder: Path, target: Target, batch_size: int) -> float:
    """Seconds taken by the whole `lotline import` command; exits if it fails or rejects anything."""
    command = [sys.executable, "-m", "lotline.cli", "import", str(folder), "--db", target.url]
    help_text = subprocess.run(
        [sys.executable, "-m", "lotline.cli", "import", "--help"], capture_output=True, text=True, check=False
    ).stdout
    if "--batch-size" in help_text:
        command += ["--batch-size", str(batch_size)]
    else:
        print(
            f"(lotline import has no --batch-size: it uses its own default, not {batch_size})",
            file=sys.stderr,
        )
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    sys.stderr.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` exited with {done.returncode}: the measurement is void")
    return elapsed


def _batches(files: list[Path], batch_size: int) -> Iterator[list[tuple[str]]]:
    """The events of the files as 1-tuples of JSON text, in batches; reading and parsing included."""
    for path in files:
        events: list[Any] = orjson.loads(path.read_bytes())["epcisBody"]["eventList"]
        for start in range(0, len(events), batch_size):
            yield [(orjson.dumps(event).decode(),) for event in events[start : start + batch_size]]


def run_baseline(files: list[Path], target: Target, batch_size: int) -> tuple[float, int]:
    """Seconds taken by the plain executemany INSERT of every event, and the rows counted afterwards."""
    if target.sqlite_path is not None:
        con = sqlite3.connect(target.sqlite_path, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("CREATE TABLE baseline_events (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
            started = time.perf_counter()
            for rows in _batches(files, batch_size):
                con.execute("BEGIN")
                con.executemany("INSERT INTO baseline_events (doc) VALUES (?)", rows)
                con.execute("COMMIT")
            elapsed = time.perf_counter() - started
            count = con.execute("SELECT count(*) FROM baseline_events").fetchone()[0]
        finally:
            con.close()
        return elapsed, int(count)
    import psycopg

    assert target.pg_conninfo is not None
    with psycopg.connect(target.pg_conninfo, options=f"-csearch_path={target.pg_schema}") as pg:
        pg.execute(
            "CREATE TABLE baseline_events (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, doc text NOT NULL)"
        )
        pg.commit()
        started = time.perf_counter()
        with pg.cursor() as cursor:
            for rows in _batches(files, batch_size):
                cursor.executemany("INSERT INTO baseline_events (doc) VALUES (%s)", rows)
                pg.commit()
        elapsed = time.perf_counter() - started
        row = pg.execute("SELECT count(*) FROM baseline_events").fetchone()
    return elapsed, int(row[0]) if row else 0


# --- reporting ---------------------------------------------------------------------------------------


def machine() -> str:
    """`4 x Intel(R) Xeon(R) ...`: usable CPUs (as nproc counts them) and the CPU model."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model
            )
    except OSError:
        pass
    return f"{cpus} x {model}"


def row(database: str, n: int, lotline: float | None, baseline: float) -> str:
    today = datetime.now(UTC).date().isoformat()
    ours = f"{lotline:,.0f}" if lotline is not None else "—"
    ratio = f"{lotline / baseline:.2f}" if lotline is not None else "—"
    return f"| {machine()} | {today} | {database} | {n:,} | {ours} | {baseline:,.0f} | {ratio} |"


def record(path: Path, line: str) -> None:
    """Append `line` to the table under `## Capture` in `path`, creating the file or section if needed."""
    text = path.read_text(encoding="utf-8") if path.exists() else INTRO
    if SECTION not in text.splitlines():
        text = text.rstrip("\n") + "\n\n" + METHOD + line + "\n"
    else:
        lines = text.splitlines()
        start = lines.index(SECTION)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1  # after the section's last row, before the blank lines that end it
        lines.insert(end, line)
        text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.baseline_only:
        require_lotline_import()
    from lotline.sim import write_documents

    workdir: Path = args.workdir
    folder = workdir / f"capture-{args.events}-events"
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    files = write_documents(folder, args.events, events_per_file=EVENTS_PER_FILE, seed=args.seed)
    took = time.perf_counter() - started
    print(f"generated {args.events:,} events in {len(files)} files in {took:.1f} s", file=sys.stderr)
    try:
        with fresh_databases(args.db, workdir, args.keep) as (ours, theirs, database):
            lotline_rate = None
            if not args.baseline_only:
                lotline_rate = args.events / run_lotline(folder, ours, args.batch_size)
            seconds, stored = run_baseline(files, theirs, args.batch_size)
            if stored != args.events:
                raise SystemExit(f"baseline stored {stored} rows, expected {args.events}")
            baseline_rate = args.events / seconds
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    line = row(database, args.events, lotline_rate, baseline_rate)
    print(TABLE_HEADER + line)
    if args.record:
        record(args.record, line)
        print(f"recorded in {args.record}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
