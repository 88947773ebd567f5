"""Mosquitto for the MQTT and Sparkplug tests.

`broker`: the shared Mosquitto named by LOTLINE_TEST_MQTT_URL (default mqtt://127.0.0.1:1883). Unreachable,
the tests skip with the reason, or fail when LOTLINE_REQUIRE_SERVICES=1 (CI). Each test uses its own topic
prefix and client ids, so tests never see each other's messages.

`private_broker`: a Mosquitto of this test alone, on a free loopback port with a temporary config and
persistence directory, that the test may stop and restart (the shared one is never restarted).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lotline.sim.ports import free_port

REQUIRE_SERVICES = os.environ.get("LOTLINE_REQUIRE_SERVICES") == "1"
MQTT_URL = os.environ.get("LOTLINE_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"LOTLINE_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


@pytest.fixture(scope="session")
def broker() -> Broker:
    parts = urlsplit(MQTT_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 1883
    if not _reachable(host, port):
        _unavailable(
            f"Mosquitto is not reachable at {MQTT_URL} (start it: mosquitto -d -c /etc/mosquitto/mosquitto.conf)"
        )
    return Broker(host, port)


@pytest.fixture
def prefix() -> str:
    """A topic prefix (and client id stem) of this test alone."""
    return f"lotline-test/{secrets.token_hex(6)}"


@dataclass
class PrivateBroker:
    """A Mosquitto process of one test: `restart()` stops it (SIGTERM: it saves its sessions) and starts it."""

    directory: Path
    lines: list[str]
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        conf = self.directory / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "persistence true",
                    f"persistence_location {self.directory}/",
                    "user root",
                    f"log_dest file {self.directory}/mosquitto.log",
                    *self.lines,
                ]
            )
            + "\n"
        )
        out = self.directory / "mosquitto.out"
        with out.open("ab") as sink:
            self.process = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=sink, stderr=sink)
        deadline = time.monotonic() + 5
        while not _reachable(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                logs = [p.read_text() for p in (out, self.directory / "mosquitto.log") if p.exists()]
                pytest.fail(f"private mosquitto did not start: {' '.join(logs)}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[Callable[..., PrivateBroker]]:
    """Start a private Mosquitto with extra config lines: `private_broker("allow_anonymous true")`."""
    if shutil.which("mosquitto") is None:
        _unavailable("the mosquitto executable is not installed (apt-get install mosquitto)")
    started: list[PrivateBroker] = []

    def start(*lines: str) -> PrivateBroker:
        b = PrivateBroker(tmp_path / f"broker{len(started)}", list(lines))
        b.directory.mkdir()
        started.append(b)
        b.start()
        return b

    yield start
    for b in started:
        b.stop()
