"""The identifiers of the trace index: node numbers for identity keys, with their text packed.

A million events name about three million identifiers; as Python strings in a list, with a dict from key to
number and a second list of the forms first captured, they cost about 250 bytes each (750 MB). Here the
text is packed UTF-8 (one run of bytes and an end offset per text) and the key -> node lookup is a
`HashIndex` of the keys' hashes, checked against the packed key: about 110 bytes an identifier, most of it
the text itself.

Nodes are only appended, and a node's end offset is written after its bytes: a reader on another thread
that sees a node sees its whole text.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from lotline.trace.hashindex import HashIndex
from lotline.trace.offsets import Offsets

Ints = npt.NDArray[np.int64]


NARROW = 1 << 32  # offsets below this are kept in 4 bytes (see `widened`)


def widened(offsets: array[int], end: int) -> array[int]:
    """The column of offsets itself, or, if `end` does not fit it (4 bytes until `NARROW`), an 8-byte copy to
    append to instead (a reader on another thread holding the old column reads the rows it knows from it)."""
    if end < NARROW or offsets.typecode == "q":
        return offsets
    return array("q", offsets)


class TextColumn(Sequence[str]):
    """Append-only texts, packed: their bytes in one run, and the end offset of each (`Offsets`: 2.25 bytes
    an offset, where 4 took 120 MB at ten million events)."""

    __slots__ = ("_data", "_ends")

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = Offsets()

    def append(self, text: str) -> int:
        self._data += text.encode()
        self._ends.append(len(self._data))
        return len(self._ends) - 2

    def extend(self, texts: list[str]) -> None:
        encoded = [text.encode() for text in texts]
        end = len(self._data)
        self._data += b"".join(encoded)
        ends = self._ends
        for offset in list(accumulate((len(e) for e in encoded), initial=end))[1:]:
            ends.append(offset)

    def __len__(self) -> int:
        return len(self._ends) - 1

    def nbytes(self) -> int:
        """The bytes its columns hold."""
        return len(self._data) + self._ends.nbytes()

    def matches(self, i: int, encoded: bytes) -> bool:
        ends = self._ends
        a, b = ends[i], ends[i + 1]
        return b - a == len(encoded) and self._data[a:b] == encoded

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return list(self._texts(range(len(self))[i]))
        if i < 0:
            i += len(self)
        ends = self._ends
        if not 0 <= i < len(ends) - 1:
            raise IndexError(i)
        return self._data[ends[i] : ends[i + 1]].decode()

    def __iter__(self) -> Iterator[str]:
        return self._texts(range(len(self)))

    def many(self, rows: Iterable[int] | npt.NDArray[np.integer[Any]]) -> list[str]:
        """The texts of these rows (a result's thousands of identifiers), all at once: `gather`."""
        return self.gather(rows)[0]

    def gather(self, rows: Iterable[int] | npt.NDArray[np.integer[Any]]) -> tuple[list[str], Ints]:
        """The texts of these rows and their lengths in bytes. Their bytes are gathered by numpy into one
        buffer, each followed by a NUL (which no identifier holds; else each is decoded on its own), decoded
        and split in one go: about 0.25 µs a text, against 0.6 µs to slice, join and split them in Python.
        The caller holds the index's lock: the array views here must be gone before the next append."""
        at = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=np.int64)
        if not len(at):
            return [], np.zeros(0, dtype=np.int64)
        starts = self._ends.take(at)
        lengths = self._ends.take(at + 1) - starts
        if not self._data:  # (nothing to take from: every text is empty)
            return [""] * len(at), lengths
        spaced = lengths + 1
        stops = np.cumsum(spaced)  # in the buffer: each text's end, where its NUL goes
        source = np.arange(int(stops[-1])) + np.repeat(starts - (stops - spaced), spaced)
        data = np.frombuffer(self._data, dtype=np.uint8)
        buffer = np.take(data, source, mode="clip")  # (a NUL's place may point one past the end: clipped)
        del data
        buffer[stops - 1] = 0
        texts = buffer[:-1].tobytes().decode().split("\x00")
        if len(texts) != len(at):
            texts = [
                self._data[a : a + n].decode() for a, n in zip(starts.tolist(), lengths.tolist(), strict=True)
            ]
        return texts, lengths

    def span(self, start: int, stop: int) -> list[str]:
        """The texts of rows start .. stop - 1, decoded in one go from copies of their bytes: safe on a thread
        that does not hold the index's lock, since it keeps no view of the columns (while numpy viewed them,
        an append on another thread could not grow them)."""
        ends = self._ends.slice(start, stop + 1)
        if len(ends) < 2:
            return []
        first = int(ends[0])
        data = np.frombuffer(self._data[first : int(ends[-1])], dtype=np.uint8)
        spaced = np.insert(data, ends[1:-1] - first, 0)  # a NUL between two texts
        texts = spaced.tobytes().decode().split("\x00")
        if len(texts) != len(ends) - 1:  # (a text with a NUL in it)
            texts = self[start:stop]
        return texts

    def frozen(
        self, stop: int, copy: bool = True
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.integer[Any]]]:
        """The bytes and a copy of the offsets (one more than rows; int32 while they fit) of rows 0 .. stop - 1.
        The bytes are a copy too, safe without the index's lock; with `copy=False` they are a view of the
        column, for a caller that holds the lock and lets the view go before the next append."""
        offsets = self._ends.narrow_copy(stop + 1)
        end = int(offsets[-1]) if len(offsets) else 0
        data = np.frombuffer(self._data[:end] if copy else self._data, dtype=np.uint8)[:end]
        return data, offsets

    def pick(self, rows: Iterable[int]) -> list[str]:
        """The texts of these rows, one by one (no view of the columns: safe on a thread without the index's
        lock, unlike `gather`; faster than indexing each, for the few dozen of an event)."""
        return list(self._texts(rows))

    def _texts(self, rows: Iterable[int]) -> Iterator[str]:
        data = self._data
        base, rel, whole = self._ends.parts()
        if whole is not None:
            for i in rows:
                yield data[whole[i] : whole[i + 1]].decode()
            return
        for i in rows:
            j = i + 1
            yield data[base[i >> 5] + rel[i] : base[j >> 5] + rel[j]].decode()


class PrefixedTexts(Sequence[str]):
    """Append-only identifiers, each as a shared prefix and a suffix of its own: the text up to the last
    `/` (a Digital Link: `https://id.gs1.org/01/09521234543213/21/`), else up to the last `:` or `.` (an EPC
    URN: `urn:epc:id:sgtin:4012345.011111.`), is kept once in a table and named by a 2-byte code, and only
    the rest (`2017`) is packed (`TextColumn`). A plant history names a few hundred products, so a million
    serials cost about 20 bytes each instead of 60 (measured on the benchmark history: 137 MB of keys and 109
    MB of first forms at a million events). The table holds at most `PREFIXES` prefixes (about 10 MB at
    most): a text whose prefix is not in it once it is full is kept whole (code 0, the empty prefix).

    Reads as `TextColumn`. The code of a text is appended before its suffix, whose end offset makes it seen
    (see the module's note on threads)."""

    __slots__ = ("_codes", "_prefix_bytes", "_prefix_lengths", "_prefix_of", "_prefixes", "_suffixes")

    PREFIXES = 1 << 16

    def __init__(self) -> None:
        self._suffixes = TextColumn()
        self._codes = array("H")  # (PREFIXES codes: two bytes)
        self._prefixes: list[str] = [""]
        self._prefix_bytes: list[bytes] = [b""]
        self._prefix_lengths = array("q", [0])  # in bytes, by code
        self._prefix_of: dict[str, int] = {"": 0}

    def _split(self, text: str) -> tuple[int, str]:
        cut = _cut(text)
        prefix = text[:cut]
        code = self._prefix_of.get(prefix)
        if code is None:
            if len(self._prefixes) >= self.PREFIXES:
                return 0, text
            code = len(self._prefixes)
            encoded = prefix.encode()
            self._prefixes.append(prefix)
            self._prefix_bytes.append(encoded)
            self._prefix_lengths.append(len(encoded))
            self._prefix_of[prefix] = code  # (last: a reader that finds the code finds the prefix)
        return code, text[cut:]

    def append(self, text: str) -> int:
        code, suffix = self._split(text)
        self._codes.append(code)
        return self._suffixes.append(suffix)

    def extend(self, texts: list[str]) -> None:
        split = [self._split(text) for text in texts]
        self._codes.extend([code for code, _ in split])
        self._suffixes.extend([suffix for _, suffix in split])

    def __len__(self) -> int:
        return len(self._suffixes)

    def matches(self, i: int, encoded: bytes) -> bool:
        prefix = self._prefix_bytes[self._codes[i]]
        return encoded.startswith(prefix) and self._suffixes.matches(i, encoded[len(prefix) :])

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            rows = range(len(self))[i]
            if rows.step != 1:
                return [self[row] for row in rows]
            return self._joined(self._codes[rows.start : rows.stop], self._suffixes[rows.start : rows.stop])
        suffix = self._suffixes[i]  # (raises IndexError)
        return self._prefixes[self._codes[i]] + suffix

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self[i]

    def many(self, rows: Iterable[int] | npt.NDArray[np.integer[Any]]) -> list[str]:
        return self.gather(rows)[0]

    def gather(self, rows: Iterable[int] | npt.NDArray[np.integer[Any]]) -> tuple[list[str], Ints]:
        """`TextColumn.gather`: the suffixes gathered by numpy, each joined to its prefix."""
        at = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=np.int64)
        suffixes, lengths = self._suffixes.gather(at)
        codes = np.frombuffer(self._codes, dtype=np.uint16)[at] if len(at) else np.zeros(0, dtype=np.uint16)
        lengths = lengths + np.frombuffer(self._prefix_lengths, dtype=np.int64)[codes]
        return self._joined(codes.tolist(), suffixes), lengths

    def pick(self, rows: Sequence[int]) -> list[str]:
        """`TextColumn.pick`."""
        codes = self._codes
        return self._joined([codes[i] for i in rows], self._suffixes.pick(rows))

    def span(self, start: int, stop: int) -> list[str]:
        """`TextColumn.span` (safe without the index's lock: copies of the columns)."""
        suffixes = self._suffixes.span(start, stop)
        return self._joined(self._codes[start : start + len(suffixes)], suffixes)

    def _joined(self, codes: Iterable[int], suffixes: list[str]) -> list[str]:
        prefixes = self._prefixes
        return [prefixes[code] + suffix for code, suffix in zip(codes, suffixes, strict=True)]

    # the parts, for a column that shares the suffixes (`RawColumn`)

    @property
    def prefixes(self) -> list[str]:
        """The prefix of each code."""
        return self._prefixes

    def suffix(self, i: int) -> str:
        return self._suffixes[i]

    @property
    def suffix_column(self) -> TextColumn:
        return self._suffixes

    def codes(self, stop: int) -> npt.NDArray[np.uint16]:
        """The prefix codes of rows 0 .. stop - 1 (a copy: safe without the index's lock)."""
        return np.frombuffer(self._codes[:stop], dtype=np.uint16)

    def suffixes(self, start: int, stop: int) -> list[str]:
        """The suffixes of rows start .. stop - 1 (`TextColumn.span`)."""
        return self._suffixes.span(start, stop)

    def suffixes_of(self, rows: Sequence[int]) -> list[str]:
        """The suffixes of these rows (`TextColumn.pick`)."""
        return self._suffixes.pick(rows)

    def parts(self, rows: npt.NDArray[np.int64]) -> tuple[list[int], list[str]]:
        """The codes and suffixes of these rows (`TextColumn.gather`; the caller holds the index's lock)."""
        codes = np.frombuffer(self._codes, dtype=np.uint16)[rows].tolist()
        return codes, self._suffixes.gather(rows)[0]

    def parts_span(self, start: int, stop: int) -> tuple[list[int], list[str]]:
        """The codes and suffixes of rows start .. stop - 1 (copies: safe without the index's lock)."""
        suffixes = self._suffixes.span(start, stop)
        return self._codes[start : start + len(suffixes)].tolist(), suffixes


def _cut(text: str) -> int:
    """Where a text's suffix starts: after its last `/`, else after its last `:` or `.` (0: none)."""
    return text.rfind("/") + 1 or max(text.rfind(":"), text.rfind(".")) + 1


class RawColumn(Sequence[str | None]):
    """By node: the form an identifier was first captured in, where it differs from its key (else None).

    Most such forms are the same identifier in the other scheme, ending in the same last part as the key:
    `urn:epc:id:sgtin:4012345.110004.883634` for the key `https://id.gs1.org/01/14012345100041/21/883634`.
    Those are kept as a 2-byte code of their prefix (the text before that last part, split as in
    `PrefixedTexts`, in a table of at most `PREFIXES`), the last part read from the key's own column: 2
    bytes a node, where a packed text of its own cost 20 (570 MB at ten million events). The rest (another
    last part, a full table) are kept whole in a column of their own, found by node number.

    Needs the node's key before its first form: the graph adds a batch's keys, then their first forms. The
    code of a node is written last (after its own text, if any): a reader that sees it sees the form."""

    __slots__ = ("_code", "_head_table", "_keys", "_own", "_own_nodes", "_prefix_of", "_prefixes")

    PREFIXES = 1 << 16
    _NONE, _WHOLE = 0, 1  # codes: captured as its key; kept whole (in `_own`); else a prefix's code

    def __init__(self, keys: PrefixedTexts) -> None:
        self._keys = keys
        self._code = array("H")
        self._prefixes: list[str] = ["", ""]  # (codes 0 and 1 name no prefix)
        self._prefix_of: dict[str, int] = {}
        self._own_nodes = array("q")  # ascending: the nodes kept whole
        self._own = TextColumn()
        self._head_table: tuple[tuple[int, int], npt.NDArray[np.uint8], npt.NDArray[np.int64]] | None = None

    def append(self, raw: str | None) -> None:
        self.extend([raw])

    def extend(self, raws: list[str | None]) -> None:
        first = len(self._code)
        known = min(len(raws), max(0, len(self._keys) - first))
        suffixes = self._keys.suffixes(first, first + known) if any(raws) else []
        codes = array("H")
        for i, raw in enumerate(raws):
            code = self._NONE
            if raw:
                code = self._code_of(raw, suffixes[i] if i < known else None)
                if code == self._WHOLE:
                    self._own.append(raw)
                    self._own_nodes.append(first + i)
            codes.append(code)
        self._code.extend(codes)  # (last: see the class's note)

    def _code_of(self, raw: str, key_suffix: str | None) -> int:
        cut = _cut(raw)
        if key_suffix is None or raw[cut:] != key_suffix:
            return self._WHOLE
        prefix = raw[:cut]
        code = self._prefix_of.get(prefix)
        if code is None:
            if len(self._prefixes) >= self.PREFIXES:
                return self._WHOLE
            code = len(self._prefixes)
            self._prefixes.append(prefix)
            self._prefix_of[prefix] = code
        return code

    def __len__(self) -> int:
        return len(self._code)

    def nbytes(self) -> int:
        """The bytes its columns hold (the prefix table aside)."""
        own = self._own_nodes
        return self._code.itemsize * len(self._code) + own.itemsize * len(own) + self._own.nbytes()

    @property
    def prefixes(self) -> list[str]:
        """The prefix of each code (codes 0 and 1 name none)."""
        return self._prefixes

    def codes(self, stop: int) -> npt.NDArray[np.uint16]:
        """The codes of nodes 0 .. stop - 1: 0 captured as the key, 1 kept whole, else a prefix's (a copy)."""
        return np.frombuffer(self._code[:stop], dtype=np.uint16)

    def whole(self, stop: int) -> tuple[npt.NDArray[np.int64], TextColumn]:
        """The nodes below `stop` whose forms are kept whole (ascending; a copy), and the column of those
        forms, row by row in the same order."""
        own = self._own_nodes
        return np.frombuffer(own[: bisect_left(own, stop)], dtype=np.int64), self._own

    def _whole(self, node: int) -> str:
        return self._own[bisect_left(self._own_nodes, node)]

    def pick(self, nodes: Sequence[int]) -> list[str | None]:
        """The first forms of these nodes (no view of the columns: safe without the index's lock)."""
        code = self._code
        codes = [code[n] for n in nodes]
        if not any(codes):
            return [None] * len(codes)
        suffixes = self._keys.suffixes_of(nodes)
        return [self._form(n, c, s) for n, c, s in zip(nodes, codes, suffixes, strict=True)]

    def _form(self, node: int, code: int, key_suffix: str) -> str | None:
        if code >= 2:
            return self._prefixes[code] + key_suffix
        return None if code == self._NONE else self._whole(node)

    def shown_span(self, start: int, stop: int, keys: PrefixedTexts) -> list[str]:
        """`shown` of the nodes start .. stop - 1 (copies of the columns: safe without the index's lock)."""
        codes = self._code[start:stop]
        key_codes, suffixes = keys.parts_span(start, stop)
        return self._shown(range(start, stop), codes, key_codes, suffixes, keys)

    def shown(self, nodes: list[int] | npt.NDArray[np.int64], keys: PrefixedTexts) -> list[str]:
        """For each node, its first captured form, else its key (`Graph.display`), all at once: each one's
        head (a prefix of either table) and tail (the key's suffix, or the form kept whole) gathered by numpy
        into one buffer, each followed by a NUL, decoded and split in one go (a trace's thousands of items:
        a third of the time of joining them one by one in Python). The caller holds the index's lock."""
        rows = np.asarray(nodes, dtype=np.int64)
        if not len(rows):
            return []
        codes = np.frombuffer(self._code, dtype=np.uint16)[rows]
        key_codes = np.frombuffer(keys._codes, dtype=np.uint16)[rows]
        head_data, head_ends = self.heads(keys)
        head = self.head_of(codes, key_codes)
        head_starts = head_ends[head]
        head_lengths = head_ends[head + 1] - head_starts
        whole = codes == self._WHOLE
        suffixes, own = keys._suffixes, self._own
        tail_starts = np.zeros(len(rows), dtype=np.int64)
        tail_lengths = np.zeros(len(rows), dtype=np.int64)
        keyed = np.flatnonzero(~whole)
        if len(keyed):
            tail_starts[keyed] = suffixes._ends.take(rows[keyed])
            tail_lengths[keyed] = suffixes._ends.take(rows[keyed] + 1) - tail_starts[keyed]
        kept = np.flatnonzero(whole)
        if len(kept):
            at = np.searchsorted(np.frombuffer(self._own_nodes, dtype=np.int64), rows[kept])
            tail_starts[kept] = own._ends.take(at)
            tail_lengths[kept] = own._ends.take(at + 1) - tail_starts[kept]
        spaced = head_lengths + tail_lengths + 1
        stops = np.cumsum(spaced)  # in the buffer: each text's end, where its NUL goes
        starts = stops - spaced
        buffer = np.zeros(int(stops[-1]), dtype=np.uint8)
        everything = len(buffer)  # (a trace's few hundred kilobytes in one go)
        copy_ranges(buffer, starts, head_data, head_starts, head_lengths, everything)
        for picked, column in ((keyed, suffixes._data), (kept, own._data)):
            if len(picked) and column:
                tail_at = starts[picked] + head_lengths[picked]
                data = np.frombuffer(column, dtype=np.uint8)
                copy_ranges(buffer, tail_at, data, tail_starts[picked], tail_lengths[picked], everything)
                del data  # (a view of the column: gone before the next append)
        texts = buffer[:-1].tobytes().decode().split("\x00")
        if len(texts) == len(rows):
            return texts
        # (a text with a NUL in it: one by one)
        key_code_list, tails = keys.parts(rows)
        return self._shown(rows.tolist(), codes.tolist(), key_code_list, tails, keys)

    def head_of(self, codes: npt.NDArray[np.uint16], key_codes: npt.NDArray[np.uint16]) -> Ints:
        """The rows in `heads` of the nodes with these codes and key codes."""
        return np.where(codes >= 1, codes, len(self._prefixes) + key_codes.astype(np.int64))

    def heads(self, keys: PrefixedTexts) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        """The prefixes of both tables, this one's first, as one column of bytes (bytes, offsets): a node's
        head (`head_of`) is its code's prefix here (code 1, kept whole: the empty one), else its key code's,
        after this table's. Made again when either table has grown."""
        sizes = (len(self._prefixes), len(keys.prefixes))
        if self._head_table is None or self._head_table[0] != sizes:
            encoded = [p.encode() for p in (*self._prefixes, *keys.prefixes)]
            ends = np.zeros(len(encoded) + 1, dtype=np.int64)
            np.cumsum([len(e) for e in encoded], out=ends[1:])
            self._head_table = (sizes, np.frombuffer(b"".join(encoded), dtype=np.uint8), ends)
        return self._head_table[1], self._head_table[2]

    def _shown(
        self,
        nodes: Iterable[int],
        codes: Iterable[int],
        key_codes: Iterable[int],
        suffixes: list[str],
        keys: PrefixedTexts,
    ) -> list[str]:
        raw_prefixes, key_prefixes, whole = self._prefixes, keys.prefixes, self._whole
        return [
            raw_prefixes[c] + s if c >= 2 else key_prefixes[k] + s if c == 0 else whole(n)
            for n, c, k, s in zip(nodes, codes, key_codes, suffixes, strict=True)
        ]

    @overload
    def __getitem__(self, i: int) -> str | None: ...
    @overload
    def __getitem__(self, i: slice) -> list[str | None]: ...
    def __getitem__(self, i: int | slice) -> str | list[str | None] | None:
        if isinstance(i, slice):
            return self.pick(range(len(self))[i])
        if i < 0:
            i += len(self)
        code = self._code[i]  # (raises IndexError)
        if code == self._NONE:
            return None
        if code == self._WHOLE:
            return self._whole(i)
        return self._prefixes[code] + self._keys.suffix(i)


class NodeIds:
    """identity key -> node, for the keys in a `PrefixedTexts` (node = position)."""

    __slots__ = ("_index", "_keys")

    def __init__(self, keys: PrefixedTexts) -> None:
        self._keys = keys
        self._index = HashIndex()

    def add(self, key: str, node: int) -> None:
        self._index.add(hash(key), node)

    def add_many(self, keys: list[str], first: int) -> None:
        """Add keys as the nodes from `first` on, in order."""
        self._index.add_many([hash(key) for key in keys], range(first, first + len(keys)))

    def get(self, key: str, default: int | None = None) -> int | None:
        encoded, keys = key.encode(), self._keys
        for node in self._index.rows(hash(key)):
            if keys.matches(node, encoded):
                return node
        return default

    def get_many(self, keys: Sequence[str]) -> list[int | None]:
        """`get` for many keys at once (one sorted search for the lot: the build resolves a batch of events'
        identifiers together)."""
        hashes = np.fromiter((hash(key) for key in keys), dtype=np.int64, count=len(keys))
        candidates = self._index.rows_many(hashes)
        found: list[int | None] = []
        column = self._keys
        for key, nodes in zip(keys, candidates, strict=True):
            node = None
            if nodes:
                encoded = key.encode()
                node = next((n for n in nodes if column.matches(n, encoded)), None)
            found.append(node)
        return found

    def __getitem__(self, key: str) -> int:
        node = self.get(key)
        if node is None:
            raise KeyError(key)
        return node

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __len__(self) -> int:
        return len(self._index)


def copy_ranges(
    out: npt.NDArray[np.uint8],
    at: npt.NDArray[np.integer[Any]],
    data: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.integer[Any]],
    lengths: npt.NDArray[np.integer[Any]],
    at_once: int = 1 << 16,
) -> None:
    """out[at[i] :] = data[starts[i] : starts[i] + lengths[i]] for each i, by numpy, about `at_once` bytes at
    a time (its index arrays take 30 bytes a byte copied)."""
    if not len(lengths):
        return
    rows = max(1, at_once // max(int(lengths.max()), 1))
    for a in range(0, len(lengths), rows):
        n = lengths[a : a + rows].astype(np.int64)
        total = int(n.sum())
        if not total:
            continue
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
        out[np.repeat(at[a : a + rows].astype(np.int64), n) + offsets] = data[
            np.repeat(starts[a : a + rows].astype(np.int64), n) + offsets
        ]
