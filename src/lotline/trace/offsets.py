"""Ascending offsets (where each packed text ends), in 2.25 bytes each instead of 4.

The identifiers of the index are packed text with an end offset each (`lotline.trace.nodes.TextColumn`):
thirty million offsets at ten million events. Here the offsets come in blocks of 32: the first of a block
whole (8 bytes), the others as their distance from it (2 bytes). A block whose texts together pass 64 KiB
(2 KiB a text on average: not an identifier, nor a reference) turns the column into whole offsets, 8 bytes
each, from then on (`_whole`).

Offsets are only appended. A reader on another thread reads the offsets it knows exist: a block's first
offset is appended before the distances that name it, and a column turned whole keeps its old arrays as they
were (the new one is made before it is used).
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]

_SHIFT = 5
_BLOCK = 1 << _SHIFT  # offsets a block
_SPAN = 1 << 16  # a distance from the block's first must stay below this
_PIECE = 1 << 20  # offsets spelled out at a time (`narrow_copy`)


class Offsets:
    __slots__ = ("_base", "_rel", "_whole")

    def __init__(self) -> None:
        self._base = array("q", [0])  # by block: its first offset
        self._rel = array("H", [0])  # by offset: its distance from its block's first
        self._whole: array[int] | None = None

    def __len__(self) -> int:
        whole = self._whole
        return len(self._rel) if whole is None else len(whole)

    def nbytes(self) -> int:
        whole = self._whole
        if whole is not None:
            return 8 * len(whole)
        return 8 * len(self._base) + 2 * len(self._rel)

    def append(self, end: int) -> None:
        whole = self._whole
        if whole is not None:
            whole.append(end)
            return
        rel, base = self._rel, self._base
        if not len(rel) % _BLOCK:
            base.append(end)
            rel.append(0)
            return
        distance = end - base[-1]
        if distance >= _SPAN:
            whole = array("q", self.slice(0, len(rel)).tobytes())
            whole.append(end)
            self._whole = whole
            return
        rel.append(distance)

    def __getitem__(self, i: int) -> int:
        """The offset at i (0 <= i < len)."""
        whole = self._whole
        if whole is not None:
            return whole[i]
        return self._base[i >> _SHIFT] + self._rel[i]

    def parts(self) -> tuple[array[int], array[int], array[int] | None]:
        """(block firsts, distances, whole offsets or None), for loops that read many offsets one by one: offset
        i is whole[i] if there are whole offsets, else base[i >> 5] + rel[i]."""
        return self._base, self._rel, self._whole

    def take(self, at: Ints) -> Ints:
        """The offsets at these places (int64). A numpy view of the columns lives only during the call: the
        caller holds the index's lock, as for any read of views."""
        whole = self._whole
        if whole is not None:
            return np.frombuffer(whole, dtype=np.int64)[at]
        base = np.frombuffer(self._base, dtype=np.int64)
        rel = np.frombuffer(self._rel, dtype=np.uint16)
        found: Ints = base[at >> _SHIFT] + rel[at]
        return found

    def slice(self, start: int, stop: int) -> Ints:
        """Offsets start .. stop - 1 (those that exist, as a slice) as int64, from copies of the columns (safe
        without the index's lock)."""
        whole = self._whole
        if whole is not None:
            return np.frombuffer(whole[start:stop], dtype=np.int64).copy()
        rel_copy = self._rel[start:stop]
        stop = start + len(rel_copy)
        if stop <= start:
            return np.zeros(0, dtype=np.int64)
        rel = np.frombuffer(rel_copy, dtype=np.uint16)
        first = start >> _SHIFT
        base = np.frombuffer(self._base[first : ((stop - 1) >> _SHIFT) + 1], dtype=np.int64)
        found: Ints = base[(np.arange(start, stop, dtype=np.int64) >> _SHIFT) - first] + rel
        return found

    def narrow_copy(self, stop: int) -> npt.NDArray[np.integer[Any]]:
        """Offsets 0 .. stop - 1 as int32 if the last fits (else int64), spelled out a piece at a time: a
        copy of every identifier's offset without an int64 one beside it (safe without the index's lock)."""
        if not stop:
            return np.zeros(0, dtype=np.int32)
        last = self[stop - 1]
        out: npt.NDArray[np.integer[Any]] = np.empty(stop, dtype=np.int32 if last < 2**31 else np.int64)
        for a in range(0, stop, _PIECE):
            b = min(a + _PIECE, stop)
            out[a:b] = self.slice(a, b)
        return out
