"""Files: watched folders of CSV, JSON and XML (ISA-95 B2MML included). See docs/files.md."""

from lotline.connectors.base import ConnectorSpec
from lotline.connectors.files.config import FilesConfig
from lotline.connectors.files.formats import Unreadable
from lotline.connectors.files.source import FilesSource

__all__ = ["SPEC", "FilesConfig", "FilesSource", "Unreadable"]

SPEC = ConnectorSpec(
    kind="files",
    config=FilesConfig,
    summary="Watched folders: CSV, JSON and XML files (ISA-95 B2MML included), archived once kept.",
    source=FilesSource,
)
