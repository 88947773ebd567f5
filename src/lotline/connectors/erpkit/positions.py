"""Where a polling source keeps its committed position per feed.

A record's cursor is `(change time, key)`. A position is the newest change time settled plus the records
(`key@time`) settled within the *overlap window* before it. Polling asks for `changed >= time - overlap`
and skips what the position covers: records older than the window, and records seen in it. So

- records sharing one timestamp (Odoo's write_date has second precision) are neither lost nor read twice;
- a record committed late with an older change time (an ERP transaction stamps the time it *started*)
  is still read, as long as it lands within the overlap window.

Change times are ISO-8601 strings in the ERP's own layout (`2026-12-01 08:00:00`, `...08:00:00.123456`,
`...T08:00:00.000Z`); they sort as strings, and `shift()` moves one back in time keeping its layout.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

Cursor = tuple[str, str]  # (change time as a sortable string, record key)


def shift(time: str, seconds: float) -> str:
    """`time` minus `seconds`, in the same layout (separator, fraction digits, Z)."""
    if seconds <= 0:
        return time
    zulu = time.endswith("Z")
    moved = datetime.fromisoformat(time.removesuffix("Z")) - timedelta(seconds=seconds)
    text = moved.isoformat(sep="T" if "T" in time else " ")
    digits = len(time.removesuffix("Z").partition(".")[2])
    base, _, fraction = text.partition(".")
    text = base + ("." + (fraction + "000000")[:digits] if digits else "")
    return text + ("Z" if zulu else "")


@dataclass(frozen=True, slots=True)
class Position:
    time: str
    keys: frozenset[str] = frozenset()  # "key@time" of the records settled within the overlap window

    def covers(self, cursor: Cursor, overlap: float = 0.0) -> bool:
        """True when the record at `cursor` was read before this position."""
        lower = shift(self.time, overlap) if self.keys else self.time  # a bare `since` has no window
        return cursor[0] < lower or f"{cursor[1]}@{cursor[0]}" in self.keys

    def advance(self, cursor: Cursor, overlap: float = 0.0) -> Position:
        """This position moved past the record at `cursor`; keys older than the window are dropped."""
        time = max(self.time, cursor[0])
        lower = shift(time, overlap)
        keys = {k for k in self.keys if k.rpartition("@")[2] >= lower} | {f"{cursor[1]}@{cursor[0]}"}
        return Position(time, frozenset(keys))


class Positions(Protocol):
    """Committed positions by (source name, feed)."""

    def get(self, source: str, feed: str) -> Position | None: ...

    def set(self, source: str, feed: str, position: Position) -> None: ...


class MemoryPositions:
    """Positions in this process: a restart re-reads from `since` (the inbox deduplicates)."""

    def __init__(self) -> None:
        self._positions: dict[tuple[str, str], Position] = {}

    def get(self, source: str, feed: str) -> Position | None:
        return self._positions.get((source, feed))

    def set(self, source: str, feed: str, position: Position) -> None:
        self._positions[(source, feed)] = position


class FilePositions:
    """Positions in a small JSON file, replaced atomically on every change."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, list[object]]:
        if not self.path.is_file():
            return {}
        data: dict[str, list[object]] = json.loads(self.path.read_text(encoding="utf-8"))
        return data

    def get(self, source: str, feed: str) -> Position | None:
        value = self._load().get(f"{source}\t{feed}")
        if not value:
            return None
        time, keys = value
        assert isinstance(time, str) and isinstance(keys, list)
        return Position(time, frozenset(str(k) for k in keys))

    def set(self, source: str, feed: str, position: Position) -> None:
        data = self._load()
        data[f"{source}\t{feed}"] = [position.time, sorted(position.keys)]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
