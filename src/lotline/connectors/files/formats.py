"""A file's bytes as the records the files connector delivers. Pure functions.

- csv: rows as JSON objects keyed by the header row (one message per row, or one JSON array per file);
- json: the file as it is (minus a UTF-8 BOM), or one message per element of a top-level array;
- xml: the file as it is, content-type application/xml; a B2MML document also gets `b2mml-type` (the noun:
  ProductionPerformance, MaterialInformation, MaterialLot, ...), `b2mml-verb` and `b2mml-version`;
- raw: the bytes as they are.

A file that does not parse raises `Unreadable` with the reason (the connector moves it to the error folder).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import orjson

from lotline.connectors.files.config import Format

_BOM = b"\xef\xbb\xbf"
_BY_SUFFIX = {".csv": "csv", ".json": "json", ".xml": "xml"}


class Unreadable(ValueError):
    """The file is not what its format says (bad CSV, JSON or XML); the message is the reason."""


@dataclass(frozen=True, slots=True)
class Record:
    """One message's worth of a file: its payload, headers and index (None: the whole file)."""

    payload: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    index: int | None = None


@dataclass(frozen=True, slots=True)
class Dialect:
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    quotechar: str = '"'


def format_of(configured: Format, name: str) -> str:
    """The format a file is read in: the configured one, or by extension for `auto`."""
    if configured != "auto":
        return configured
    return _BY_SUFFIX.get(PurePath(name).suffix.lower(), "raw")


def records(data: bytes, fmt: str, per_record: bool, dialect: Dialect = Dialect()) -> list[Record]:
    """The records of one file read as `fmt` ("csv", "json", "xml" or "raw")."""
    if fmt == "csv":
        rows = csv_rows(data, dialect)
        if per_record:
            return [Record(_json(row), _JSON, i) for i, row in enumerate(rows)]
        return [Record(_json(rows), _JSON)]
    if fmt == "json":
        body = data.removeprefix(_BOM)
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise Unreadable(f"not valid JSON: {exc}") from None
        if per_record and isinstance(value, list):
            return [Record(_json(item), _JSON, i) for i, item in enumerate(value)]
        return [Record(body, _JSON)]
    if fmt == "xml":
        return [Record(data, xml_headers(data))]
    return [Record(data, {"content-type": "application/octet-stream"})]


def csv_rows(data: bytes, dialect: Dialect) -> list[dict[str, Any]]:
    """The rows as objects keyed by the header row; an empty cell is "" and a missing one is null."""
    try:
        text = data.decode(dialect.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Unreadable(f"not {dialect.encoding} text: {exc}") from None
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=dialect.delimiter, quotechar=dialect.quotechar
    )
    try:
        header = next(reader, None)
        if header is None:
            return []
        if len(set(header)) != len(header) or "" in header:
            raise Unreadable(f"the header row has empty or repeated column names: {header}")
        rows: list[dict[str, Any]] = []
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) > len(header):
                raise Unreadable(
                    f"line {reader.line_num}: {len(row)} fields, but the header has {len(header)}"
                )
            rows.append(dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True)))
    except csv.Error as exc:
        raise Unreadable(f"line {reader.line_num}: {exc}") from None
    return rows


def xml_headers(data: bytes) -> dict[str, str]:
    """content-type, and for a B2MML document what it is."""
    from lxml import etree

    from lotline.mapping.b2mml import b2mml_kind, parse_xml

    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"not well-formed XML: {exc}") from None
    headers = {"content-type": "application/xml", "xml-root": etree.QName(root).localname}
    kind = b2mml_kind(root)
    if kind is not None:
        headers["b2mml-type"] = kind.noun
        if kind.verb:
            headers["b2mml-verb"] = kind.verb
        if kind.version:
            headers["b2mml-version"] = kind.version
    return headers


_JSON = {"content-type": "application/json"}


def _json(value: Any) -> bytes:
    return orjson.dumps(value)
