"""`lotline import`: files and folders of EPCIS documents into the store, in batches, one transaction each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from lotline.epcis.document import read_document
from lotline.epcis.timefmt import now_micros
from lotline.errors import DocumentError, ValidationError
from lotline.pipeline.capture import PROCEED, CaptureOutcome, DocumentParts, capture_parts, split_document
from lotline.store.events import Provenance

SUFFIXES = (".json", ".jsonld", ".xml")
BATCH = 2_000


@dataclass
class Rejection:
    file: str
    index: int | None  # event position in the file; None when the whole file was rejected
    reason: str


@dataclass
class ImportSummary:
    files: int = 0
    events: int = 0
    stored: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)


def find_files(paths: Iterable[Path]) -> list[Path]:
    """The EPCIS files named, and those under the folders named (sorted, recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def _batches(parts: DocumentParts, size: int) -> Iterator[tuple[int, DocumentParts]]:
    for start in range(0, len(parts.events), size):
        yield start, DocumentParts(parts.events[start : start + size], parts.prefixes, parts.extra_context)


def import_files(
    engine: Engine,
    files: Iterable[Path],
    *,
    on_progress: Callable[[Path, int, int], Any] | None = None,
    batch_size: int = BATCH,
) -> ImportSummary:
    """Import every file. Valid events are stored, duplicates skipped, invalid ones reported (proceed).

    `on_progress(file, events_done_in_batch, bytes_done_for_file)` is called after each batch.
    """
    summary = ImportSummary()
    for path in files:
        summary.files += 1
        size = path.stat().st_size
        try:
            doc = read_document(
                path.read_bytes(), "application/xml" if path.suffix.lower() == ".xml" else None
            )
            parts = split_document(doc)
        except (DocumentError, ValidationError) as exc:
            summary.rejections.append(Rejection(str(path), None, str(exc)))
            if on_progress:
                on_progress(path, 0, size)
            continue
        provenance = Provenance("import", source_message_id=path.name)
        total = max(len(parts.events), 1)
        for start, batch in _batches(parts, batch_size):
            outcome = capture_parts(engine, batch, provenance, PROCEED, now_micros())
            _account(summary, outcome, str(path), start)
            if on_progress:
                done = start + len(batch.events)
                on_progress(path, len(batch.events), size * done // total)
        if not parts.events and on_progress:
            on_progress(path, 0, size)
    return summary


def _account(summary: ImportSummary, outcome: CaptureOutcome, file: str, offset: int) -> None:
    summary.events += outcome.total
    summary.stored += outcome.stored
    summary.duplicates += outcome.duplicates
    for error in outcome.errors:
        summary.rejections.append(Rejection(file, error["index"] + offset, error["reason"]))
