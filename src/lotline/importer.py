"""`lotline import`: files and folders of EPCIS documents into the store, in batches, one transaction each.

Reading, validation, identification and hashing are pure and CPU-bound, so worker processes do them (a
whole file each, or batches of a very large file) while the parent writes the results, in file order, to
the database: the writing is the one part that cannot run in parallel, so the parent does nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from queue import Queue
from threading import Thread
from typing import Any

import orjson
from sqlalchemy import Engine

from lotline.epcis.document import read_document
from lotline.epcis.timefmt import now_micros
from lotline.errors import DocumentError, ValidationError
from lotline.pipeline.capture import (
    PROCEED,
    CaptureOutcome,
    DocumentParts,
    PreparedRows,
    prepare_rows,
    split_document,
    store_rows,
)
from lotline.store.events import Provenance

SUFFIXES = (".json", ".jsonld", ".xml")
BATCH = 5_000  # events per transaction: larger batches amortise SQLite's commit and index page writes
_IN_FLIGHT = 4  # batches or files handed to workers ahead of the writer: bounds memory
WHOLE_FILE = 64 * 1024 * 1024  # files up to this size are read and prepared whole by a worker


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


@dataclass
class _Batch:
    """Events [start, start + count) of one file, prepared (or being prepared) as rows."""

    path: Path
    start: int
    count: int
    file_size: int
    file_total: int
    record_time: int
    prepared: PreparedRows


@dataclass
class _FileWork:
    """What a worker makes of one whole file: its batches, or why the file was rejected."""

    batches: list[tuple[int, int, int, PreparedRows]]  # (start, count, record time, rows)
    total: int = 0
    rejection: str | None = None


def _read(path: Path) -> DocumentParts:
    data = path.read_bytes()
    return split_document(read_document(data, "application/xml" if path.suffix.lower() == ".xml" else None))


def _prepare_file(path: Path, batch_size: int) -> _FileWork:
    """Worker side, for files of moderate size: read, parse, validate, hash and index the whole file, so
    the parent process only writes (it is the one that cannot be parallelised)."""
    try:
        parts = _read(path)
    except (DocumentError, ValidationError) as exc:
        return _FileWork([], rejection=str(exc))
    work = _FileWork([], total=len(parts.events))
    for start in range(0, len(parts.events), batch_size):
        chunk = DocumentParts(parts.events[start : start + batch_size], parts.prefixes, parts.extra_context)
        record_time = now_micros()
        work.batches.append((start, len(chunk.events), record_time, prepare_rows(chunk, record_time)))
    return work


def _prepare_remote(
    payload: bytes, prefixes: dict[str, str], extra: list[Any], record_time: int
) -> PreparedRows:
    """Worker side, for one batch of a large file: the events come as JSON bytes (cheaper to move between
    processes than pickled dicts); the rows go back as plain tuples (cheap to unpickle)."""
    return prepare_rows(DocumentParts(orjson.loads(payload), prefixes, extra), record_time)


def _worker_context() -> Any:
    """Workers come from a fork server (a clean, single-threaded process with lotline loaded), never forked
    from this process: it runs a writer thread, and forking a threaded process can copy a held lock."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["lotline.importer"])
    return context


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


def import_files(
    engine: Engine,
    files: Iterable[Path],
    *,
    on_progress: Callable[[Path, int, int], Any] | None = None,
    batch_size: int = BATCH,
    workers: int | None = None,
) -> ImportSummary:
    """Import every file. Valid events are stored, duplicates skipped, invalid ones reported (proceed).

    `on_progress(file, events_done_in_batch, bytes_done_for_file)` is called after each batch.
    `workers` = 0 prepares in this process (what small imports and tests use).
    """
    files = list(files)
    summary = ImportSummary()
    n_workers = default_workers() if workers is None else workers
    if workers is None and sum(f.stat().st_size for f in files) < 2_000_000:
        n_workers = 0  # not worth starting processes for a few documents
    pool = ProcessPoolExecutor(n_workers, mp_context=_worker_context()) if n_workers else None
    try:
        work = _work(files, summary, batch_size, pool, on_progress)
        if pool is None:
            for item in work:
                _write_all(engine, item, summary, on_progress)
        else:
            _pipelined(engine, work, summary, on_progress)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return summary


# Work items in file order: a batch, or a whole file being prepared by a worker.
_Work = _Batch | tuple[Path, int, "Future[_FileWork]"] | tuple[Path, int, "Future[PreparedRows]", _Batch]


def _pipelined(
    engine: Engine,
    work: Iterator[_Work],
    summary: ImportSummary,
    on_progress: Callable[[Path, int, int], Any] | None,
) -> None:
    """Hand out work here while a writer thread stores the results in order. SQLite releases the GIL
    while it inserts, so this thread's work overlaps the writes; the bounded queue keeps memory flat."""
    queue: Queue[_Work | None] = Queue(maxsize=_IN_FLIGHT)
    failures: list[BaseException] = []

    def write_all() -> None:
        try:
            while (item := queue.get()) is not None:
                _write_all(engine, item, summary, on_progress)
        except BaseException as exc:  # reported to the caller below
            failures.append(exc)
            while queue.get() is not None:  # keep the reader from blocking on a full queue
                pass

    writer = Thread(target=write_all, name="lotline-import-writer")
    writer.start()
    try:
        for item in work:
            if failures:
                break
            queue.put(item)
    finally:
        queue.put(None)
        writer.join()
    if failures:
        raise failures[0]


def _work(
    files: list[Path],
    summary: ImportSummary,
    batch_size: int,
    pool: ProcessPoolExecutor | None,
    on_progress: Callable[[Path, int, int], Any] | None,
) -> Iterator[_Work]:
    for path in files:
        size = path.stat().st_size
        if pool is not None and size <= WHOLE_FILE:
            yield (path, size, pool.submit(_prepare_file, path, batch_size))
            continue
        summary.files += 1
        try:
            parts = _read(path)
        except (DocumentError, ValidationError) as exc:
            summary.rejections.append(Rejection(str(path), None, str(exc)))
            if on_progress:
                on_progress(path, 0, size)
            continue
        if not parts.events and on_progress:
            on_progress(path, 0, size)
        for start in range(0, len(parts.events), batch_size):
            events = parts.events[start : start + batch_size]
            record_time = now_micros()
            total = len(parts.events)
            if pool is not None:
                payload = orjson.dumps(events)
                future = pool.submit(
                    _prepare_remote, payload, parts.prefixes, parts.extra_context, record_time
                )
                yield (
                    path,
                    size,
                    future,
                    _Batch(path, start, len(events), size, total, record_time, ([], [])),
                )
            else:
                rows = prepare_rows(DocumentParts(events, parts.prefixes, parts.extra_context), record_time)
                yield _Batch(path, start, len(events), size, total, record_time, rows)


def _write_all(
    engine: Engine, item: _Work, summary: ImportSummary, on_progress: Callable[[Path, int, int], Any] | None
) -> None:
    if isinstance(item, _Batch):
        _write(engine, item, summary, on_progress)
    elif len(item) == 4:
        _, _, future, batch = item
        batch.prepared = future.result()
        _write(engine, batch, summary, on_progress)
    else:
        path, size, file_future = item
        summary.files += 1
        done = file_future.result()
        if done.rejection is not None:
            summary.rejections.append(Rejection(str(path), None, done.rejection))
        if not done.batches and on_progress:
            on_progress(path, 0, size)
        for start, count, record_time, rows in done.batches:
            _write(
                engine, _Batch(path, start, count, size, done.total, record_time, rows), summary, on_progress
            )


def _write(
    engine: Engine, batch: _Batch, summary: ImportSummary, on_progress: Callable[[Path, int, int], Any] | None
) -> None:
    before = summary.stored
    provenance = Provenance("import", source_message_id=batch.path.name)
    outcome = store_rows(engine, batch.count, batch.prepared, provenance, PROCEED, batch.record_time)
    _account(summary, outcome, str(batch.path), batch.start)
    _refresh_statistics(engine, before, summary.stored)
    if on_progress:
        done = batch.start + batch.count
        on_progress(batch.path, batch.count, batch.file_size * done // max(batch.file_total, 1))


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
