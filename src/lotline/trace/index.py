"""The trace index of a database: built on first use, brought up to date before every trace.

Events are read in capture order (`events.id`), so the index catches up with captures made by any process
(the API, `lotline import`) by reading only what is new.

The lock serialises what changes the graph (`refresh`) with the traversals that read it (traces, recall):
both are short. A long reader (the completeness check, minutes on millions of events) does not hold it:
it takes an `AsOf` (the newest event indexed and the declarations up to it, read together under the lock)
and reads the graph through it, seeing exactly the events up to that one while refreshes append newer ones
(see `lotline.trace.completeness.check`).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, select

from lotline.epcis.identifiers import forget_remembered
from lotline.pipeline.prepare import identifiers_of, references_of
from lotline.store.engine import is_sqlite_file
from lotline.store.schema import events
from lotline.trace import sweep
from lotline.trace.allocator import give_back_memory, large_blocks_apart
from lotline.trace.collector import collections_held, full_collections_held
from lotline.trace.facts import Light
from lotline.trace.graph import Graph
from lotline.trace.result import TraceResult
from lotline.trace.snapshot import Snapshot, View
from lotline.trace.traverse import backward

_READ_BATCH = 20_000
_VALUES = 100_000  # reference values remembered for sharing (see TraceIndex.__init__)
_FREEZE_EVERY = 2_000  # containers whose spans were cached since the last freeze (see _freeze_caches)
_GIVE_WAY = 0.02  # a retake waits at most this long (s) at each of its pauses while traces run
_NAP = 0.0005


@dataclass(frozen=True, slots=True)
class AsOf:
    """The index as it was after one refresh: its newest event, the eventIDs declared in error by then, and
    the events indexed (pks, in order).

    The graph only grows: what a refresh adds later is an event with a larger pk, facts (list entries,
    set members, new keys) naming such events, declarations, and new parents (each with the event that made
    it one). A reader that ignores events after `last`, uses these frozen declarations instead of the live
    ones, asks which identifiers held something by `last` (`Graph.kind(node, last)`), and replays spans with
    its own `live` (`Graph.replay`) sees the index exactly as of `last`."""

    last: int
    declared: frozenset[str]
    pks: tuple[int, ...]


class TraceIndex:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.graph = Graph()
        self._lock = threading.Lock()
        # One string object per distinct word and reference value: every event repeats its type and step,
        # and the driver hands each row's strings over as new objects. The words (types, steps) and values
        # (parties, locations) are kept here, the values only up to `_VALUES` (then forgotten, so one-off
        # values such as order numbers do not pile up). Identifiers need no sharing: the graph packs them.
        self._words: dict[str, str] = {}
        self._values: dict[str, str] = {}
        self._frozen_at = 0  # size of the graph's span cache at the last freeze
        self._snapshot: Snapshot | None = None
        # retakes of the snapshot (see `snapshot`): whether one runs, what it made until it is installed, and
        # what runs it (a thread of its own; tests may run it later, at a moment of their choosing)
        self._retaking = False
        self._retaken: Snapshot | None = None
        self.start_retake: Callable[[Callable[[], None]], None] = _in_thread
        # traces and recalls in progress: a retake or a completeness check gives way to them (`give_way`)
        self._serving = 0
        self._serving_lock = threading.Lock()
        self._changes = _Changes(engine)
        self._seen: int | None = None  # the change counter when the index last read everything

    def refresh(self) -> int:
        """Index the events stored since the last refresh; returns how many were added."""
        with self._lock:
            seen = self._changes.counter()
            if seen is not None and seen == self._seen:
                return 0  # nothing committed since the last refresh read all there was
            # (the first refresh builds the index: see lotline.trace.allocator)
            with large_blocks_apart() if not len(self.graph.events) else nullcontext():
                added = self._read_all()
                if added >= _READ_BATCH:
                    # A build or a long catch-up: take the forward snapshot now rather than in the middle
                    # of a trace, once the memos of the reading, whose last entries pin much of the heap,
                    # are dropped and the heap it left free is handed back (`give_back_memory`): else the
                    # snapshot's passing arrays came on top of it, hundreds of megabytes at ten million
                    # events at the peak of the build. Then keep the cyclic garbage collector from walking
                    # the millions of long-lived objects on every collection (pauses of 100 ms and more in
                    # traces).
                    self.graph.compact()
                    self._values.clear()
                    forget_remembered()
                    give_back_memory()
                    self.snapshot()
                    gc.freeze()
                    give_back_memory()
            self._seen = seen
            return added

    def _read_all(self) -> int:
        """Add the events stored after the newest one indexed."""
        added = 0
        while True:
            batch = self._read(self.graph.last_pk)
            self.graph.add_all(batch)
            added += len(batch)
            if len(batch) < _READ_BATCH:
                return added

    @property
    def indexed(self) -> int:
        """How many events the index holds (read without the lock: a progress figure while it builds)."""
        return len(self.graph.events)

    def close(self) -> None:
        self._changes.close()

    def as_of(self) -> AsOf:
        """Bring the index up to date and return what it holds now (`AsOf`), taken under the lock in one
        go (a few copies of sets of ids: milliseconds, not the length of the reader's work)."""
        self.refresh()
        with self._lock:
            graph = self.graph
            pks = list(graph.events)
            as_of = (graph.last_pk, frozenset(graph.declared))
        return AsOf(*as_of, tuple(sorted(pks)))

    def _read(self, after: int) -> list[Light]:
        columns = (
            events.c.id,
            events.c.event_id,
            events.c.event_type,
            events.c.action,
            events.c.event_time,
            events.c.biz_step,
            events.c.transformation_id,
            events.c.error_declared,
            events.c.body,
        )
        stmt = select(*columns).where(events.c.id > after).order_by(events.c.id).limit(_READ_BATCH)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        lights = []
        word = self._words.setdefault
        if len(self._values) > _VALUES:
            self._values.clear()
        value = self._values.setdefault

        def maybe(text: str | None) -> str | None:
            return None if text is None else word(text, text)

        for row in rows:
            body = orjson.loads(row.body)
            lights.append(
                Light.build(
                    pk=row.id,
                    event_id=row.event_id,
                    event_type=word(row.event_type, row.event_type),
                    action=maybe(row.action),
                    time=row.event_time,
                    biz_step=maybe(row.biz_step),
                    transformation_id=row.transformation_id,
                    declared=bool(row.error_declared),
                    epcs=identifiers_of(body),
                    refs=[
                        (word(a, a), word(t, t), value(v, v), None if w is None else value(w, w))
                        for a, t, v, w in references_of(body)
                    ],
                )
            )
        return lights

    def trace(
        self,
        direction: str,
        root: str,
        *,
        max_depth: int | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> TraceResult:
        with self.serving():
            self.refresh()
            with self._lock, collections_held():  # (lotline.trace.collector)
                if direction == "forward":
                    result = self.forward(root, max_depth=max_depth, since=since, until=until)
                else:
                    snap = self.snapshot()
                    result = backward(
                        self.graph, root, max_depth=max_depth, since=since, until=until, snap=snap
                    )
                self._freeze_caches()
                return result

    def forward(
        self, root: str, *, max_depth: int | None = None, since: int | None = None, until: int | None = None
    ) -> TraceResult:
        """A forward trace over the array snapshot of the graph (taken, caught up or retaken here); the
        caller holds the lock."""
        snap = self.snapshot()
        return sweep.forward(self.graph, snap, root, max_depth=max_depth, since=since, until=until)

    def snapshot(self) -> Snapshot:
        """The forward snapshot, caught up with the graph (the caller holds the lock).

        The first is taken here. Once too much changed since one was taken, a new one is taken in the
        background from a `View` of the graph as of now (seconds at a million events, which traces would
        otherwise wait for under the lock), and the stale one, caught up, serves until the new one is ready
        and installed here, caught up in turn with what arrived while it was taken."""
        fresh = self._retaken
        if fresh is not None:
            self._retaken = None
            self._snapshot = fresh
            gc.freeze()
        snap = self._snapshot
        if snap is None:
            snap = self._snapshot = Snapshot.take(self.graph)
            gc.freeze()
            return snap
        snap.catch_up(self.graph)
        if snap.stale and not self._retaking:
            self._retake(View.of(self.graph))
        return snap

    def _retake(self, view: View) -> None:
        previous = self._snapshot

        def run() -> None:
            try:
                with full_collections_held():
                    self._retaken = Snapshot.take(self.graph, view, previous, pause=self.give_way)
                give_back_memory()  # (ctypes lets go of the interpreter while it runs)
            except Exception:  # the stale snapshot keeps serving (correctly, more slowly); tried again later
                logging.getLogger("lotline.trace").exception("retaking the trace snapshot failed")
            finally:
                self._retaking = False

        self._retaking = True
        gc.freeze()  # the view's copies of the graph's dicts (see `_out_of_sight` in lotline.trace.snapshot)
        self.start_retake(run)

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around a trace or a recall: a snapshot retake running meanwhile waits for it at its pauses."""
        with self._serving_lock:
            self._serving += 1
        try:
            yield
        finally:
            with self._serving_lock:
                self._serving -= 1

    def give_way(self) -> None:
        """Called by long work beside traces between chunks of it (a snapshot retake, the completeness check:
        `lotline.trace.pacing`): while traces or recalls run, wait, up to `_GIVE_WAY` s at a time so that
        the work still finishes under a steady stream of traces.

        Both threads need the interpreter, and a trace hands it over at every numpy call and query; a
        retake running on beside it took it back each time for a whole switch interval (5 ms), so a trace
        of a few milliseconds took hundreds (p95 0.5 s, the slowest 1.3 s, at a million events)."""
        deadline = time.monotonic() + _GIVE_WAY
        while self._serving and time.monotonic() < deadline:
            time.sleep(_NAP)

    def _freeze_caches(self) -> None:
        """Traces fill the graph's containment caches (hundreds of thousands of long-lived objects at 1M
        events), and every full collection of the garbage collector then walks them all: pauses of 30-40
        ms in the middle of traces. Move them out of its sight, as the build does, each time they have
        grown by `_FREEZE_EVERY` containers. (Freezing is cheap; it would keep cyclic garbage that exists
        at that moment from being collected, and traces make none.)"""
        cached = self.graph.cached_containers
        if cached - self._frozen_at >= _FREEZE_EVERY:
            gc.freeze()
            self._frozen_at = cached


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="lotline-trace-snapshot", daemon=True).start()


class _Changes:
    """SQLite's count of commits by other connections (`PRAGMA data_version`, microseconds), read on a
    connection of its own, so a trace skips the query for new events when nothing was committed since
    the last one (a tenth of a millisecond of a two-millisecond trace). None elsewhere: always query."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Any = None
        self.usable = is_sqlite_file(engine)

    def counter(self) -> int | None:
        if not self.usable:
            return None
        try:
            if self._conn is None:
                self._conn = self.engine.raw_connection()
                self._conn.detach()  # its own for good: not handed back to the pool
            return int(self._conn.cursor().execute("PRAGMA data_version").fetchone()[0])
        except Exception:  # a broken connection: query every time instead, which reports the error
            self.close()
            self.usable = False
            return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
