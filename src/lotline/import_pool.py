"""Worker processes for `lotline import` that hand prepared batches back as soon as each is done.

A work unit is a whole file (the worker reads and parses it once and streams its batches back one by one)
or one batch of a file too large to parse whole in a worker (the parent parses it and ships the events).
Results come back on one queue in whatever order the workers finish; `results(unit)` gives the caller one
unit's messages in order, keeping what arrives early for other units, so the writer stores files in order
while it starts on a file's first batch long before the file is done.

Workers come from a fork server (a clean, single-threaded process with lotline loaded), never forked from
the importing process, which runs threads: forking a threaded process can copy a held lock.
"""

from __future__ import annotations

import gc
import io
import pickle
import queue
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import forkserver, get_context
from pathlib import Path
from typing import Any

import orjson

from lotline.epcis.timefmt import now_micros
from lotline.errors import DocumentError, ValidationError
from lotline.pipeline.capture import DocumentParts, PreparedRows, prepare_rows

WHOLE_FILE = 64 * 1024 * 1024  # files up to this size are read, parsed and prepared whole by a worker
_POLL = 1.0  # seconds between checks that the workers are still alive while waiting for a result


@dataclass(frozen=True, slots=True)
class Batch:
    """Events [start, start + count) of a file of `total` events, prepared as rows at `record_time`."""

    start: int
    count: int
    total: int
    record_time: int
    rows: PreparedRows


@dataclass(frozen=True, slots=True)
class Done:
    """The end of a unit: how many events the file holds, or why it was rejected as a whole."""

    total: int
    rejection: str | None = None


Result = Batch | Done
Reader = Callable[[Path], DocumentParts]


class WorkerError(RuntimeError):
    """A worker process failed or died; the message says which unit and why."""


def prepare_file(read: Reader, path: Path, batch_size: int) -> Iterator[Result]:
    """Read, parse and prepare a file batch by batch: the work of a file unit (also used in-process)."""
    try:
        parts = read(path)
    except (DocumentError, ValidationError) as exc:
        yield Done(0, str(exc))
        return
    for start in range(0, len(parts.events), batch_size):
        chunk = DocumentParts(parts.events[start : start + batch_size], parts.prefixes, parts.extra_context)
        record_time = now_micros()
        rows = prepare_rows(chunk, record_time)
        yield Batch(start, len(chunk.events), len(parts.events), record_time, rows)
    yield Done(len(parts.events))


def _work(task: tuple[Any, ...]) -> Iterator[Result]:
    if task[0] == "file":
        _, read, path, batch_size = task
        yield from prepare_file(read, path, batch_size)
    else:
        _, payload, prefixes, extra, start, total, record_time = task
        events = orjson.loads(payload)
        rows = prepare_rows(DocumentParts(events, prefixes, extra), record_time)
        yield Batch(start, len(events), total, record_time, rows)
        yield Done(total)


def _worker_main(tasks: Any, results: Any) -> None:
    # A parsed file is hundreds of thousands of containers that live as long as the unit: the cyclic garbage
    # collector would walk them all again and again (a third of the worker's time). Preparing makes no
    # cycles, so collect once per unit instead.
    gc.disable()
    while (item := tasks.get()) is not None:
        unit, task = item
        try:
            for result in _work(task):
                results.put((unit, _pack(result)))
        except BaseException as exc:  # reported to the parent, which stops the import
            results.put(
                (unit, WorkerError(f"preparing {task[2] if task[0] == 'file' else 'a batch'}: {exc!r}"))
            )
        gc.collect()


def _pack(result: Result) -> bytes:
    """A result pickled without the pickler's memo (its "fast" mode): a batch is a few hundred thousand
    tuples and strings, none of them shared or cyclic, and remembering each made pickling three times and
    unpickling 1.4 times slower. The queue then moves one bytes object."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(result)
    return out.getvalue()


_PRELOAD = ["lotline.import_pool", "lotline.importer"]


def start_fork_server() -> None:
    """Start the fork server now: it takes half a second to load lotline, which can overlap what the caller
    does before it needs workers (opening and migrating the database). `StreamPool` starts it otherwise."""
    get_context("forkserver").set_forkserver_preload(_PRELOAD)
    forkserver.ensure_running()


class StreamPool:
    """`n` worker processes; `submit` work units, then read each unit's results in order."""

    def __init__(self, n: int) -> None:
        context = get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        self._tasks: Any = context.Queue()
        self._results: Any = context.Queue()
        self._early: dict[int, deque[bytes]] = {}  # results (still pickled) of units not read yet
        self._processes = [
            context.Process(target=_worker_main, args=(self._tasks, self._results), daemon=True)
            for _ in range(n)
        ]
        for process in self._processes:
            process.start()

    def submit_file(self, unit: int, read: Reader, path: Path, batch_size: int) -> None:
        self._tasks.put((unit, ("file", read, path, batch_size)))

    def submit_batch(self, unit: int, parts: DocumentParts, start: int, count: int, record_time: int) -> None:
        payload = orjson.dumps(parts.events[start : start + count])
        task = ("batch", payload, parts.prefixes, parts.extra_context, start, len(parts.events), record_time)
        self._tasks.put((unit, task))

    def results(self, unit: int) -> Iterator[Result]:
        """The unit's results in order, ending with its Done."""
        while True:
            early = self._early.get(unit)
            result: Result = pickle.loads(early.popleft() if early else self._receive(unit))
            if isinstance(result, Done):
                self._early.pop(unit, None)
                yield result
                return
            yield result

    def _receive(self, unit: int) -> bytes:
        while True:
            try:
                got_unit, result = self._results.get(timeout=_POLL)
            except queue.Empty:
                if not all(p.is_alive() for p in self._processes):
                    raise WorkerError("a worker process died (out of memory?); the import stopped") from None
                continue
            if isinstance(result, WorkerError):
                raise result
            if got_unit == unit:
                return result  # type: ignore[no-any-return]
            self._early.setdefault(got_unit, deque()).append(result)

    def close(self) -> None:
        for _ in self._processes:
            self._tasks.put(None)
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        self._tasks.close()
        self._results.close()
