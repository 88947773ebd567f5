"""`lotline deliver` end to end: a routes file, a real receiver, SIGINT stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from lotline.connectors.webhook import verify_lotline_signature
from tests.outbound.conftest import capture, event, run
from tests.outbound.receiver import Receiver

ROUTES = """\
outbound:
  poll_interval: 0.1
  queue_poll: 0.05
  routes:
    - name: erp
      match: {biz_steps: [shipping]}
      target: {kind: webhook, config: {url: "%s", secret: "${TEST_HOOK_SECRET}"}}
      ordering: lot
"""


def test_deliver_runs_the_routes_of_a_file_until_interrupted(tmp_path: Path) -> None:
    from lotline.store.engine import open_engine

    db_url = f"sqlite:///{tmp_path / 'lotline.db'}"
    engine = open_engine(db_url)

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        routes = tmp_path / "outbound.yaml"
        routes.write_text(ROUTES % receiver.url)
        command = [sys.executable, "-m", "lotline.cli", "deliver", "--routes", str(routes), "--db", db_url]
        env = {**os.environ, "TEST_HOOK_SECRET": "from-the-environment"}
        child = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
        try:
            assert child.stderr is not None
            line = await asyncio.wait_for(asyncio.to_thread(child.stderr.readline), 20)
            assert b"delivering: 1 route" in line, line
            capture(engine, [event(1), event(2, biz_step="receiving"), event(3)])
            await receiver.until(2)
        finally:
            child.send_signal(signal.SIGINT)
            code = await asyncio.to_thread(child.wait, 20)
            if child.stderr is not None:
                child.stderr.close()
            await receiver.stop()
        assert code == 0
        assert len(receiver.posts) == 2
        post = receiver.posts[0]
        stamp, signature = post.headers["x-lotline-timestamp"], post.headers["x-lotline-signature"]
        assert verify_lotline_signature("from-the-environment", stamp, post.body, signature)

    run(body)
