"""`lotline import`: files and folders of EPCIS documents into the store, in batches, one transaction each.

Reading, validation, identification and hashing are pure and CPU-bound, so worker processes do them (a
whole file each, streaming its batches back as they are done, or batches of a file too large for that)
while this process writes the results, in file order, to the database: the writing is the one part that
cannot run in parallel, so this process does little else.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

from sqlalchemy import Engine

from lotline.epcis.document import read_document
from lotline.epcis.timefmt import now_micros
from lotline.errors import DocumentError, ValidationError
from lotline.import_pool import WHOLE_FILE, Batch, Done, Result, StreamPool, prepare_file, start_fork_server
from lotline.pipeline.capture import PROCEED, CaptureOutcome, DocumentParts, split_document, store_rows
from lotline.store.events import OwnWrites, Provenance

SUFFIXES = (".json", ".jsonld", ".xml")
BATCH = 5_000  # events per transaction: larger batches amortise SQLite's commit and index page writes


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


def read_file(path: Path) -> DocumentParts:
    """A file's events with their document context; raises DocumentError or ValidationError."""
    data = path.read_bytes()
    return split_document(read_document(data, "application/xml" if path.suffix.lower() == ".xml" else None))


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


_SMALL = 2_000_000  # bytes: below this an import is prepared in-process (not worth starting processes)


def start_workers_early(files: Iterable[Path], total_bytes: int | None = None) -> None:
    """Get the worker processes' fork server loading (about half a second) if `import_files` will want workers
    for these files, so that it overlaps what the caller does in between, e.g. opening the database.
    `total_bytes`: the files' sizes added up, if the caller has it already."""
    if (total_size(files) if total_bytes is None else total_bytes) >= _SMALL:
        start_fork_server()


Progress = Callable[[Path, int, int], Any]


def total_size(files: Iterable[Path]) -> int:
    """The files' sizes added up (bytes)."""
    return sum(f.stat().st_size for f in files)


def import_files(
    engine: Engine,
    files: Iterable[Path],
    *,
    on_progress: Progress | None = None,
    batch_size: int = BATCH,
    workers: int | None = None,
    whole_file: int = WHOLE_FILE,
    total_bytes: int | None = None,
) -> ImportSummary:
    """Import every file. Valid events are stored, duplicates skipped, invalid ones reported (proceed).

    `on_progress(file, events_done_in_batch, bytes_done_for_file)` is called after each batch.
    `workers` = 0 prepares in this process (what small imports and tests use). Workers read files of up
    to `whole_file` bytes themselves; larger ones are parsed here and sent to them in batches.
    `total_bytes`: the files' sizes added up, if the caller has it already (saves a stat of each file).
    """
    files = list(files)
    summary = ImportSummary()
    n_workers = default_workers() if workers is None else workers
    if workers is None and (total_size(files) if total_bytes is None else total_bytes) < _SMALL:
        n_workers = 0  # not worth starting processes for a few documents
    writer = _Writer(engine, summary, on_progress)
    with _collector_paused():
        if not n_workers:
            for path in files:
                size = path.stat().st_size
                writer.file(path, size, prepare_file(read_file, path, batch_size))
        else:
            _with_workers(files, n_workers, batch_size, whole_file, writer)
    return summary


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Each batch arrives as hundreds of thousands of new tuples and strings, and every few hundred of them
    the cyclic garbage collector walks the young objects again (it doubles the cost of receiving a batch,
    and more on files parsed here). Importing makes no reference cycles worth the wait: the collector
    is paused while it runs and collects once at the end."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@dataclass(frozen=True, slots=True)
class _Unit:
    """Work handed to the pool, in file order: a whole file, or one batch of a large file (`part`)."""

    id: int
    path: Path
    size: int
    part: bool = False
    last: bool = True  # the last unit of its file
    rejection: str | None = None  # the file could not be read (large files, read here)


def _with_workers(
    files: list[Path], n_workers: int, batch_size: int, whole_file: int, writer: _Writer
) -> None:
    """A feeder thread hands out units (parsing large files itself) at most `ahead` units in front of the
    writer, which stores each unit's results in order as they stream back."""
    pool = StreamPool(n_workers)
    ahead = threading.Semaphore(n_workers + 2)  # bounds memory: results of units not yet written
    units: Queue[_Unit | BaseException | None] = Queue()
    stop = threading.Event()

    def feed() -> None:
        try:
            for unit in _units(files, batch_size, whole_file, pool, ahead, stop):
                units.put(unit)
        except BaseException as exc:  # reported by the writer
            units.put(exc)
        units.put(None)

    feeder = threading.Thread(target=feed, name="lotline-import-feeder", daemon=True)
    feeder.start()
    try:
        while (unit := units.get()) is not None:
            if isinstance(unit, BaseException):
                raise unit
            if unit.rejection is not None:
                writer.file(unit.path, unit.size, iter([Done(0, unit.rejection)]))
                continue
            if not unit.part:
                writer.file(unit.path, unit.size, pool.results(unit.id))
            else:  # one batch of a large file: the file is counted once, at its last batch
                for result in pool.results(unit.id):
                    if isinstance(result, Batch):
                        writer.batch(unit.path, unit.size, result)
                    elif unit.last:
                        writer.summary.files += 1
            ahead.release()
    finally:
        stop.set()
        ahead.release(n_workers + 2)  # unblock the feeder
        feeder.join(timeout=10)
        pool.close()


def _units(
    files: list[Path],
    batch_size: int,
    whole_file: int,
    pool: StreamPool,
    ahead: threading.Semaphore,
    stop: threading.Event,
) -> Iterator[_Unit]:
    unit_id = 0
    for path in files:
        size = path.stat().st_size
        if size <= whole_file:
            ahead.acquire()
            if stop.is_set():
                return
            pool.submit_file(unit_id, read_file, path, batch_size)
            yield _Unit(unit_id, path, size)
            unit_id += 1
            continue
        try:
            parts = read_file(path)
        except (DocumentError, ValidationError) as exc:
            yield _Unit(-1, path, size, rejection=str(exc))
            continue
        starts = range(0, len(parts.events), batch_size) or range(0, 1)
        for start in starts:
            ahead.acquire()
            if stop.is_set():
                return
            count = min(batch_size, len(parts.events) - start)
            pool.submit_batch(unit_id, parts, start, count, now_micros())
            yield _Unit(unit_id, path, size, part=True, last=start == starts[-1])
            unit_id += 1


class _Writer:
    """Stores prepared batches and keeps the summary."""

    def __init__(self, engine: Engine, summary: ImportSummary, on_progress: Progress | None) -> None:
        self.engine, self.summary, self.on_progress = engine, summary, on_progress
        self.own = OwnWrites()  # into a new database, skips the duplicate lookups (see OwnWrites)

    def file(self, path: Path, size: int, results: Iterator[Result]) -> None:
        """Store a file's batches as they come; its Done says whether the file was rejected whole."""
        self.summary.files += 1
        wrote = False
        for result in results:
            if isinstance(result, Done):
                if result.rejection is not None:
                    self.summary.rejections.append(Rejection(str(path), None, result.rejection))
                if self.on_progress and not wrote:
                    self.on_progress(path, 0, size)
                return
            self.batch(path, size, result)
            wrote = True

    def batch(self, path: Path, size: int, batch: Batch) -> None:
        summary = self.summary
        before = summary.stored
        provenance = Provenance("import", source_message_id=path.name)
        outcome = store_rows(
            self.engine, batch.count, batch.rows, provenance, PROCEED, batch.record_time, self.own
        )
        _account(summary, outcome, str(path), batch.start)
        _refresh_statistics(self.engine, before, summary.stored)
        if self.on_progress:
            done = batch.start + batch.count
            self.on_progress(path, batch.count, size * done // max(batch.total, 1))


def _refresh_statistics(engine: Engine, before: int, after: int) -> None:
    """PostgreSQL plans the duplicate checks from table statistics; on tables that a bulk import is filling
    they say "empty" until autovacuum catches up, and every check becomes a sequential scan (quadratic).
    ANALYZE whenever this import has doubled what it stored (10k, 20k, 40k, ... events)."""
    if engine.dialect.name != "postgresql" or after < 10_000:
        return
    if before < 10_000 or (after.bit_length() > before.bit_length()):
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE events")
            conn.exec_driver_sql("ANALYZE event_epcs")
            conn.exec_driver_sql("ANALYZE event_refs")


def _account(summary: ImportSummary, outcome: CaptureOutcome, file: str, offset: int) -> None:
    summary.events += outcome.total
    summary.stored += outcome.stored
    summary.duplicates += outcome.duplicates
    for error in outcome.errors:
        summary.rejections.append(Rejection(file, error["index"] + offset, error["reason"]))
