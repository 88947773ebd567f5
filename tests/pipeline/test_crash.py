"""kill -9 during a burst, then restart: every acknowledged message is stored, and exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from lotline.connectors.memory import MemoryBroker, MemoryConfig, MemorySource
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.pipeline.stages import epcis_json
from lotline.store.events import count_events
from lotline.store.inbox import counts
from tests.pipeline.helpers import event_payload, run_until

REPO = Path(__file__).resolve().parents[2]
COUNT = 4000


def test_kill_9_during_a_burst_loses_nothing_acknowledged(
    engine: sa.Engine, db_url: str, tmp_path: Path
) -> None:
    acked_file = tmp_path / "acked.txt"
    acked_file.touch()
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.pipeline.crash_worker", db_url, str(acked_file), str(COUNT)],
        cwd=REPO,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while len(acked_file.read_text().splitlines()) < COUNT // 4:
            assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker acknowledged too little in 30 s"
            time.sleep(0.01)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        if worker.stderr:
            worker.stderr.close()
    acked = set(acked_file.read_text().splitlines())
    assert COUNT // 4 <= len(acked) < COUNT, "the kill must land mid-burst"

    # The broker redelivers what it never saw acknowledged; nothing else.
    broker = MemoryBroker()
    broker.publish("c", [event_payload(i) for i in range(COUNT)])
    for position in range(COUNT):
        if f"c/{position + 1}" in acked:
            broker.channel("c").ready.remove(position)
    runner = Runner(
        engine,
        {"line-1": MemorySource(MemoryConfig(channel="c", name="line-1"), broker)},
        epcis_json,
        RunnerSettings(batch_size=500, rescan_interval=0.05),
    )
    asyncio.run(run_until(runner, lambda: counts(engine)["done"] == COUNT, timeout=60))
    assert counts(engine) == {"pending": 0, "done": COUNT, "dead": 0}
    assert count_events(engine) == COUNT
    with engine.connect() as conn:
        distinct = conn.execute(sa.text("SELECT COUNT(DISTINCT event_hash) FROM events")).scalar_one()
    assert distinct == COUNT
