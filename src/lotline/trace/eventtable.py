"""The events of the trace index as flat columns, read back as `Light` events on demand.

One `Light` object per event cost about 835 bytes at a million events (its eventID, tuples of roles, keys and
captured forms, references); ten million of them do not fit the memory a plant server has. The table keeps
the same facts in columns: the identifiers of each event as node numbers with a role letter whose top bit
says whether it was captured in a form other than its key (CSR: one run of occurrences per event), eventIDs
in their 32 bytes of digest, the type, action and step together and the references as codes into tables of
their distinct values. About 100 bytes an event.

`table[pk]` and `table.get(pk)` build the `Light` (microseconds); `time`, `event_id` and `event_type` read
one column without building it, for loops over thousands of events.

Rows are only appended, and a row's pk is written last: a reader on another thread (the completeness check,
a snapshot retake) that finds a pk finds all of its row.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import TypeVar, overload

import numpy as np
import numpy.typing as npt

from lotline.trace.facts import Light, nodes_in
from lotline.trace.hashindex import HashIndex, text_hash
from lotline.trace.nodes import PrefixedTexts, RawColumn, widened
from lotline.trace.records import RecordFile

_HASHED = "ni:///sha-256;"  # the CBV 2.0 event hash that lotline assigns: 32 bytes of digest
_HASHED_END = "?ver=CBV2.0"
_HASHED_LEN = len(_HASHED) + 64 + len(_HASHED_END)
# on an occurrence's role letter: the identifier was captured in a form other than its key: the node's first
# form, or one of its own (those are listed in `_own_at`)
_CAPTURED = 0x80
_LETTER = bytes(range(128)) * 2  # (a translate table: the role letter alone)
_CACHED = 4096  # events kept built (see EventTable._cached)
_WORDS_NARROW = 1 << 16  # word codes are two bytes until there are this many distinct words (see `_word`)
_REFS_REMEMBERED = 100_000  # references whose codes are remembered for sharing (see EventTable.__init__)
Ref = tuple[str, str, str, str | None]
Shape = tuple[str, str | None, str | None]  # an event's type, action and step
T = TypeVar("T")


class EventTable(Mapping[int, Light]):
    """pk -> `Light`, for the events indexed (error declarations are not rows: see `Graph.add`)."""

    def __init__(self, keys: PrefixedTexts, raws: RawColumn) -> None:
        self._keys, self._raws = keys, raws  # the graph's, by node
        self._row = array("i")  # by pk: its row, -1 if none
        self.pks = array("i")  # by row: the pk (the order events were indexed in: `Graph.added`)
        self._time = array("q")
        # by row: its type, action and step as one code into _shapes (a plant's events come in a few dozen
        # of these): two bytes a row where three codes took six
        self._shape = array("H")
        self._shapes: list[Shape] = []
        self._shape_of: dict[Shape, int] = {}
        # the rows with a transformationID (ascending) and its code into _tids: 8 bytes such a row, where a
        # column of codes took 4 bytes every row
        self._tid_rows = array("i")
        self._tid_code = array("i")
        # by row: 32 bytes, the eventID's digest where it is a CBV hash, in a file (`RecordFile`: read only to
        # spell a result's eventIDs)
        self._digest = RecordFile(32)
        self._other_ids: dict[int, str] = {}  # row -> eventID, where it is not
        self._by_id = HashIndex()
        self._start = array("I", [0])  # by row: its first occurrence; the last entry ends the last row
        self._node = array("i")  # by occurrence
        self._role = bytearray()  # by occurrence: its role letter, with _CAPTURED
        # the forms captured of the occurrences in a form of their own (neither the key nor the node's first
        # form): their occurrence numbers, in ascending order, and their texts (a dict cost 150 bytes each: 46 MB
        # at a million events)
        self._own_at = array("q")
        self._own_text = PrefixedTexts()
        self._ref_start = array("I", [0])  # by row: its first reference (offsets: `widened`)
        self._ref = array("i")  # by occurrence of a reference: its code (a row of the columns below)
        self._words: list[str | None] = [None]
        self._word_of: dict[str | None, int] = {None: 0}
        self._tids: list[str] = []
        self._tid_of: dict[str, int] = {}
        # distinct references (Ref): kind and type as codes into _words, the value and the form captured ("" for
        # None) as two texts (a dict of the tuples cost 180 bytes each at a million events, most of them order
        # numbers named once). The codes of the most recent ones are remembered for sharing.
        self._ref_kind = array("H")
        self._ref_type = array("H")
        self._ref_text = PrefixedTexts()  # by code: value at 2 * code, form captured at 2 * code + 1
        self._ref_of: dict[Ref, int] = {}
        # the events read most recently, built once: a recall asks about the same few thousand events many
        # times (liveness, time, identifiers), and some name thousands of identifiers
        self._cached = lru_cache(maxsize=_CACHED)(self._build)

    # --- writing ----------------------------------------------------------------------------------------

    def append(self, event: Light, nodes: Sequence[int], firsts: Sequence[str | None]) -> None:
        """Add an event whose identifiers are the graph's nodes `nodes` (one per `event.ids`), first captured
        in the forms `firsts`."""
        if not 0 <= event.pk < 2**31:  # (before anything is written: no half row)
            raise OverflowError(f"event pk {event.pk}: the trace index holds pks below 2**31")
        row = len(self.pks)
        self._time.append(event.time)
        # (the code first: a new shape may widen the column, see `_shape_code`)
        shape = self._shape_code((event.event_type, event.action, event.biz_step))
        self._shape.append(shape)
        tid = event.transformation_id
        if tid is not None:
            code = self._tid_of.get(tid)
            if code is None:
                code = self._tid_of[tid] = len(self._tids)
                self._tids.append(tid)
            self._tid_code.append(code)
            self._tid_rows.append(row)
        self._add_event_id(row, event.event_id)
        start = len(self._node)
        self._node.extend(nodes)
        roles = bytearray(event.roles.encode("ascii"))
        raws = event.raws
        if raws is not None:
            for i, (first, raw) in enumerate(zip(firsts, raws, strict=True)):
                if raw is not None:
                    roles[i] |= _CAPTURED
                    if raw != first:
                        self._own_text.append(raw)  # (first: a reader that finds the number finds it)
                        self._own_at.append(start + i)
        self._role += roles
        self._start = widened(self._start, len(self._node))
        self._start.append(len(self._node))
        ref_of = self._ref_of
        if len(ref_of) > _REFS_REMEMBERED:
            ref_of.clear()
        for ref in event.refs:
            code = ref_of.get(ref)
            if code is None:
                code = ref_of[ref] = len(self._ref_kind)
                kind, kind_type, value, raw = ref
                kind_code, type_code = self._word(kind), self._word(kind_type)
                self._ref_text.extend([value, raw or ""])
                self._ref_type.append(type_code)
                self._ref_kind.append(kind_code)  # last: a reader that sees the code sees it whole
            self._ref.append(code)
        self._ref_start = widened(self._ref_start, len(self._ref))
        self._ref_start.append(len(self._ref))
        self.pks.append(event.pk)
        rows = self._row
        if event.pk >= len(rows):
            rows.extend([-1] * (event.pk + 1 - len(rows)))
        rows[event.pk] = row  # last: the row is whole

    def _shape_code(self, shape: Shape) -> int:
        code = self._shape_of.get(shape)
        if code is None:
            code = len(self._shapes)
            if code == _WORDS_NARROW:  # more distinct shapes than two bytes number: the column widens
                self._shape = array("I", self._shape)
            self._shapes.append(shape)
            self._shape_of[shape] = code
        return code

    def _word(self, word: str | None) -> int:
        code = self._word_of.get(word)
        if code is None:
            code = len(self._words)
            if code == _WORDS_NARROW:  # more distinct words than two bytes number: the columns widen
                for name in ("_ref_kind", "_ref_type"):
                    setattr(self, name, array("I", getattr(self, name)))
            self._words.append(word)
            self._word_of[word] = code
        return code

    def _add_event_id(self, row: int, event_id: str) -> None:
        digest, hashed = _id_hash(event_id)
        if digest is None:
            self._digest.append(bytes(32))
            self._other_ids[row] = event_id
        else:
            self._digest.append(digest)
        self._by_id.add(hashed, row)

    # --- reading ----------------------------------------------------------------------------------------

    def _row_of(self, pk: int) -> int:
        rows = self._row
        return rows[pk] if 0 <= pk < len(rows) else -1

    def row(self, pk: int) -> int:
        """The event's row in the columns (rows are in the order events were indexed), -1 if not indexed."""
        return self._row_of(pk)

    def _existing(self, pk: int) -> int:
        row = self._row_of(pk)
        if row < 0:
            raise KeyError(pk)
        return row

    def __getitem__(self, pk: int) -> Light:
        return self._light(self._existing(pk))

    @overload
    def get(self, pk: int, /) -> Light | None: ...
    @overload
    def get(self, pk: int, default: Light | T, /) -> Light | T: ...
    def get(self, pk: int, default: Light | T | None = None, /) -> Light | T | None:
        row = self._row_of(pk)
        return default if row < 0 else self._light(row)

    def __contains__(self, pk: object) -> bool:
        return type(pk) is int and self._row_of(pk) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.pks[: len(self.pks)])

    def __len__(self) -> int:
        return len(self.pks)

    def time(self, pk: int) -> int:
        return self._time[self._existing(pk)]

    def event_type(self, pk: int) -> str | None:
        return self._shapes[self._shape[self._existing(pk)]][0]

    def action(self, pk: int) -> str | None:
        return self._shapes[self._shape[self._existing(pk)]][1]

    def nodes_in(self, pk: int, roles: frozenset[str]) -> list[int]:
        """The nodes of the event's identifiers in these roles (`Light.nodes_in`), without building it."""
        row = self._existing(pk)
        a, b = self._start[row], self._start[row + 1]
        return nodes_in(self._role[a:b].translate(_LETTER).decode("ascii"), self._node[a:b], roles)

    def refs(self, pk: int) -> tuple[Ref, ...]:
        """The event's references (`Light.refs`), without building it."""
        return self._refs_of(self._existing(pk))

    def event_id(self, pk: int) -> str:
        return self._event_id(self._existing(pk))

    def times(self, rows: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(pks, times) of the first `rows` rows, as arrays (copies)."""
        pks = np.frombuffer(self.pks, dtype=np.int32, count=rows).astype(np.int64)
        return pks, np.frombuffer(self._time, dtype=np.int64, count=rows).copy()

    def occurrences(
        self, start: int, stop: int
    ) -> (
        tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.uint8], npt.NDArray[np.int64]]
        | None
    ):
        """The identifiers of rows start .. stop - 1 as arrays, one entry per occurrence: (row, node, role
        letter, pk), or None if they name none. Read from copies of the columns: safe without the lock."""
        copy = self._start[start : stop + 1]
        bounds = np.frombuffer(copy, dtype=copy.typecode).astype(np.int64)
        a, b = int(bounds[0]), int(bounds[-1])
        if a == b:
            return None
        row = np.repeat(np.arange(start, stop, dtype=np.int64), np.diff(bounds))
        node = np.frombuffer(self._node[a:b], dtype=np.int32).astype(np.int64)
        role = np.frombuffer(bytes(self._role[a:b].translate(_LETTER)), dtype=np.uint8)
        pks = np.frombuffer(self.pks[start:stop], dtype=self.pks.typecode).astype(np.int64)[row - start]
        return row, node, role, pks

    def event_ids(self, pks: Iterable[int]) -> dict[int, str]:
        """pk -> eventID of these events, all at once: the digests gathered and spelled in hex in one go (the
        caller holds the index's lock, as for any read of the table)."""
        listed = list(pks)
        if not listed:
            return {}
        rows = np.frombuffer(self._row, dtype=np.int32)[np.asarray(listed, dtype=np.int64)]
        if (rows < 0).any():
            raise KeyError(listed[int(np.argmax(rows < 0))])
        spelled = self._digest.many(rows.tolist()).hex()
        ids = {
            pk: f"{_HASHED}{spelled[i : i + 64]}{_HASHED_END}"
            for pk, i in zip(listed, range(0, len(spelled), 64), strict=True)
        }
        if self._other_ids:
            for pk, row in zip(listed, rows.tolist(), strict=True):
                other = self._other_ids.get(row)
                if other is not None:
                    ids[pk] = other
        return ids

    def find(self, event_id: str) -> list[int]:
        """The pks of the events with this eventID (one, unless it was captured more than once)."""
        _, hashed = _id_hash(event_id)
        return [self.pks[row] for row in self._by_id.rows(hashed) if self._event_id(row) == event_id]

    def _event_id(self, row: int) -> str:
        other = self._other_ids.get(row)
        if other is not None:
            return other
        return f"{_HASHED}{self._digest[row].hex()}{_HASHED_END}"

    def _refs_of(self, row: int) -> tuple[Ref, ...]:
        words, kinds, types, texts = self._words, self._ref_kind, self._ref_type, self._ref_text
        refs = []
        for code in self._ref[self._ref_start[row] : self._ref_start[row + 1]]:
            kind, kind_type = words[kinds[code]], words[types[code]]
            assert kind is not None and kind_type is not None
            refs.append((kind, kind_type, texts[2 * code], texts[2 * code + 1] or None))
        return tuple(refs)

    def _light(self, row: int) -> Light:
        return self._cached(row)

    def _build(self, row: int) -> Light:
        a, b = self._start[row], self._start[row + 1]
        nodes = self._node[a:b]
        keys = self._keys
        marks = self._role[a:b]
        raws: tuple[str | None, ...] | None = None
        if a < b and max(marks) >= _CAPTURED:
            own_at = self._own_at
            lo = bisect_left(own_at, a)
            own = {own_at[k] - a: k for k in range(lo, bisect_left(own_at, b, lo))}  # place -> text number
            firsts = self._raws.pick(nodes)
            texts = self._own_text
            raws = tuple(
                None if m < _CAPTURED else first if i not in own else texts[own[i]]
                for i, (first, m) in enumerate(zip(firsts, marks, strict=True))
            )
        event_type, action, step = self._shapes[self._shape[row]]
        tid_rows = self._tid_rows
        at = bisect_left(tid_rows, row)
        tid = self._tid_code[at] if at < len(tid_rows) and tid_rows[at] == row else -1
        return Light(
            self.pks[row],
            self._event_id(row),
            event_type,
            action,
            self._time[row],
            step,
            None if tid < 0 else self._tids[tid],
            False,
            marks.translate(_LETTER).decode("ascii"),
            tuple(keys.pick(nodes)),
            raws,
            self._refs_of(row),
            tuple(nodes),
        )


def _id_hash(event_id: str) -> tuple[bytes | None, int]:
    """(the digest of a CBV 2.0 event hash, or None), and the 64-bit hash the eventID is found by: the
    digest's first 8 bytes (already uniform), else a hash of the text."""
    digest = _digest(event_id)
    if digest is None:
        return None, text_hash(event_id)
    return digest, int.from_bytes(digest[:8], "little", signed=True)


def _digest(event_id: str) -> bytes | None:
    """The 32 bytes of a CBV 2.0 event hash in lotline's form (lowercase hex), None for any other eventID."""
    if len(event_id) != _HASHED_LEN or not event_id.startswith(_HASHED) or not event_id.endswith(_HASHED_END):
        return None
    hexes = event_id[len(_HASHED) : len(_HASHED) + 64]
    try:
        digest = bytes.fromhex(hexes)
    except ValueError:
        return None
    return digest if digest.hex() == hexes else None  # (uppercase or spaced hex: kept as text)
