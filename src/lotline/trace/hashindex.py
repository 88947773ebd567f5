"""A multimap from 64-bit hashes to row numbers in flat arrays: the compact way to find a row by its text.

A Python dict from strings to ints costs about 100 bytes an entry plus the strings; this costs 6 (the
hashes' low 32 bits, sorted, as 65,536 buckets of their top 16 bits holding the low 16, and int32 rows: rows
stay below 2**31, as node numbers and pks do in the index) and keeps no text. Hashes can collide (32 bits:
a lookup among 30 million keys meets a stranger one time in 140), so a lookup returns every row with the hash and the caller compares the text it keeps
elsewhere (`EventTable.find` compares eventIDs).

New entries go to a small dict first and are merged into the sorted columns in batches (a merge is one
`np.insert` of the sorted batch: linear in the size, so building ten million entries costs seconds).
Readers on other threads see either the old columns or the new, never a half-merged pair: a merge builds
new arrays and replaces both in one assignment.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from hashlib import blake2b

import numpy as np
import numpy.typing as npt

from lotline.trace.multimap import Multimap

_MERGE_AT = 65_536  # entries in the dict before a merge (or a 32nd of the columns, if more)
_LOW = 0xFFFF_FFFF  # the bits of a hash kept
_HALF = 0xFFFF  # of those, the bits stored (the others name the bucket)
_BUCKETS = 1 << 16


def text_hash(text: str) -> int:
    """A 64-bit hash of a text, the same in every process (Python's own `hash` is salted per process)."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


class HashIndex:
    __slots__ = ("_columns", "_recent", "_size")

    def __init__(self) -> None:
        # (bucket pointers, low halves, rows): never changed once made (a merge makes new ones), so numpy may
        # view them safely. Entries are sorted by their 32 kept bits; the top 16 name a bucket (its entries at
        # ptr[b]:ptr[b + 1]), and only the low 16 are stored: 6 bytes an entry where the whole 32 took 8
        # (80 MB at ten million events).
        self._columns: tuple[array[int], array[int], array[int]] = (
            array("q", bytes(8 * (_BUCKETS + 1))),
            array("H"),
            array("i"),
        )
        self._recent: Multimap[int, int] = Multimap()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, hashed: int, row: int) -> None:
        recent = self._recent
        recent.add(hashed & _LOW, row)
        self._size += 1
        if len(recent) >= max(_MERGE_AT, len(self._columns[1]) >> 5):
            self._merge()

    def rows(self, hashed: int) -> list[int]:
        """The rows added with this hash (or one with the same low 32 bits), oldest first."""
        hashed &= _LOW
        # the batch first, then the columns: a merge on another thread assigns the columns before it empties
        # the batch, so a reader sees its rows at least once (and drops a second sighting)
        recent = self._recent.get(hashed)
        found = self._found(self._columns, hashed)
        found += [r for r in recent if r not in found]
        return found

    @staticmethod
    def _found(columns: tuple[array[int], array[int], array[int]], hashed: int) -> list[int]:
        ptr, lows, rows = columns
        bucket, low = hashed >> 16, hashed & _HALF
        end = ptr[bucket + 1]
        at = bisect_left(lows, low, ptr[bucket], end)  # (a scalar np.searchsorted costs several times more)
        found = []
        while at < end and lows[at] == low:
            found.append(rows[at])
            at += 1
        return found

    def rows_many(self, hashed: npt.NDArray[np.int64]) -> list[list[int]]:
        """`rows` for many hashes at once."""
        recent = self._recent.copy()  # (see rows: the batch before the columns)
        columns = self._columns
        found: list[list[int]] = []
        for h in (hashed & _LOW).tolist():
            some = self._found(columns, h)
            if recent:
                some += [r for r in recent.get(h) if r not in some]
            found.append(some)
        return found

    def add_many(self, hashes: Sequence[int], rows: Sequence[int]) -> None:
        """`add` of each pair, merged straight into the columns if there are many."""
        if len(hashes) < _MERGE_AT // 16:
            for hashed, row in zip(hashes, rows, strict=True):
                self.add(hashed, row)
            return
        self._size += len(hashes)
        self._merge(np.array([hashes, rows], dtype=np.int64).T & np.array([_LOW, -1], dtype=np.int64))

    def _merge(self, more: npt.NDArray[np.int64] | None = None) -> None:
        recent = self._recent
        pairs = [(h, r) for h in recent for r in recent.get(h)]
        batch = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        if more is not None:
            batch = np.concatenate([batch, more])
        batch = batch[np.lexsort((batch[:, 1], batch[:, 0]))]
        if len(batch) and int(batch[:, 1].max()) >= 2**31:
            raise OverflowError("rows of a HashIndex stay below 2**31")
        ptr, lows, rows = self._arrays()
        # the kept bits of every entry, spelled out for the search (after equal hashes: older rows first)
        kept = np.repeat(np.arange(_BUCKETS, dtype=np.uint32) << 16, np.diff(ptr)) | lows
        at = np.searchsorted(kept, batch[:, 0].astype(np.uint32), side="right")
        del kept
        added = np.zeros(_BUCKETS + 1, dtype=np.int64)
        np.cumsum(np.bincount(batch[:, 0] >> 16, minlength=_BUCKETS), out=added[1:])
        self._columns = (
            array("q", (ptr + added).tobytes()),
            array("H", np.insert(lows, at, (batch[:, 0] & _HALF).astype(np.uint16)).tobytes()),
            array("i", np.insert(rows, at, batch[:, 1].astype(np.int32)).tobytes()),
        )
        self._recent = Multimap()

    def _arrays(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint16], npt.NDArray[np.int32]]:
        ptr, lows, rows = self._columns
        return (
            np.frombuffer(ptr, dtype=np.int64),
            np.frombuffer(lows, dtype=np.uint16),
            np.frombuffer(rows, dtype=np.int32),
        )
