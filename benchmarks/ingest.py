"""MQTT ingest: lotline's sustained MQTT-to-stored-event rate and its end-to-end latency at fixed offered
loads, next to a minimal paho subscriber that only INSERTs payloads (the floor) and Node-RED running an
equivalent flow, on the same private broker in the same run.

    .venv/bin/python benchmarks/ingest.py [--messages 100000] [--loads 500,1000,2000] [--seconds 10]
        [--workdir benchmarks/out] [--no-node-red] [--record docs/benchmarks.md]

Every message is a filler "lot finished" record in plain JSON (benchmarks/ingest_peers.py) that becomes one
EPCIS ObjectEvent (commissioning of the lot's quantity). lotline: MqttSource (QoS 1, persistent session,
PUBACK only after the inbox commit, ids from the `message-id` user property) -> Runner -> the mapper below
-> validation, identity, CBV 2.0 event hash, dedupe -> SQLite (WAL). The publisher is a separate process.

1. Sustained rate: lotline's and the baseline's sessions are created (subscribed, then offline); a publisher
   puts M messages into both sessions; then lotline drains its session into a fresh database, timed from
   start until M events are stored; then the baseline drains its copy. Ratio = lotline / baseline.
2. Latency at fixed offered loads (each for `--seconds`): the publisher stamps `sent` (unix time) into each
   message right before publishing it. lotline: latency = the commit of the transaction that wrote the event
   - sent (the event's record time is stamped just before that transaction; the commit time is taken
   from the connection's return to the pool, which follows the commit). Baseline: commit - sent. Node-RED
   (mqtt in QoS 1 -> function building the same EPCIS event -> http request POST, keep-alive) posting to a
   small HTTP sink in this process: arrival of the whole request - sent. Loss = published - received.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import platform
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_peers import (
    ID_PROPERTY,
    Baseline,
    HttpSink,
    install_node_red,
    mosquitto,
    node_red,
    publisher_command,
)

from lotline.connectors.base import Message
from lotline.connectors.mqtt import MqttConfig, MqttSource
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.store.engine import open_engine

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Ingest"
SETTINGS = RunnerSettings(batch_size=500, batch_wait=0.005, queue_size=2000)
RECEIVE_MAXIMUM = 2000  # unacknowledged messages in flight to lotline (4 batches)
WARM_UP = 1.0  # seconds of each offered load that run before the measured ones (same load, not counted)


def mapping_mapper(spec: str) -> Callable[[Message], Sequence[Mapping[str, Any]]]:
    """`--mapping template:filler-lot-commissioning`: the shipped declarative (JSONata) mapping instead of
    the Python function, i.e. what a plant configures; its topic filter is plant/+/filler/+/lot."""
    from lotline.mapping import load_mapping

    return load_mapping(spec)


def to_epcis(message: Message) -> list[dict[str, Any]]:
    """The mapping: one filler record -> one EPCIS ObjectEvent (the Node-RED function builds the same)."""
    d = orjson.loads(message.payload)
    when = datetime.fromtimestamp(d["ts"] / 1000, UTC)
    return [
        {
            "type": "ObjectEvent",
            "eventTime": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "eventTimeZoneOffset": "+00:00",
            "epcList": [],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
            "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
            "quantityList": [
                {
                    "epcClass": f"urn:epc:class:lgtin:4012345.{d['itemRef']}.{d['lot']}",
                    "quantity": d["count"],
                    "uom": "EA",
                }
            ],
            "ilmd": {"cbvmda:bestBeforeDate": d["bestBefore"], "cbvmda:lotNumber": d["lot"]},
        }
    ]


# The mapper lotline runs: the Python function above, or a declarative mapping (--mapping).
MAPPER: list[Callable[[Message], Sequence[Mapping[str, Any]]]] = [to_epcis]


# --- running the pieces ------------------------------------------------------------------------------------


def source_config(port: int, client_id: str, topic: str) -> MqttConfig:
    return MqttConfig.model_validate(
        {
            "name": "filler",
            "port": port,
            "client_id": client_id,
            "topics": [topic],
            "id_property": ID_PROPERTY,
            "receive_maximum": RECEIVE_MAXIMUM,
        }
    )


def run_publisher(port: int, topic: str, count: int, rate: float, prefix: str) -> dict[str, float]:
    done = subprocess.run(
        publisher_command(port, topic, count, rate, prefix), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"publisher failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class LotlineRun:
    seconds: float
    stored: int
    latencies: list[tuple[str, float]]  # (message id, seconds)
    counters: Mapping[str, object]


async def run_lotline(
    db: Path, port: int, client_id: str, topic: str, expect: int, timeout: float, publish: list[str] | None
) -> LotlineRun:
    """Run lotline until `expect` events are stored (publishing with `publish` meanwhile, if given)."""
    engine = open_engine(f"sqlite:///{db}")
    commits: list[int] = []  # microseconds; a connection goes back to the pool right after its commit
    event.listen(engine, "checkin", lambda *_: commits.append(time.time_ns() // 1000))
    source = MqttSource(source_config(port, client_id, topic))
    runner = Runner(engine, {"filler": source}, MAPPER[0], SETTINGS)
    stop = asyncio.Event()
    started = time.perf_counter()
    await source.connect()  # subscribed before anything is published
    task = asyncio.create_task(runner.run(stop))
    publisher = await asyncio.create_subprocess_exec(*publish) if publish else None
    deadline = time.monotonic() + timeout
    try:
        while runner.counters.total.stored + runner.counters.total.dead_lettered < expect:
            if task.done():
                task.result()
            if time.monotonic() > deadline:
                print(f"lotline: timed out: {runner.counters.snapshot()}", file=sys.stderr)
                break
            await asyncio.sleep(0.005)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        if publisher is not None:
            await publisher.wait()
    latencies = commit_latencies(db, sorted(commits))
    engine.dispose()
    return LotlineRun(seconds, runner.counters.total.stored, latencies, runner.counters.snapshot())


def commit_latencies(db: Path, commits: Sequence[int]) -> list[tuple[str, float]]:
    """For each stored event: (message id, the first commit at or after its record time - `sent`)."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT i.message_id, e.record_time, i.payload FROM events e JOIN inbox i "
        "ON i.source = e.source AND i.message_id = e.source_message_id"
    ).fetchall()
    con.close()
    out = []
    for message_id, record_time, raw in rows:
        k = bisect.bisect_left(commits, record_time)
        committed = commits[k] if k < len(commits) else record_time
        out.append((str(message_id), committed / 1e6 - orjson.loads(raw)["sent"]))
    return out


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max in milliseconds."""
    if not values:
        return float("nan"), float("nan"), float("nan")
    v = sorted(values)

    def pick(q: float) -> float:  # nearest rank
        return v[min(len(v) - 1, int(q * len(v)))]

    return pick(0.50) * 1000, pick(0.99) * 1000, v[-1] * 1000


# --- the measurements --------------------------------------------------------------------------------------


def sustained(
    port: int, work: Path, messages: int
) -> tuple[float, float, dict[str, float], Mapping[str, object]]:
    """(lotline msg/s, baseline msg/s, publisher figures, lotline counters) draining M queued messages."""
    topic = "plant/p1/filler/sustained/lot"
    baseline = Baseline(port, work / "sustained-baseline.db", topic, "bench-baseline-sustained")
    lotline_db = work / "sustained-lotline.db"

    async def create_session() -> None:
        source = MqttSource(source_config(port, "bench-lotline-sustained", topic))
        await source.connect()
        await source.close()

    asyncio.run(create_session())
    baseline.create_session()
    published = run_publisher(port, topic, messages, 0, "s")
    print(
        f"published {messages:,} messages at {published['rate']:,.0f}/s into both sessions", file=sys.stderr
    )
    run = asyncio.run(run_lotline(lotline_db, port, "bench-lotline-sustained", topic, messages, 600, None))
    if run.stored != messages:
        raise SystemExit(f"lotline stored {run.stored} of {messages}: {run.counters}")
    seconds = baseline.run_until(messages, 300)
    if baseline.rows != messages:
        raise SystemExit(f"baseline stored {baseline.rows} of {messages}")
    return messages / run.seconds, messages / seconds, published, run.counters


@dataclass
class LoadRow:
    load: int
    system: str
    published: int
    received: int
    latencies: list[tuple[str, float]]  # (message id, seconds), warm-up messages included

    def cells(self) -> str:
        measured = [s for mid, s in self.latencies if int(mid.rsplit("-", 1)[1]) >= WARM_UP * self.load]
        p50, p99, worst = percentiles(measured)
        loss = self.published - self.received
        return (
            f"| {self.load:,} | {self.system} | {self.published:,} | {self.received:,} | {loss:,} "
            f"| {p50:.1f} | {p99:.1f} | {worst:.1f} |"
        )


def at_load(port: int, work: Path, load: int, seconds: float, red: Path | None) -> list[LoadRow]:
    count = int(load * (seconds + WARM_UP))
    rows = []
    topic = f"plant/p1/filler/load{load}/lot"
    publish = publisher_command(port, topic, count, load, f"l{load}")

    db = work / f"load{load}-lotline.db"
    run = asyncio.run(run_lotline(db, port, f"bench-lotline-{load}", topic, count, seconds + 60, publish))
    rows.append(LoadRow(load, "lotline", count, run.stored, run.latencies))

    baseline = Baseline(port, work / f"load{load}-baseline.db", topic + "b", f"bench-baseline-{load}")
    baseline.create_session()  # subscribed before anything is published
    proc = subprocess.Popen(publisher_command(port, topic + "b", count, load, f"b{load}"))
    baseline.run_until(count, seconds + 60)
    proc.wait()
    rows.append(LoadRow(load, "baseline (paho + INSERT)", count, baseline.rows, baseline.latencies()))

    if red is not None:
        with HttpSink() as sink, node_red(red, work, port, topic + "n", sink.port) as version:
            run_publisher(port, topic + "n", count, load, f"n{load}")
            quiet, seen, deadline = time.monotonic(), 0, time.monotonic() + 120
            while (
                time.monotonic() - quiet < 10 and len(sink.received) < count and time.monotonic() < deadline
            ):
                if len(sink.received) > seen:  # still delivering its backlog: wait (lost = never arrived)
                    seen, quiet = len(sink.received), time.monotonic()
                time.sleep(0.1)
            got = {mid: received - sent for mid, sent, received in sink.received}
            rows.append(LoadRow(load, f"Node-RED {version}", count, len(got), list(got.items())))
    return rows


# --- reporting --------------------------------------------------------------------------------------------


def cpu_pressure() -> float:
    """Microseconds during which some runnable task waited for a CPU (Linux PSI; 0 where unavailable)."""
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return 0.0
    return float(first.rsplit("total=", 1)[1])


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    model = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{cpus} x {model}"


METHOD = f"""{SECTION}

`python benchmarks/ingest.py --messages M --loads 500,1000,2000 --seconds 10 --record docs/benchmarks.md`

Messages are filler "lot finished" records in plain JSON (one EPCIS ObjectEvent each), published QoS 1 with
a `message-id` user property by a separate publisher process, through a private Mosquitto on a loopback
port (`max_queued_messages 0`, `max_inflight_messages 0`). lotline: `MqttSource` (persistent session,
PUBACK only after the inbox commit, receive maximum {RECEIVE_MAXIMUM}) -> `Runner` (batch {SETTINGS.batch_size}, wait
{SETTINGS.batch_wait * 1000:g} ms) -> a Python mapper (the equivalent of Node-RED's function node) -> GS1 validation,
identity, CBV 2.0 hash, dedupe -> SQLite (WAL, synchronous=NORMAL): inbox, events, settled rows.
Baseline: a paho subscriber (automatic PUBACK) whose writer thread INSERTs the raw payloads every ~5 ms
(executemany, one commit), same SQLite settings: the floor. Node-RED: `mqtt in` (QoS 1, JSON) ->
`function` (the same EPCIS event) -> `http request` (POST, keep-alive) to an HTTP sink in the benchmark.

Sustained: M messages are queued in lotline's and the baseline's sessions first, then each drains its
session; rate = M / time until all are stored. Latency: offered load for 1 + N seconds (the first second
is a warm-up, left out of the percentiles, not of the loss); lotline = commit of
the event's transaction - `sent` stamped by the publisher; baseline = commit - sent; Node-RED = arrival of
the POST at the sink - sent. Loss = published - stored (received, for Node-RED).
"""


def report(
    messages: int,
    rates: tuple[float, float] | None,
    published_rate: float | None,
    rows: list[LoadRow],
    note: str,
) -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    database = f"SQLite {sqlite3.sqlite_version} (WAL)"
    out = (
        [f"### {today}, {machine()}, {database}", "", note, ""]
        if note
        else [f"### {today}, {machine()}, {database}", ""]
    )
    if rates is not None:
        ours, floor = rates
        out += [
            "| M | lotline msg/s stored | baseline msg/s | ratio | publisher msg/s |",
            "|---:|---:|---:|---:|---:|",
            f"| {messages:,} | {ours:,.0f} | {floor:,.0f} | {ours / floor:.2f} | {published_rate or 0:,.0f} |",
            "",
        ]
    if rows:
        out += [
            "| offered msg/s | system | published | stored / received | lost | p50 ms | p99 ms | max ms |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
            *(r.cells() for r in rows),
            "",
        ]
    return "\n".join(out)


def reflow(text: str, width: int = 106) -> str:
    """Paragraphs of prose filled to `width` (headings, tables and command lines as they are)."""
    return "\n\n".join(
        para if para.startswith(("`", "|", "#")) else textwrap.fill(" ".join(para.split()), width)
        for para in text.split("\n\n")
    )


def record(path: Path, block: str) -> None:
    """Append `block` at the end of the `## Ingest` section of `path` (the section is created if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = text.rstrip("\n").splitlines()
    if SECTION not in lines:
        lines += ["", *reflow(METHOD).rstrip("\n").splitlines()]
    start = lines.index(SECTION)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    lines[end:end] = ["", *block.rstrip("\n").splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="sustained-rate burst (default 100000)")
    parser.add_argument("--loads", default="500,1000,2000", help="offered loads in msg/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each offered load")
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--no-node-red", action="store_true", help="leave Node-RED out")
    parser.add_argument(
        "--mapping", help="map with this mapping file or template (e.g. template:filler-lot-commissioning)"
    )
    parser.add_argument("--no-sustained", action="store_true", help="measure the offered loads only")
    parser.add_argument(
        "--note", default="", help="a line recorded above the tables (e.g. the machine's load)"
    )
    parser.add_argument("--record", type=Path, help="append the results to this Markdown file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mapping:
        MAPPER[0] = mapping_mapper(args.mapping)
    loads = [int(x) for x in args.loads.split(",") if x.strip()]
    work: Path = args.workdir / "ingest"
    if work.exists():
        for old in work.glob("*.db*"):
            old.unlink()
    work.mkdir(parents=True, exist_ok=True)
    red = None if args.no_node_red else install_node_red(args.workdir)
    load_before = os.getloadavg()[0]
    pressure_before, wall_before = cpu_pressure(), time.monotonic()
    rates = None
    published_rate = None
    rows: list[LoadRow] = []
    with mosquitto(work / "broker") as port:
        if not args.no_sustained:
            ours, floor, published, counters = sustained(port, work, args.messages)
            rates, published_rate = (ours, floor), published["rate"]
            print(
                f"sustained: lotline {ours:,.0f} msg/s, baseline {floor:,.0f} msg/s ({counters})",
                file=sys.stderr,
            )
        for load in loads:
            for row in at_load(port, work, load, args.seconds, red):
                print(row.cells(), file=sys.stderr)
                rows.append(row)
    stalled = (cpu_pressure() - pressure_before) / 1e6 / (time.monotonic() - wall_before)
    note = args.note or (
        f"Shared machine: load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after the run; "
        f"some runnable task waited for a CPU {stalled:.0%} of the run (/proc/pressure/cpu)."
    )
    if red is None and not args.no_node_red:
        note += " Node-RED could not be installed: not measured."
    block = report(args.messages, rates, published_rate, rows, note)
    print(block)
    if args.record:
        record(args.record, block)
        print(f"recorded in {args.record}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
