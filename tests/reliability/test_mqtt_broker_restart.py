"""Restart the broker in the middle of a stream: nothing lost, nothing stored twice.

The private Mosquitto runs with persistence on; it is stopped with SIGTERM (it saves its sessions, with the
messages queued and in flight in them) and started again on the same port twice during a burst of N
messages (N = LOTLINE_RELIABILITY_MESSAGES). lotline's MQTT source and the publisher reconnect by
themselves; the broker redelivers what lotline had not PUBACKed, the publisher sends again what the broker
had not confirmed, and the inbox recognises every repeat by its message id.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import MESSAGES, Mosquitto, Processes
from tests.reliability.publisher import message_id
from tests.reliability.store import done_count, state, stored_ids, wait_for

pytestmark = pytest.mark.reliability
ID_WIDTH = len(message_id(0)) + 1


def test_broker_restarts_mid_stream_lose_and_duplicate_nothing(
    mosquitto: Mosquitto, processes: Processes, tmp_path: Path
) -> None:
    db, acked = tmp_path / "lotline.db", tmp_path / "acked.txt"
    acked.touch()
    started = time.monotonic()
    worker = processes.start(
        "worker",
        "tests.reliability.worker",
        f"sqlite:///{db}",
        str(mosquitto.port),
        "restart-lotline",
        str(acked),
    )
    processes.wait_line(worker, b"up")
    publisher = processes.start(
        "publisher", "tests.reliability.publisher", str(mosquitto.port), str(MESSAGES)
    )
    restarted_at: list[int] = []
    for share in (3, 2):  # after a third, then after half of the burst is acknowledged
        wait_for(
            lambda share=share: acked.stat().st_size >= ID_WIDTH * (MESSAGES // share),  # type: ignore[misc]
            timeout=60,
            what=lambda: f"{acked.stat().st_size // ID_WIDTH} acknowledged; {processes.stderr(worker)}",
        )
        restarted_at.append(acked.stat().st_size // ID_WIDTH)
        mosquitto.restart()
    assert publisher.wait(90) == 0, processes.stderr(publisher)
    wait_for(lambda: done_count(db) >= MESSAGES, timeout=90, what=lambda: str(state(db)))
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0, processes.stderr(worker)
    assert worker.stdout is not None
    counters = json.loads(worker.stdout.read().decode().split()[-1])["total"]

    s = state(db)
    assert s.events == s.distinct_hashes == s.distinct_message_ids == MESSAGES, s
    assert s.inbox == {"pending": 0, "done": MESSAGES, "dead": 0}, s
    assert s.inbox_distinct == MESSAGES and s.dead_letters == 0, s
    assert stored_ids(db) == {message_id(i) for i in range(MESSAGES)}
    assert mosquitto.restarts == 2
    print(
        f"\n{MESSAGES:,} messages, broker restarted at {restarted_at[0]:,} and {restarted_at[1]:,} acknowledged: "
        f"lotline received {counters['received']:,} ({counters['received'] - MESSAGES:,} repeats, "
        f"{counters['redelivered']:,} of them already done); total {time.monotonic() - started:.1f} s"
    )
