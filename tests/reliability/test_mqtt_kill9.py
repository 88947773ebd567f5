"""kill -9 lotline in the middle of a burst of MQTT messages, restart it: every message lotline acknowledged
is stored, and every published message is stored exactly once.

A worker process (Runner + MqttSource, persistent session with a fixed client id, SQLite file) reads a burst
of N QoS 1 messages (N = LOTLINE_RELIABILITY_MESSAGES, default 100,000) that a publisher process sends,
each with a unique `message-id` user property. Once a third of the burst is acknowledged, the worker is
SIGKILLed; while it is down the publisher keeps sending into the session. A new worker with the same client
id resumes: the broker redelivers what was never PUBACKed, the inbox recognises what was already kept.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import MESSAGES, Mosquitto, Processes
from tests.reliability.publisher import message_id
from tests.reliability.store import done_count, inbox_ids, state, stored_ids, wait_for

pytestmark = pytest.mark.reliability
ID_WIDTH = len(message_id(0)) + 1  # bytes per line of the acknowledgement file


def test_kill_9_mid_burst_stores_every_message_exactly_once(
    mosquitto: Mosquitto, processes: Processes, tmp_path: Path
) -> None:
    db, acked = tmp_path / "lotline.db", tmp_path / "acked.txt"
    acked.touch()
    worker_args = (
        "tests.reliability.worker",
        f"sqlite:///{db}",
        str(mosquitto.port),
        "kill9-lotline",
        str(acked),
    )
    started = time.monotonic()

    first = processes.start("worker", *worker_args)
    processes.wait_line(first, b"up")
    publisher = processes.start(
        "publisher", "tests.reliability.publisher", str(mosquitto.port), str(MESSAGES)
    )
    wait_for(
        lambda: acked.stat().st_size >= ID_WIDTH * (MESSAGES // 3) or first.poll() is not None,
        timeout=60,
        what=lambda: f"{acked.stat().st_size // ID_WIDTH} acknowledged; {processes.stderr(first)}",
    )
    assert first.poll() is None, processes.stderr(first)
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    killed_at = time.monotonic() - started

    # Every message lotline acknowledged (so the broker may have forgotten it) is in the inbox.
    acknowledged = set(acked.read_text().split())
    assert MESSAGES // 3 <= len(acknowledged) < MESSAGES, "the kill must land mid-burst"
    missing = acknowledged - inbox_ids(db)
    assert not missing, f"acknowledged but not kept: {sorted(missing)[:10]} ({len(missing)})"

    second = processes.start("worker", *worker_args)
    processes.wait_line(second, b"up")
    assert publisher.wait(90) == 0, processes.stderr(publisher)
    wait_for(lambda: done_count(db) >= MESSAGES, timeout=90, what=lambda: str(state(db)))
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0, processes.stderr(second)
    assert second.stdout is not None
    counters = json.loads(second.stdout.read().decode().split()[-1])["total"]

    s = state(db)
    assert s.events == s.distinct_hashes == s.distinct_message_ids == MESSAGES, s
    assert s.inbox == {"pending": 0, "done": MESSAGES, "dead": 0}, s
    assert s.inbox_distinct == MESSAGES and s.dead_letters == 0, s
    assert stored_ids(db) == {message_id(i) for i in range(MESSAGES)}
    assert acknowledged <= stored_ids(db)
    print(
        f"\n{MESSAGES:,} messages: killed after {killed_at:.1f} s with {len(acknowledged):,} acknowledged; "
        f"the restarted worker received {counters['received']:,}, of which {counters['redelivered']:,} "
        f"redelivered and {counters['processed'] - counters['received'] + counters['redelivered']:,} "
        f"crash leftovers processed from the inbox; total {time.monotonic() - started:.1f} s"
    )
