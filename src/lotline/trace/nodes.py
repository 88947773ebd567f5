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
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import overload

import numpy as np

from lotline.trace.hashindex import HashIndex


class TextColumn(Sequence[str]):
    """Append-only texts, packed."""

    __slots__ = ("_data", "_ends")

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("q", [0])

    def append(self, text: str) -> int:
        self._data += text.encode()
        self._ends.append(len(self._data))
        return len(self._ends) - 2

    def extend(self, texts: list[str]) -> None:
        encoded = [text.encode() for text in texts]
        end = len(self._data)
        self._data += b"".join(encoded)
        self._ends.extend(list(accumulate((len(e) for e in encoded), initial=end))[1:])

    def __len__(self) -> int:
        return len(self._ends) - 1

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

    def many(self, rows: Iterable[int]) -> list[str]:
        """The texts of these rows (a result's thousands of identifiers): one decode of the lot, joined by
        NUL, which no identifier holds (else each is decoded on its own). About 0.3 µs a text, half the
        cost of decoding each."""
        data, ends = self._data, self._ends
        parts = [data[ends[i] : ends[i + 1]] for i in rows]
        if not parts:
            return []
        texts = b"\x00".join(parts).decode().split("\x00")
        return texts if len(texts) == len(parts) else [part.decode() for part in parts]

    def _texts(self, rows: Iterable[int]) -> Iterator[str]:
        data, ends = self._data, self._ends
        for i in rows:
            yield data[ends[i] : ends[i + 1]].decode()


class RawColumn(Sequence[str | None]):
    """By node: the form an identifier was first captured in, where it differs from its key (else None)."""

    __slots__ = ("_at", "_texts")

    def __init__(self) -> None:
        self._at = array("i")  # by node: index into _texts, -1 for None
        self._texts = TextColumn()

    def append(self, raw: str | None) -> None:
        self._at.append(-1 if raw is None else self._texts.append(raw))

    def extend(self, raws: list[str | None]) -> None:
        texts = [raw for raw in raws if raw is not None]
        at = len(self._texts)
        self._texts.extend(texts)
        places = []
        for raw in raws:
            if raw is None:
                places.append(-1)
            else:
                places.append(at)
                at += 1
        self._at.extend(places)

    def __len__(self) -> int:
        return len(self._at)

    def shown(self, nodes: list[int], keys: TextColumn) -> list[str]:
        """For each node, its first captured form, else its key (`Graph.display`), all at once."""
        at = self._at
        places = [at[n] for n in nodes]
        raws = iter(self._texts.many(p for p in places if p >= 0))
        plain = iter(keys.many(n for n, p in zip(nodes, places, strict=True) if p < 0))
        return [next(raws) if p >= 0 else next(plain) for p in places]

    @overload
    def __getitem__(self, i: int) -> str | None: ...
    @overload
    def __getitem__(self, i: slice) -> list[str | None]: ...
    def __getitem__(self, i: int | slice) -> str | list[str | None] | None:
        if isinstance(i, slice):
            texts = self._texts
            return [None if at < 0 else texts[at] for at in self._at[i]]
        at = self._at[i]
        return None if at < 0 else self._texts[at]


class NodeIds:
    """identity key -> node, for the keys in a `TextColumn` (node = position)."""

    __slots__ = ("_index", "_keys")

    def __init__(self, keys: TextColumn) -> None:
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
