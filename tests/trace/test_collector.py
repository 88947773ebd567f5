"""The garbage collector held off during work over the trace index (retakes, checks, traces, recalls)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
import sqlalchemy as sa

from lotline.trace.collector import collections_held, full_collections_held
from lotline.trace.traverse import TraceResult
from tests.trace.builders import RAW, SUPPLIER, at, index_of, receive


def test_full_collections_wait_until_the_last_holder_leaves_and_the_thresholds_come_back() -> None:
    before = gc.get_threshold()
    with full_collections_held():
        held = gc.get_threshold()
        assert held[:2] == before[:2] and held[2] > 1_000_000
        with full_collections_held():  # a completeness check while a retake runs
            assert gc.get_threshold() == held
        assert gc.get_threshold() == held  # the retake still runs
    assert gc.get_threshold() == before


def test_a_trace_holds_every_collection_and_a_retake_beside_it_keeps_its_hold() -> None:
    before = gc.get_threshold()
    with full_collections_held():  # a retake
        with collections_held():  # a trace meanwhile: no automatic collection at all
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == before[0] and gc.get_threshold()[2] > 1_000_000
    assert gc.get_threshold() == before


def test_the_thresholds_come_back_when_the_work_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), full_collections_held(), collections_held():
        raise RuntimeError("the retake fails")
    assert gc.get_threshold() == before


def test_a_trace_collects_nothing_while_it_runs_and_leaves_the_collector_as_it_was(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = index_of(engine, receive([RAW], SUPPLIER, at(1)))
    before = gc.get_threshold()
    collections: list[int] = []
    during: list[int] = []
    original = index.forward

    def forward(root: str, **window: Any) -> TraceResult:
        started = len(collections)
        made = [{"n": n} for n in range(5_000)]  # more than a young generation's threshold
        during.append(len(collections) - started + len(made) - 5_000)
        return original(root, **window)

    monkeypatch.setattr(index, "forward", forward)
    gc.callbacks.append(lambda phase, info: collections.append(info["generation"]))
    try:
        index.trace("forward", RAW)
    finally:
        gc.callbacks.pop()
    assert during == [0]  # no collection while the trace ran
    assert gc.get_threshold() == before
