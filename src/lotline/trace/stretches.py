"""The stretch of time each node was first walked for in one walk over a `Snapshot`, kept in the snapshot's
scratch space (the forward sweep's and the receipts search's record of what they have walked)."""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import numpy as np

from lotline.trace.csr import Bools, Ints

if TYPE_CHECKING:
    from lotline.trace.snapshot import Snapshot


class FirstStretches:
    """The first stretch of time each snapshot node was walked for in one walk: the node's slot in the
    snapshot's scratch array `cover_slot`, the stretch itself here, so the snapshot spends 4 bytes a node on
    it, not 16 (two times).

    Slots are numbered on from the snapshot's counter (`Snapshot.slots`), never reused: a walk's own slots
    are those from the counter's value when it began, so no mark of an earlier walk needs clearing (walks
    run one at a time, under the index's lock)."""

    __slots__ = ("_base", "_ends", "_snap", "_starts")

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        if snap.slots + snap.nodes >= 2**31:  # (a walk numbers at most one slot a node)
            snap.cover_slot.fill(0)
            snap.slots = 1
        self._base = snap.slots
        self._starts, self._ends = array("q"), array("q")

    def has(self, node: int) -> bool:
        """Whether the node has its first stretch in this walk (a snapshot node)."""
        return bool(self._snap.cover_slot[node] >= self._base)

    def has_many(self, nodes: Ints) -> Bools:
        return self._snap.cover_slot[nodes] >= self._base

    def add(self, node: int, start: int, end: int) -> None:
        snap = self._snap
        snap.cover_slot[node] = snap.slots
        snap.slots += 1
        self._starts.append(start)
        self._ends.append(end)

    def add_many(self, nodes: Ints, starts: Ints, ends: Ints) -> None:
        """`add` for distinct nodes."""
        snap = self._snap
        snap.cover_slot[nodes] = np.arange(snap.slots, snap.slots + len(nodes), dtype=np.int32)
        snap.slots += len(nodes)
        self._starts.frombytes(np.ascontiguousarray(starts, dtype=np.int64).tobytes())
        self._ends.frombytes(np.ascontiguousarray(ends, dtype=np.int64).tobytes())

    def covers(self, node: int, start: int, end: int) -> bool:
        """Whether [start, end) lies within the node's first stretch (the node has one in this walk)."""
        slot = int(self._snap.cover_slot[node]) - self._base
        return bool(self._starts[slot] <= start and end <= self._ends[slot])
