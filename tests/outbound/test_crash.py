"""Crash mid-delivery: the delivering process is killed after the target received a POST but before the
delivery step was checkpointed. The restarted process repeats that POST with the same Idempotency-Key, so
a target honouring the key applies every event exactly once (the at-least-once + idempotency-key contract
in docs/outbound.md)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.outbound.conftest import capture, event, run
from tests.outbound.receiver import Received, Receiver

REPO = Path(__file__).resolve().parents[2]


async def _spawn(db_url: str, target: str) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.outbound.child", db_url, target],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert child.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 20)
    assert line.strip() == b"ready", line
    return child


def _close(child: subprocess.Popen[bytes]) -> None:
    if child.stdout is not None:
        child.stdout.close()


def test_a_crash_between_the_post_and_the_checkpoint_never_applies_an_event_twice(tmp_path: Path) -> None:
    from lotline.store.engine import open_engine

    db_url = f"sqlite:///{tmp_path / 'lotline.db'}"
    engine = open_engine(db_url)
    capture(engine, [event(n) for n in range(3)])

    async def body() -> None:
        receiver = Receiver()
        victim: list[subprocess.Popen[bytes]] = []

        def crash(post: Received) -> None:
            if len(receiver.posts) == 1:  # the first POST arrived: kill the sender before it hears back
                os.kill(victim[0].pid, signal.SIGKILL)

        receiver.on_post = crash
        await receiver.start()
        try:
            first = await _spawn(db_url, receiver.url)
            victim.append(first)
            await asyncio.wait_for(asyncio.to_thread(first.wait), 20)
            _close(first)
            assert first.returncode == -signal.SIGKILL
            second = await _spawn(db_url, receiver.url)
            try:
                await receiver.until(3, timeout=20)
                await asyncio.sleep(0.3)
            finally:
                second.terminate()
                await asyncio.to_thread(second.wait)
                _close(second)
        finally:
            await receiver.stop()
        keys = receiver.keys()
        assert len(receiver.applied) == 3, "every event is applied, once (the receiver dedupes on the key)"
        assert keys.count(keys[0]) == 2, "the interrupted POST was repeated with the same Idempotency-Key"
        # other deliveries in flight at the kill are repeated too, never more than once each
        assert all(keys.count(key) <= 2 for key in keys)
        for key in set(keys):
            assert len({p.body for p in receiver.posts if p.key == key}) == 1, "a repeat sends the same body"

    run(body, timeout=55)
