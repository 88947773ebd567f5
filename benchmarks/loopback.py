"""Loopback ports for the benchmarks that start servers (the ingest peers, `lotline serve` for traces)."""

from __future__ import annotations

import socket
import subprocess
import time
from contextlib import suppress
from typing import Any

from lotline.sim.ports import free_port

__all__ = ["free_port", "wait_port"]


def wait_port(port: int, timeout: float, process: subprocess.Popen[Any] | None = None) -> None:
    """Until something listens on `port`; exits with a message after `timeout` s, or when `process` ends."""
    deadline = time.monotonic() + timeout
    while True:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")
        time.sleep(0.05)
