"""Reliability tests: real processes, a private Mosquitto, a SQLite file, kill -9 and broker restarts.

Select them with `pytest -m reliability` (or leave them out with `-m "not reliability"`). The burst size is
LOTLINE_RELIABILITY_MESSAGES (default 100,000, the figure issue #4 asks for).

Every test starts its own Mosquitto on a free loopback port with a temporary config (never the shared
broker on 1883): `max_queued_messages 0`, because Mosquitto silently drops QoS 1 messages for a slow or
offline client past its default of 1,000 queued messages, and `persistence true` so that a restart keeps
the sessions and the messages queued in them. Brokers and child processes are stopped even on failure.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lotline.sim.ports import free_port

REPO = Path(__file__).resolve().parents[2]
MESSAGES = int(os.environ.get("LOTLINE_RELIABILITY_MESSAGES", "100000"))
REQUIRE_SERVICES = os.environ.get("LOTLINE_REQUIRE_SERVICES") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: crash, broker restart and dead-letter tests with real processes (slow)"
    )


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Mosquitto:
    """A Mosquitto of one test. `restart()` stops it with SIGTERM (it saves sessions and queued messages to
    its persistence file) and starts it again on the same port."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self, timeout: float = 20.0) -> None:
        conf = self.directory / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.directory}/\n"
            "max_queued_messages 0\n"  # never drop QoS 1 messages for a lagging or offline subscriber
            "max_inflight_messages 0\n"  # the subscriber's receive maximum is the only in-flight bound
            "user root\n"
            f"log_dest file {self.directory}/mosquitto.log\n"
        )
        with (self.directory / "mosquitto.out").open("ab") as out:
            self.process = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=out, stderr=out)
        deadline = time.monotonic() + timeout
        while not reachable(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"private mosquitto did not start: {self.log()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1

    def log(self) -> str:
        path = self.directory / "mosquitto.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    if shutil.which("mosquitto") is None:
        if REQUIRE_SERVICES:
            pytest.fail("LOTLINE_REQUIRE_SERVICES=1 but the mosquitto executable is not installed")
        pytest.skip("the mosquitto executable is not installed (apt-get install mosquitto)")
    broker = Mosquitto(tmp_path / "broker")
    broker.directory.mkdir()
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


class Processes:
    """Child processes of one test (`python -m ...` from the repository), killed at the end whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        err = (self.logs / f"{name}.{len(self.started)}.err").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=err
        )
        err.close()
        self.started.append(process)
        return process

    def stderr(self, process: subprocess.Popen[bytes]) -> str:
        index = self.started.index(process)
        found = sorted(self.logs.glob(f"*.{index}.err"))
        return found[0].read_text(errors="replace")[-3000:] if found else ""

    def wait_line(self, process: subprocess.Popen[bytes], expected: bytes, timeout: float = 30.0) -> None:
        """Wait for a line on the child's stdout (a blocking read, bounded by killing the child)."""
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while (remaining := deadline - time.monotonic()) > 0:
            if not select.select([process.stdout], [], [], remaining)[0]:
                break
            line = process.stdout.readline()
            if line.strip() == expected or not line:
                break
        assert line.strip() == expected, f"no {expected!r} from the child: {self.stderr(process)}"

    def cleanup(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait()
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    children = Processes(tmp_path)
    try:
        yield children
    finally:
        children.cleanup()
