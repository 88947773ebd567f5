"""The conformance suites for the ERP connectors, over a real socket against each ERP's contract fake.

The suites speak bytes; the ERPs speak records. The source harness writes each conformance payload into a
text field of a record and reads the source through `FieldSource`; the sink harness sends each payload as
the `reason` of a quarantine_transfer command and reads it back from the document the sink created. Ids,
ordering, settling and per-key results are the real connector's.

An ERP's test_conformance.py subclasses both harnesses (how to build its connector, where the text goes)
and both suites (its harness, and why it is exempt from binary payloads)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from lotline.connectors import Outbound, Sink, Source
from lotline.connectors.erpkit import MemoryPositions, Positions
from tests.conformance.harness import SinkHarness, SourceHarness
from tests.conformance.sink_suite import SinkConformance
from tests.conformance.source_suite import SourceConformance
from tests.connectors.erp_support import CommandSinkView, FieldSource, command

UNREACHABLE = "http://127.0.0.1:1"


def quarantine(item: Outbound) -> bytes:
    """A valid quarantine_transfer command carrying the conformance payload as its `reason`."""
    return command("quarantine_transfer", item="RM-7", lot="S-17", quantity=1, reason=item.payload.decode())


class ErpSourceHarness(SourceHarness):
    """Reads the text field `field` of the records of the ERP's conformance feed."""

    #: The text field of a record that carries a conformance payload.
    field: ClassVar[str]

    def __init__(self, url: str, fake: Any) -> None:
        self.url, self.fake = url, fake
        self.positions = MemoryPositions()
        self.count = 0
        self.clear()

    @abstractmethod
    def source(self, url: str, positions: Positions | None = None, **options: object) -> Source:
        """The ERP's source on the conformance feed of the ERP at `url`."""

    @abstractmethod
    def clear(self) -> None:
        """Empty the conformance feed of the seeded fake."""

    @abstractmethod
    def add(self, number: int, text: str) -> None:
        """Add the feed's record `number` (1, 2, ...) with `text` in `field`."""

    async def make_source(self) -> Source:
        return FieldSource(self.source(self.url, self.positions), self.field)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        for payload in payloads:
            self.count += 1
            self.add(self.count, payload.decode())

    async def make_unreachable_source(self) -> Source:
        return self.source(UNREACHABLE, timeout=0.5, retry_attempts=1)


class ErpSinkHarness(SinkHarness):
    """Sends each payload in a quarantine_transfer; `received` reads the reasons back from the fake."""

    def __init__(self, url: str, fake: Any) -> None:
        self.url, self.fake = url, fake

    @abstractmethod
    def sink(self, url: str, **options: object) -> Sink:
        """The ERP's sink writing to the ERP at `url`."""

    async def make_sink(self) -> Sink:
        return CommandSinkView(self.sink(self.url), quarantine)

    async def make_unreachable_sink(self) -> Sink:
        return self.sink(UNREACHABLE, timeout=0.5)


class ErpSourceConformance(SourceConformance):
    """The Source suite on `harness_type`, against the live fake of the ERP's conftest."""

    harness_type: ClassVar[type[ErpSourceHarness]]

    @pytest.fixture
    def harness(self, live_fake: tuple[str, Any]) -> SourceHarness:
        return self.harness_type(*live_fake)


class ErpSinkConformance(SinkConformance):
    """The Sink suite on `harness_type`, against the live fake of the ERP's conftest."""

    harness_type: ClassVar[type[ErpSinkHarness]]

    @pytest.fixture
    def harness(self, live_fake: tuple[str, Any]) -> SinkHarness:
        return self.harness_type(*live_fake)
