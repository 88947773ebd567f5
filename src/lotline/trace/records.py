"""Fixed-size records by row, kept in an unnamed temporary file instead of the process's memory.

The trace index keeps the 32-byte digest of every eventID (320 MB at ten million events) only to spell the
eventIDs of a result: a few dozen events for most traces, a few thousand for the heaviest. Those reads
cost a microsecond a record from the page cache, so the records live in a file the kernel caches and may
drop under pressure, rather than in memory the process holds for good. The newest records stay in memory
until a block of them is full, then go to the file in one write.

The file is made with `tempfile.TemporaryFile` (in `TMPDIR`, unlinked at once: nothing is left behind,
even after a crash) when the first block is written: a small index never makes one. Where the platform
has no positional reads (`os.pread`), the records stay in memory.

Records are only appended. A reader on another thread takes the state once (what is in the file, and the
block in memory) and reads the rows it knows exist: a block is written to the file before the state that
points past it is published.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections.abc import Sequence
from typing import IO

import numpy as np

_BLOCK = 1 << 20  # bytes kept in memory before they are written out
_PAGE = 4096  # rows closer than this in the file are read together
_SPILLS = hasattr(os, "pread") and hasattr(os, "pwrite")


class RecordFile:
    __slots__ = ("__weakref__", "_file", "_size", "_state")

    def __init__(self, size: int) -> None:
        self._size = size
        self._file: IO[bytes] | None = None
        self._state: tuple[int, bytearray] = (0, bytearray())  # (records in the file, the records after them)

    def __len__(self) -> int:
        written, tail = self._state
        return written + len(tail) // self._size

    def append(self, record: bytes) -> None:
        if len(record) != self._size:
            raise ValueError(f"a record here is {self._size} bytes, not {len(record)}")
        written, tail = self._state
        tail += record
        if len(tail) >= _BLOCK and _SPILLS:
            if self._file is None:
                # (open for the life of the column: closed, and so removed, when the column is collected)
                self._file = tempfile.TemporaryFile(prefix="lotline-trace-")  # noqa: SIM115
                weakref.finalize(self, self._file.close)
            os.pwrite(self._file.fileno(), tail, written * self._size)
            self._state = (written + len(tail) // self._size, bytearray())

    def __getitem__(self, row: int) -> bytes:
        written, tail = self._state
        size = self._size
        if not 0 <= row < written + len(tail) // size:
            raise IndexError(row)
        if row >= written:
            at = (row - written) * size
            return bytes(tail[at : at + size])
        assert self._file is not None
        return os.pread(self._file.fileno(), size, row * size)

    def many(self, rows: Sequence[int]) -> bytes:
        """The records of these rows, in their order, joined. Rows near each other in the file (within a
        page) are read in one go."""
        written, tail = self._state
        size = self._size
        at = np.asarray(rows, dtype=np.int64)
        if not len(at):
            return b""
        bad = (at < 0) | (at >= written + len(tail) // size)
        if bad.any():
            raise IndexError(int(at[np.argmax(bad)]))
        out = np.empty((len(at), size), dtype=np.uint8)
        recent = at >= written
        if recent.any():  # (a copy of the block: a view of it would keep the writer from growing it)
            block = np.frombuffer(bytes(tail), dtype=np.uint8).reshape(-1, size)
            out[recent] = block[at[recent] - written]
        old = ~recent
        if old.any():
            assert self._file is not None
            wanted = at[old]
            distinct = np.unique(wanted)
            cut = np.flatnonzero(np.diff(distinct) * size > _PAGE) + 1
            firsts = distinct[np.r_[0, cut]]
            lasts = distinct[np.r_[cut - 1, len(distinct) - 1]]
            fd = self._file.fileno()
            chunks = [
                os.pread(fd, (b - a + 1) * size, a * size)
                for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True)
            ]
            base = np.zeros(len(firsts), dtype=np.int64)
            np.cumsum(lasts[:-1] - firsts[:-1] + 1, out=base[1:])
            run = np.searchsorted(firsts, wanted, side="right") - 1
            read = np.frombuffer(b"".join(chunks), dtype=np.uint8).reshape(-1, size)
            out[old] = read[base[run] + wanted - firsts[run]]
        return out.tobytes()
