"""The files connector passes the Source conformance suite on a real folder.

Each published payload is one file (`<n>.bin`, read raw), written under a temporary name and renamed into
place, as a well-behaved producer does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from lotline.connectors import Source
from lotline.connectors.files import FilesConfig, FilesSource
from tests.conformance.harness import SourceHarness
from tests.conformance.source_suite import SourceConformance


class FilesHarness(SourceHarness):
    source_name = "drop-folder"
    timeout = 3.0

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir()
        self.count = 0

    def config(self, folder: Path) -> FilesConfig:
        return FilesConfig(folder=folder, name=self.source_name, settle_time=0, poll_interval=0.02)

    async def make_source(self) -> Source:
        return FilesSource(self.config(self.folder))

    async def publish(self, payloads: Sequence[bytes]) -> None:
        for payload in payloads:
            self.count += 1
            part = self.folder / f"{self.count:05d}.bin.part"
            part.write_bytes(payload)
            os.replace(part, self.folder / f"{self.count:05d}.bin")

    async def make_unreachable_source(self) -> Source:
        return FilesSource(self.config(self.folder / "not-mounted"))


class TestFilesSource(SourceConformance):
    kind = "files"

    @pytest.fixture
    def harness(self, tmp_path: Path) -> SourceHarness:
        return FilesHarness(tmp_path / "inbox")
