"""Rows grouped by key in flat integer arrays (compressed sparse rows), for the snapshot's tables.

`csr` groups rows under dense keys (a pointer for every key: nodes, groups); `Sparse` under the few keys
that have rows (a sorted search instead of a pointer for every one); `gather` reads the rows of many keys at
once; `narrow` keeps columns in 4 bytes where their values fit.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.signedinteger[Any]]  # int64, or int32 for what fits: node numbers, pks, rows, ranks
Bools = npt.NDArray[np.bool_]
_PIECE = 1 << 18  # rows at a time where a loop keeps temporaries small


def csr(keys: Ints, size: int, *columns: Ints) -> tuple[Ints, list[Ints]]:
    """Rows grouped by `keys` (0 <= key < size), in their original order within a key: (ptr, columns), rows
    of key k at ptr[k]:ptr[k + 1] (ptr in int32 where it fits: `small_int`)."""
    ptr, order = grouping(keys, size)
    return ptr, [column[order] for column in columns]


def grouping(keys: Ints, size: int) -> tuple[Ints, Ints]:
    """How `csr` groups rows, for a caller that gathers its columns itself (and lets each go once it is
    gathered): (ptr, the rows in their grouped order). `packed_grouping` does it without a copy of the keys,
    for a caller that can write them packed as they come."""
    if len(keys) >= 2**32 or size >= 2**31:  # (no room for the row number beside the key)
        return _counted(keys, size)
    packed = array("q", [0]) * len(keys)
    view = np.frombuffer(packed, dtype=np.int64)
    for a in range(0, len(keys), _PIECE):
        piece = view[a : a + _PIECE]
        piece[:] = keys[a : a + _PIECE]
        piece <<= 32
        piece |= np.arange(a, a + len(piece), dtype=np.int64)
        del piece  # (no view may outlive the loop: the array is resized)
    del view
    return packed_grouping(packed, size)


def packed_grouping(packed: array[int], size: int) -> tuple[Ints, Ints]:
    """`grouping` of rows given as one int64 each, key << 32 | row number (rows numbered from 0, keys below
    2**31), sorted where they are and then turned, where they are, into the grouped order: the array is
    the order's memory afterwards (cut to 4 bytes a row where they fit), and the caller keeps no other use
    of it.

    Rows distinct, an unstable sort in place keeps them in their original order within a key; a stable
    `argsort` of the keys took 8 bytes a row for its result and up to 4 more for its merge buffer, on top of
    the keys, at the peak of the trace index's build (tens of millions of containment spans at ten million
    events)."""
    rows = len(packed)
    if rows >= 2**32 or size >= 2**31:
        return _counted(np.frombuffer(packed, dtype=np.int64) >> 32, size)
    values = np.frombuffer(packed, dtype=np.int64)
    values.sort()
    # where each key's rows begin, found in the sorted rows (a count of every key took 8 bytes a key)
    ptr = np.empty(size + 1, dtype=small_int(rows))
    for a in range(0, size + 1, _PIECE):
        firsts = np.arange(a, min(a + _PIECE, size + 1), dtype=np.int64)
        firsts <<= 32
        ptr[a : a + len(firsts)] = np.searchsorted(values, firsts)
    if small_int(rows) is np.int64:
        values &= 0xFFFFFFFF
        return ptr, values
    # the row numbers, the low halves, moved down to 4 bytes each (front to back: each piece is read from
    # at or after where it is written) and the rest of the array handed back
    halves = values.view(np.int32)
    low = 0 if np.little_endian else 1
    for a in range(0, rows, _PIECE):
        b = min(a + _PIECE, rows)
        halves[a:b] = halves[2 * a + low : 2 * b : 2]
    del values, halves
    try:
        del packed[(rows + 1) // 2 :]
    except BufferError:  # something else still holds a view of it (a profiler's frames): a copy, then
        return ptr, np.frombuffer(packed, dtype=np.int32, count=rows).copy()
    return ptr, np.frombuffer(packed, dtype=np.int32, count=rows)


def _counted(keys: Ints, size: int) -> tuple[Ints, Ints]:
    ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=ptr[1:])
    return ptr, np.argsort(keys, kind="stable")


def narrow(values: Ints) -> Ints:
    """int32 if every value fits (node numbers, pks, rows and ranks below two billion: half the memory of
    the snapshot's columns, a slot for every node and event), else as it is. Arithmetic on them promotes
    to int64 wherever an int64 takes part (`gather`'s offsets, the walks' keys)."""
    if len(values) and (int(values.max()) >= 2**31 or int(values.min()) < -(2**31)):
        return values
    return values.astype(np.int32, copy=False)


def small_int(largest: int) -> type[np.signedinteger[Any]]:
    """int32 for values up to `largest` where they fit (node numbers, pks, rows), else int64. Its
    `np.dtype(...).char` is the matching `array.array` typecode, and `np.frombuffer` reads such an array
    back by its typecode."""
    return np.int32 if largest < 2**31 else np.int64


def gather(ptr: Ints, keys: Ints) -> tuple[Ints, Ints]:
    """For each key (in order), the rows of its CSR range: (which key of `keys` each row belongs to, row
    positions)."""
    starts = ptr[keys]
    counts = ptr[keys + 1] - starts
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
    if total == 0:
        return owner, owner
    first = np.cumsum(counts) - counts
    return owner, np.arange(total, dtype=np.int64) - first[owner] + starts[owner]


@dataclass(frozen=True, slots=True)
class Sparse:
    """A CSR over the few keys that have rows (nodes consumed, shipped or received; shipment and receipt
    events): the keys in order and their pointers, 8 bytes a key that has rows where a dense pointer array
    cost 4 bytes for every key (node or pk): 120 MB an array at ten million events."""

    keys: Ints  # ascending, distinct
    ptr: Ints  # rows of keys[i] at ptr[i]:ptr[i + 1]

    @classmethod
    def of(cls, keys: Ints, *columns: Ints, within: Ints | None = None) -> tuple[Sparse, list[Ints]]:
        """Rows grouped by `keys`, within a key by `within` if given, else (and then) in their original
        order: (the CSR, columns)."""
        order = np.argsort(keys, kind="stable") if within is None else np.lexsort((within, keys))
        distinct, counts = np.unique(keys[order], return_counts=True)
        ptr = np.zeros(len(distinct) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return cls(narrow(distinct), narrow(ptr)), [narrow(column[order]) for column in columns]

    def gather(self, keys: Ints) -> tuple[Ints, Ints]:
        """`gather` over this CSR: (which key of `keys` each row belongs to, row positions). Most keys asked
        have no rows (a serial is rarely shipped or received itself): that answer takes as few numpy calls as
        it can (each costs microseconds, and a backward trace asks for every identifier it walks)."""
        at, hit = find_sorted(self.keys, keys)
        if not hit.any():
            return _none()
        which = np.flatnonzero(hit)
        owner, rows = gather(self.ptr, at[which])
        return which[owner], rows


def _none() -> tuple[Ints, Ints]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def find_sorted(table: Ints, keys: Ints) -> tuple[Ints, Bools]:
    """Where each key is in an ascending table of distinct values: (its place, whether it is there). The keys
    are asked in the table's own type: else numpy converts the whole table, at every call."""
    if not len(table) or not len(keys):
        return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=np.bool_)
    at = np.searchsorted(table, keys.astype(table.dtype, copy=False))
    np.minimum(at, len(table) - 1, out=at)
    return at, table[at] == keys
