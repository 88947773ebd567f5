"""The array snapshot behind forward traces and backward receipts: what is captured after it is taken is
seen at once, declarations silence what it holds, bad data (containment cycles) cannot trap a walk, and
traces do not wait while it is retaken."""

from __future__ import annotations

import dataclasses
import gc
import random
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest
import sqlalchemy as sa

from lotline.trace import csr, ordering, pacing, snapshot
from lotline.trace import index as trace_index
from lotline.trace.csr import Sparse
from lotline.trace.graph import Graph
from lotline.trace.snapshot import Snapshot, View, _rank
from tests.trace.builders import (
    CUSTOMER_A,
    CUSTOMER_B,
    RAW,
    SUPPLIER,
    at,
    declared_in_error,
    ids,
    index_of,
    pack,
    party_ids,
    receive,
    serial,
    ship,
    sscc,
    transform,
    unpack,
)

CASE, PALLET = sscc(1), sscc(2)
S1, S2 = serial("000030", 1), serial("000030", 2)


def test_events_captured_after_the_snapshot_extend_forward_traces(engine: sa.Engine) -> None:
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)), transform([RAW], [S1], at(2)))
    assert ids(index.trace("forward", RAW)) == {S1}  # the snapshot is taken here
    packing = pack(CASE, [S1], at(3))
    index_of(engine, transform([RAW], [S2], at(2, 9)), packing, ship([CASE], CUSTOMER_A, at(4)))
    result = index.trace("forward", RAW)
    assert ids(result) == {S1, S2, CASE}
    assert party_ids(result) == {CUSTOMER_A}
    index_of(engine, declared_in_error(packing, at(5)))
    result = index.trace("forward", RAW)
    assert ids(result) == {S1, S2}
    assert party_ids(result) == set()


def test_a_declaration_silences_an_event_the_snapshot_holds(engine: sa.Engine) -> None:
    making = transform([RAW], [S1], at(2))
    index = index_of(engine, making, pack(CASE, [S1], at(3)), ship([CASE], CUSTOMER_A, at(4)))
    assert ids(index.trace("forward", RAW)) == {S1, CASE}
    index_of(engine, declared_in_error(making, at(5)))
    result = index.trace("forward", RAW)
    assert ids(result) == set()
    assert party_ids(result) == set()


def test_receipts_found_through_containers_follow_later_packing(engine: sa.Engine) -> None:
    index = index_of(engine, transform([RAW], [S1], at(2)), pack(CASE, [S1], at(3)))
    assert party_ids(index.trace("backward", S1)) == set()
    index_of(engine, pack(PALLET, [CASE], at(4)), receive([PALLET], CUSTOMER_B, at(5)))
    assert party_ids(index.trace("backward", S1)) == {CUSTOMER_B}


def test_a_containment_cycle_does_not_trap_a_walk(engine: sa.Engine) -> None:
    index = index_of(
        engine,
        transform([RAW], [S1], at(2)),
        pack(CASE, [S1], at(3)),
        pack(PALLET, [CASE], at(4)),
        pack(CASE, [PALLET], at(5)),  # wrong, but captured: the case inside the pallet inside the case
        receive([PALLET], SUPPLIER, at(6)),
        ship([CASE], CUSTOMER_A, at(7)),
    )
    forward = index.trace("forward", RAW)
    assert ids(forward) == {S1, CASE, PALLET}
    assert party_ids(forward) == {CUSTOMER_A}
    assert party_ids(index.trace("backward", S1)) == {SUPPLIER}


def test_walks_answer_the_same_when_their_marks_start_over(engine: sa.Engine) -> None:
    # the snapshot's scratch marks are one byte: every 254 walks they are cleared and counted from 1; the
    # slots of first stretches start over when their count nears 2**31
    index = index_of(
        engine,
        transform([RAW], [S1, S2], at(2)),
        pack(CASE, [S1], at(3)),
        pack(PALLET, [CASE], at(4)),
        ship([PALLET], CUSTOMER_A, at(5)),
    )
    first = index.trace("forward", RAW)
    snap = index.snapshot()
    snap.generation = 2**8 - 3
    snap.slots = 2**31 - snap.nodes - 1
    for _ in range(3):  # the last two walks start over from 1
        again = index.trace("forward", RAW)
        assert ids(again) == ids(first) == {S1, S2, CASE, PALLET}
        assert party_ids(again) == {CUSTOMER_A}
        assert party_ids(index.trace("backward", S1)) == set()
    assert 0 < snap.generation < 10 and int(snap.whole_mark.max()) < 10
    assert 0 < snap.slots < 100 and int(snap.cover_slot.max()) < 100


def test_traces_do_not_wait_for_a_retake_and_use_it_once_it_is_ready(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once enough changed, the snapshot is retaken on another thread (seconds at a million events):
    traces meanwhile answer from the old one, caught up, and the next trace after the retake uses the new
    one, caught up with what arrived while it was taken."""
    monkeypatch.setattr(snapshot, "REBUILD_AFTER", 0)
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)), transform([RAW], [S1], at(2)))
    assert ids(index.trace("forward", RAW)) == {S1}
    first = index.snapshot()
    release, started = threading.Event(), threading.Event()
    take = Snapshot.take

    def slow_take(
        graph: Graph,
        view: View | None = None,
        previous: Snapshot | None = None,
        pause: pacing.Pause | None = None,
    ) -> Snapshot:
        started.set()
        assert release.wait(30), "the test never released the retake"
        return take(graph, view, previous, pause)

    monkeypatch.setattr(Snapshot, "take", slow_take)
    index_of(engine, pack(CASE, [S1], at(3)))
    assert ids(index.trace("forward", RAW)) == {S1, CASE}  # starts the retake, and does not wait for it
    assert started.wait(30)
    index_of(engine, ship([CASE], CUSTOMER_A, at(4)))
    result = index.trace("forward", RAW)  # the retake still runs: the old snapshot answers
    assert (ids(result), party_ids(result)) == ({S1, CASE}, {CUSTOMER_A})
    assert index.snapshot() is first
    release.set()
    deadline = time.monotonic() + 30
    while index.snapshot() is first and time.monotonic() < deadline:
        time.sleep(0.01)
    retaken = index.snapshot()
    assert retaken is not first
    index_of(engine, transform([RAW], [S2], at(5)))
    result = index.trace("forward", RAW)
    assert (ids(result), party_ids(result)) == ({S1, S2, CASE}, {CUSTOMER_A})


def test_a_retake_orders_identifiers_as_sorting_them_all_again_would() -> None:
    """Results are sorted by identifier through the snapshot's rank; a retake merges the identifiers new
    since the previous snapshot into its order instead of sorting them all again."""
    rng = random.Random(7)
    displayed = [f"urn:epc:id:sgtin:0614141.{rng.randrange(10**6):06d}.{i}" for i in range(500)]
    for held in (0, 1, 120, 499, 500):
        previous = cast(Snapshot, SimpleNamespace(nodes=held, rank=_rank(displayed.__getitem__, held, None)))
        assert (
            _rank(displayed.__getitem__, len(displayed), previous).tolist()
            == _rank(displayed.__getitem__, len(displayed), None).tolist()
        )
    ordered = sorted(range(len(displayed)), key=displayed.__getitem__)
    assert _rank(displayed.__getitem__, len(displayed), None)[ordered].tolist() == list(range(len(displayed)))


def test_a_retake_that_pauses_sorts_the_new_identifiers_a_slice_at_a_time_to_the_same_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a pause, the identifiers new since the previous snapshot are sorted in slices and merged (one
    long sort would hold up traces); the order, repeats included, is the one sorting them all gives."""
    monkeypatch.setattr(snapshot, "_COPY", 8)
    rng = random.Random(11)
    displayed = [f"urn:epc:id:sgtin:0614141.{rng.randrange(40):06d}.1" for _ in range(300)]  # repeats
    pauses: list[int] = []
    for held in (0, 7, 150):
        previous = cast(Snapshot, SimpleNamespace(nodes=held, rank=_rank(displayed.__getitem__, held, None)))
        paced = _rank(displayed.__getitem__, len(displayed), previous, lambda: pauses.append(1))
        assert paced.tolist() == _rank(displayed.__getitem__, len(displayed), None).tolist()
    assert pauses


def test_a_retake_pauses_between_chunks_and_takes_the_same_snapshot(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retake on another thread calls its pause every `PACE` items of its long loops (where it gives way to
    traces); pausing changes nothing in what it takes."""
    index = index_of(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        transform([RAW], [S1, S2], at(2)),
        pack(CASE, [S1, S2], at(3)),
        pack(PALLET, [CASE], at(4)),
        ship([PALLET], CUSTOMER_A, at(5)),
        receive([PALLET], SUPPLIER, at(6)),
    )
    index.refresh()
    monkeypatch.setattr(pacing, "PACE", 2)
    pauses: list[int] = []
    paced = Snapshot.take(index.graph, pause=lambda: pauses.append(1))
    plain = Snapshot.take(index.graph)
    assert len(pauses) >= 5  # the loops over groups, containers, shipments, receipts, identifiers
    assert_same(paced, plain)


def test_a_snapshot_worked_out_a_few_rows_at_a_time_is_the_one_worked_out_all_at_once(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build works on slices of its columns to keep its peak of memory low (output runs, ranks, the
    grouping of containment spans, identifiers laid out for sorting): slices of two rows give the same
    snapshot, closed spans and identifiers kept whole included."""
    s3 = serial("000030", 3)
    index = index_of(
        engine,
        receive([RAW], SUPPLIER, at(1)),
        transform([RAW], [S1, S2, s3], at(2)),
        transform([RAW], [S2, S1], at(2, 9)),
        pack(CASE, [S1, S2, s3], at(3)),
        unpack(CASE, [S2], at(3, 9)),
        pack(PALLET, [CASE, S2], at(4)),
        ship([PALLET], CUSTOMER_A, at(5)),
        receive([PALLET], SUPPLIER, at(6)),
    )
    index.refresh()
    whole = Snapshot.take(index.graph)
    assert len(whole.closed_spans) == 1
    monkeypatch.setattr(snapshot, "_ROWS_AT_ONCE", 2)
    monkeypatch.setattr(csr, "_PIECE", 2)
    monkeypatch.setattr(ordering, "_PIECE", 2)
    assert_same(Snapshot.take(index.graph), whole)


def assert_same(mine: Snapshot, theirs: Snapshot) -> None:
    for field in dataclasses.fields(Snapshot):
        if field.init:
            a, b = getattr(mine, field.name), getattr(theirs, field.name)
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, b), field.name
            elif isinstance(a, Sparse):
                assert np.array_equal(a.keys, b.keys) and np.array_equal(a.ptr, b.ptr), field.name
            else:
                assert a == b, field.name


def test_a_retake_gives_way_while_traces_run(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """At each pause a retake waits while a trace or recall is in progress, but never longer than
    `_GIVE_WAY` at a time, so that it finishes under a steady stream of traces."""
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)))
    clock = [0.0]
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(trace_index, "time", SimpleNamespace(sleep=nap, monotonic=lambda: clock[0]))
    index.give_way()
    assert naps == []  # nothing to give way to
    with index.serving():
        index.give_way()
    assert naps and sum(naps) == pytest.approx(trace_index._GIVE_WAY, abs=trace_index._NAP)


@pytest.mark.parametrize("fails", [False, True])
def test_a_retake_holds_off_full_garbage_collections_until_it_is_done(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    """A full collection walks the lists a retake is making (0.1-0.3 s each, several a second under
    back-to-back traces at 1M events, every thread waiting): none runs during a retake, and the collector
    is as it was afterwards, also when the retake fails."""
    monkeypatch.setattr(snapshot, "REBUILD_AFTER", 0)
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)), transform([RAW], [S1], at(2)))
    index.trace("forward", RAW)
    pending: list[Callable[[], None]] = []
    index.start_retake = pending.append
    during: list[tuple[int, int, int]] = []
    take = Snapshot.take

    def watched_take(
        graph: Graph,
        view: View | None = None,
        previous: Snapshot | None = None,
        pause: pacing.Pause | None = None,
    ) -> Snapshot:
        during.append(gc.get_threshold())
        if fails:
            raise RuntimeError("the retake fails")
        return take(graph, view, previous, pause)

    monkeypatch.setattr(Snapshot, "take", watched_take)
    before = gc.get_threshold()
    index_of(engine, pack(CASE, [S1], at(3)))
    index.trace("forward", RAW)  # starts the retake (deferred here)
    (run,) = pending
    run()
    assert during[0][:2] == before[:2] and during[0][2] > 1_000_000  # no full collection meanwhile
    assert gc.get_threshold() == before
    assert ids(index.trace("forward", RAW)) == {S1, CASE}


def test_a_group_whose_events_differ_keeps_the_event_of_each_input_and_output() -> None:
    # group 0: one event (7) for its input and outputs; group 1 (a transformationID): inputs of events 8 and 9,
    # outputs of 9; group 2: an output only
    cons_group, cons_pk = np.array([0, 1, 1]), np.array([7, 8, 9])
    out_ptr, out_pk = np.array([0, 2, 4, 5]), np.array([7, 7, 9, 9, 11])
    group_pk, *odd = snapshot._group_events(3, cons_group, cons_pk, out_ptr, out_pk)
    assert group_pk.tolist() == [7, -1, 11]
    assert snapshot._events_of(group_pk, cons_group, np.arange(3), odd[0], odd[1]).tolist() == [7, 8, 9]
    out_group = np.array([0, 0, 1, 1, 2])
    assert snapshot._events_of(group_pk, out_group, np.arange(5), odd[2], odd[3]).tolist() == [7, 7, 9, 9, 11]
