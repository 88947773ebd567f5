"""The simulated filling line for the OPC UA tests.

`line`: one simulated server (a real asyncua server on loopback, historizing every variable) for the
whole package; it runs in a thread of its own, so each test can run its body in its own event loop.
Tests may stop and start it (a server restart) but leave it running. The security tests start their
own server with logins and certificates.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lotline.sim.threaded import ThreadedLine
from tests.connectors.opcua.support import simulated_line


@pytest.fixture(scope="package")
def line() -> Iterator[ThreadedLine]:
    yield from simulated_line(history=True)
