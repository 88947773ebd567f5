"""The options of the files connector (`lotline.connectors.files`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from lotline.connectors.base import ConnectorConfig

Format = Literal["auto", "csv", "json", "xml", "raw"]

# Names a writer uses while a file is not complete yet (write under one of these, then rename into place).
DEFAULT_IGNORE = [".*", "~*", "*.tmp", "*.part", "*.partial", "*.filepart", "*.crdownload", "*.error.txt"]


class FilesConfig(ConnectorConfig):
    """A watched folder: CSV, JSON and XML files (ISA-95 B2MML included) are read once completely written,
    then archived; files that cannot be parsed go to the error folder with the reason beside them."""

    folder: Path = Field(description="The folder to watch (not its sub-folders).")
    name: str | None = Field(
        None, description="The source name stamped on every message read; by default the folder's path."
    )
    patterns: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        description="File name patterns to take (shell style, case-sensitive), e.g. ['*.csv', '*.xml'].",
    )
    ignore: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IGNORE),
        description="File name patterns never taken: hidden files and the names writers use while "
        "writing (write `x.csv.part`, then rename it to `x.csv`).",
    )
    format: Format = Field(
        "auto",
        description="How to read a file: csv, json, xml, raw (bytes as they are), or auto (by extension: "
        ".csv, .json, .xml; anything else raw).",
    )
    split: Literal["file", "record"] = Field(
        "file",
        description="One message per file, or per record: a CSV row or a JSON array element (XML and raw "
        "files are always one message).",
    )
    encoding: str = Field("utf-8-sig", description="Text encoding of CSV files (utf-8-sig also takes a BOM).")
    csv_delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field separator.")
    csv_quotechar: str = Field('"', min_length=1, max_length=1, description="CSV quote character.")
    settle_time: float = Field(
        2.0,
        ge=0,
        description="Seconds a file's size and modification time must stay unchanged before it is taken "
        "(it is still being written until then).",
    )
    ready_marker: str | None = Field(
        None,
        description="If set, a file is taken only once `<name><ready_marker>` exists beside it (e.g. "
        "'.done'), written by the producer after the file; the marker is archived with it.",
    )
    archive_folder: Path | None = Field(
        None,
        description="Where processed files go, in a sub-folder per day (YYYY-MM-DD); default "
        "`<folder>/archive`.",
    )
    error_folder: Path | None = Field(
        None,
        description="Where files that failed go, each with `<name>.error.txt` giving the reason; default "
        "`<folder>/error`.",
    )
    poll_interval: float = Field(1.0, gt=0, description="Seconds between looks at the folder.")

    @field_validator("patterns", "ignore", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @property
    def source_name(self) -> str:
        return self.name or str(self.folder)

    @property
    def archive(self) -> Path:
        return self.archive_folder or self.folder / "archive"

    @property
    def errors(self) -> Path:
        return self.error_folder or self.folder / "error"
