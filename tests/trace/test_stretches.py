"""A walk remembers the first stretch of time it walked each node for, and nothing of earlier walks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from lotline.trace.snapshot import Snapshot
from lotline.trace.stretches import FirstStretches


def _scratch(nodes: int) -> Snapshot:
    """The part of a snapshot the stretches live in: its node count and scratch slots."""
    return cast(Snapshot, SimpleNamespace(nodes=nodes, slots=1, cover_slot=np.zeros(nodes, dtype=np.int32)))


def test_a_walk_knows_the_stretch_it_first_walked_each_node_for() -> None:
    snap = _scratch(6)
    walk = FirstStretches(snap)
    walk.add(4, 10, 20)
    walk.add_many(np.array([0, 2]), np.array([0, 5]), np.array([100, 6]))
    assert walk.has(4) and not walk.has(1)
    assert walk.has_many(np.array([0, 1, 2, 3])).tolist() == [True, False, True, False]
    assert walk.covers(4, 12, 20) and not walk.covers(4, 5, 15)
    assert walk.covers(0, 0, 100) and walk.covers(2, 5, 6) and not walk.covers(2, 5, 7)


def test_the_next_walk_starts_with_nothing_walked() -> None:
    snap = _scratch(3)
    FirstStretches(snap).add_many(
        np.array([0, 1, 2]), np.zeros(3, dtype=np.int64), np.ones(3, dtype=np.int64)
    )
    assert not FirstStretches(snap).has_many(np.array([0, 1, 2])).any()
