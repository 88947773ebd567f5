"""What a connector test supplies so the shared suites can drive its connector.

A harness talks to the connector's real service (or, for the memory connector, to its in-process broker):
it builds connectors with the right config, injects messages into the service and reads what the service
received. The suites never touch a transport directly, so the same cases run in memory and live.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from lotline.connectors import Sink, Source


class SourceHarness(ABC):
    """Drives one Source kind. Every test gets a fresh harness (a fresh topic/channel/stream)."""

    #: The `Message.source` value the harness's sources stamp on every message.
    source_name: str = ""
    #: Seconds any single step may take before the test fails (reads, connects, checks).
    timeout: float = 5.0
    #: True when the transport keeps publish order (the read test then compares sequences, not sets).
    ordered: bool = True

    async def start(self) -> None:
        """Called inside the test's event loop before the test body (open admin clients, create topics)."""
        return None

    async def stop(self) -> None:
        """Called inside the test's event loop after the test body, even when it failed."""
        return None

    @abstractmethod
    async def make_source(self) -> Source:
        """A new, unconnected source on this harness's topic. Two sources made by one harness share one
        durable subscription (consumer group, persistent session, ...), so what one leaves unacknowledged
        the next one gets again."""

    @abstractmethod
    async def publish(self, payloads: Sequence[bytes]) -> None:
        """Put these payloads, in this order, into the service where the source reads them."""

    async def make_unreachable_source(self) -> Source:
        """A source configured for a service that is not there (closed port, wrong host, broker down)."""
        raise NotImplementedError("exempt 'check_unreachable' or implement make_unreachable_source")


class SinkHarness(ABC):
    """Drives one Sink kind. Every test gets a fresh harness."""

    timeout: float = 5.0

    async def start(self) -> None:
        """Called inside the test's event loop before the test body."""
        return None

    async def stop(self) -> None:
        """Called inside the test's event loop after the test body, even when it failed."""
        return None

    @abstractmethod
    async def make_sink(self) -> Sink:
        """A new, unconnected sink that delivers to this harness's target."""

    @abstractmethod
    async def received(self) -> Sequence[bytes]:
        """The payloads the target has received so far, in arrival order."""

    async def make_unreachable_sink(self) -> Sink:
        """A sink configured for a target that is not there."""
        raise NotImplementedError("exempt 'check_unreachable' or implement make_unreachable_sink")
