"""Full garbage collections held off during long work over the trace index (retakes, recalls)."""

from __future__ import annotations

import gc

import pytest

from lotline.trace.collector import full_collections_held


def test_full_collections_wait_until_the_last_holder_leaves_and_the_threshold_comes_back() -> None:
    before = gc.get_threshold()
    with full_collections_held():
        held = gc.get_threshold()
        assert held[:2] == before[:2] and held[2] > 1_000_000
        with full_collections_held():  # a recall while a retake runs
            assert gc.get_threshold() == held
        assert gc.get_threshold() == held  # the retake still runs
    assert gc.get_threshold() == before


def test_the_threshold_comes_back_when_the_work_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), full_collections_held():
        raise RuntimeError("the retake fails")
    assert gc.get_threshold() == before
