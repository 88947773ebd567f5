"""node -> ints, for the trace index's tables keyed by node number: a flat array with one slot a node.

Nodes are numbered densely from 0, and most have no entry or one in each table (a serial made by one
transformation, packed into one case, shipped once). As a dict of Python ints (a `Multimap`) an entry cost
about 70 bytes at a million events, 30 GB of tables at ten million; here the slot is 4 bytes: the value itself
(>= 0), -1 for none, or -2 - v for a node with several values, v the first, the others kept as pairs in a
`SparseLists` (8 bytes a value: no Python object, where a list of two int objects took 130 bytes).

Values are event pks, node numbers and transformation codes: ints in 0 .. 2**31 - 1. Slots are only
written in one order (the other values first, then the slot that says there are some), and values only
appended: a reader on another thread (a snapshot retake, the completeness check) sees each entry whole.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

_NONE = -1
_MANY = -2  # slot = _MANY - v: the node has several values, v the first, the others in `_more`
_MANY_ALL = -(2**31)  # the node has several values, all in `_more` (a first too large for the code above)
_GROW = 1.25


class NodeLists:
    __slots__ = ("_count", "_more", "_slot")

    def __init__(self) -> None:
        self._slot = array("i")
        self._more = SparseLists()  # the values after the first of the nodes with several
        self._count = 0  # nodes with at least one value

    def get(self, node: int, default: Sequence[int] = ()) -> Sequence[int]:
        """The node's values in the order they were added (a tuple)."""
        slot = self._slot
        if node >= len(slot):
            return default
        value = slot[node]
        if value >= 0:
            return (value,)
        if value == _NONE:
            return default
        if value == _MANY_ALL:
            return tuple(self._more.get(node))
        return (_MANY - value, *self._more.get(node))

    def add(self, node: int, value: int) -> None:
        slot = self._slot
        if node >= len(slot):
            more = max(node + 1, int(len(slot) * _GROW)) - len(slot)
            slot.frombytes(b"\xff" * (4 * more))  # -1: none
        found = slot[node]
        if found == _NONE:
            slot[node] = value
            self._count += 1
        elif found >= 0:
            if _MANY - found > _MANY_ALL:
                self._more.add(node, value)
                slot[node] = _MANY - found
            else:
                self._more.add(node, found)
                self._more.add(node, value)
                slot[node] = _MANY_ALL
        else:
            self._more.add(node, value)

    def compact(self) -> None:
        """`SparseLists.compact` of the values after the first."""
        self._more.compact()

    def add_once(self, node: int, value: int) -> None:
        """`add`, unless the node has the value already (repeats are most often the last one added)."""
        found = self.get(node)
        if not found or (found[-1] != value and value not in found):
            self.add(node, value)

    def __contains__(self, node: object) -> bool:
        return type(node) is int and 0 <= node < len(self._slot) and self._slot[node] != _NONE

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        """The nodes with values, in node order."""
        return iter(np.flatnonzero(self._slots() != _NONE).tolist())

    def items(self) -> Iterator[tuple[int, Sequence[int]]]:
        get = self.get
        return ((node, get(node)) for node in self)

    def pairs(self, nodes: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Every (node, value) of the nodes below `nodes`, as two arrays ordered by node and, within a node,
        in the order added (what a snapshot turns into CSR arrays in one go)."""
        slots = self._slots(nodes)
        single = np.flatnonzero(slots >= 0)
        many = np.flatnonzero((slots <= _MANY) & (slots != _MANY_ALL))
        more_nodes, more_values = self._more.pairs(nodes)
        # (values added after the slots were copied: left for the next look)
        keep = np.isin(more_nodes, np.flatnonzero(slots <= _MANY))
        keys = np.concatenate([single, many, more_nodes[keep]])
        values = np.concatenate(
            [slots[single].astype(np.int64), (_MANY - slots[many]).astype(np.int64), more_values[keep]]
        )
        order = np.argsort(keys, kind="stable")  # (a node's first value comes before its others)
        return keys[order], values[order]

    def _slots(self, nodes: int | None = None) -> npt.NDArray[np.int32]:
        """A copy of the slots (of the first `nodes` nodes): the array may grow on another thread, which it
        could not while numpy viewed it."""
        slot = self._slot
        copy = slot[:] if nodes is None else slot[:nodes]  # (one C call: whole)
        found = np.frombuffer(copy, dtype=np.int32)
        if nodes is not None and len(found) < nodes:
            found = np.concatenate([found, np.full(nodes - len(found), _NONE, dtype=np.int32)])
        return found


_MERGE_AT = 65_536  # pairs waiting before a merge into the columns of a SparseLists (or a 32nd of them)


class SparseLists:
    """`NodeLists` for the tables only some nodes have entries in (what was consumed, held something, was
    shipped or received: a tenth of the nodes or fewer, where every node is in the tables of what was made
    and of what was inside what): the (node, value) pairs in columns sorted by node, 8 bytes a pair and
    nothing for a node without one, where a slot for every node cost 4 bytes a node (120 MB a table at ten
    million events).

    New pairs wait in a small dict and are merged into the columns in batches (as in `HashIndex`). The
    columns and the dict are replaced together, in one assignment: a reader on another thread sees the
    state before a merge or after it, never half of it. Values come back in the order they were added."""

    __slots__ = ("_count", "_state")

    def __init__(self) -> None:
        # (nodes, values, waiting): sorted columns, and node -> values added since they were merged
        self._state: tuple[array[int], array[int], dict[int, list[int]]] = (array("i"), array("i"), {})
        self._count = 0  # nodes with at least one value

    def get(self, node: int, default: Sequence[int] = ()) -> Sequence[int]:
        """The node's values in the order they were added (do not change what comes back)."""
        nodes, values, waiting = self._state
        lo = bisect_left(nodes, node)
        if lo == len(nodes) or nodes[lo] != node:
            return waiting.get(node, default)
        merged = values[lo : bisect_right(nodes, node, lo)]
        more = waiting.get(node)
        return merged if more is None else [*merged, *more]

    def add(self, node: int, value: int) -> None:
        if not 0 <= node < 2**31 or not 0 <= value < 2**31:
            raise OverflowError("nodes and values of the trace index stay in 0 .. 2**31 - 1")
        if node not in self:
            self._count += 1
        nodes, _, waiting = self._state
        waiting.setdefault(node, []).append(value)
        if len(waiting) >= max(_MERGE_AT, len(nodes) >> 5):
            self._merge()

    def add_once(self, node: int, value: int) -> None:
        """`add`, unless the node has the value already."""
        found = self.get(node)
        if not found or (found[-1] != value and value not in found):
            self.add(node, value)

    def compact(self) -> None:
        """Merge the pairs waiting into the columns now (after a build: the dict costs about 150 bytes a node,
        the columns 8)."""
        if self._state[2]:
            self._merge()

    def _merge(self) -> None:
        nodes, values, waiting = self._state
        more = np.array([(n, v) for n, vs in waiting.items() for v in vs], dtype=np.int64).reshape(-1, 2)
        more = more[np.argsort(more[:, 0], kind="stable")].astype(np.int32)  # (the columns' own type)
        column = np.frombuffer(nodes, dtype=np.int32)
        at = np.searchsorted(column, more[:, 0], side="right")  # after equal nodes: older first
        merged_nodes = np.insert(column, at, more[:, 0])
        merged_values = np.insert(np.frombuffer(values, dtype=np.int32), at, more[:, 1])
        self._state = (array("i", merged_nodes.tobytes()), array("i", merged_values.tobytes()), {})

    def __contains__(self, node: object) -> bool:
        if type(node) is not int:
            return False
        nodes, _, waiting = self._state
        if node in waiting:
            return True
        lo = bisect_left(nodes, node)
        return lo < len(nodes) and nodes[lo] == node

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        """The nodes with values, in node order."""
        nodes, _, waiting = self._state
        merged = np.unique(np.frombuffer(nodes[:], dtype=np.int32))
        return iter(np.union1d(merged, np.fromiter(list(waiting), dtype=np.int64)).tolist())

    def items(self) -> Iterator[tuple[int, Sequence[int]]]:
        get = self.get
        return ((node, get(node)) for node in self)

    def pairs(self, nodes: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """`NodeLists.pairs`."""
        merged_nodes, merged_values, waiting = self._state
        more = [(n, v) for n, vs in list(waiting.items()) for v in list(vs)]
        keys = np.concatenate(
            [np.frombuffer(merged_nodes, dtype=np.int32), np.array([n for n, _ in more], dtype=np.int32)]
        ).astype(np.int64)
        values = np.concatenate(
            [np.frombuffer(merged_values, dtype=np.int32), np.array([v for _, v in more], dtype=np.int32)]
        ).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        below = keys < nodes
        return keys[below], values[below]


NodeTable = NodeLists | SparseLists
