"""`lotline serve --config` as an operator runs it: ready on /health, and SIGTERM stops it promptly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lotline.sim.ports import free_port
from tests.api.test_serve_config import config_file


def test_sigterm_stops_serve_with_a_config(tmp_path: Path) -> None:
    port = free_port()
    path = config_file(tmp_path, "sqlite:///serve.db", "signal", port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTLINE")}
    command = [sys.executable, "-m", "lotline.cli", "serve", "--config", str(path)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.communicate()[1].decode()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not become ready"
            time.sleep(0.1)
        assert response.json()["runner"]["state"] == "running"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode in (0, -signal.SIGTERM), stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
    assert (tmp_path / "serve.db").is_file()  # the database is relative to the config file
