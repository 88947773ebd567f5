"""The genealogy index: identifiers, transformations, containment over time and movements, in memory.

Built from the stored events at start-up and extended as events arrive (`add`). Identifiers are interned to
ints. Facts keep the event they came from, so a result can say which events put an item there, and so an
event declared in error (EPCIS 2.0 error declaration) stops contributing the moment its declaration is added.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from lotline.store.schema import ROLE_PARENT
from lotline.trace.csr import small_int
from lotline.trace.eventtable import EventTable
from lotline.trace.facts import (
    CHILD_ROLES,
    INPUT_ROLES,
    INSTANCE_CHILD_ROLES,
    OUTPUT_ROLES,
    Light,
    moved_nodes,
    nodes_in,
)
from lotline.trace.nodelists import NodeLists, SparseLists
from lotline.trace.nodes import NodeIds, PrefixedTexts, RawColumn

FOREVER = 2**62
_PAIRS_ROWS = 65_536  # event rows read at a time by `GroupFacts.pairs` (about 25 bytes an occurrence)
# (node, group, pk) as `GroupFacts.pairs` gives them: int32, pks int64 past 2**31
Columns = tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]
KINDS = ("container", "serial", "lot", "other")
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}


class Span(NamedTuple):
    """`child` was inside `parent` from `start` (event `opened`) until `end` (event `closed`, or never).
    A named tuple: an index replays millions of these, and a frozen dataclass is several times slower to
    make."""

    parent: int
    child: int
    start: int
    end: int
    opened: int
    closed: int | None


@dataclass(frozen=True, slots=True)
class Nested:
    """`node` was inside (or, walking up, held) the starting node from `start` to `end`, `level` containers
    away; `opened` are the aggregation events (pk) that link it to the starting node, nearest first."""

    node: int
    start: int
    end: int
    level: int
    opened: tuple[int, ...]


class Graph:
    def __init__(self) -> None:
        self.keys = PrefixedTexts()  # by node: its identity key
        self.raws = RawColumn(self.keys)  # by node: the form first captured, where not the key
        self.ids = NodeIds(self.keys)
        self.key_kinds = bytearray()  # by node: its kind from the key alone (a code in KINDS; see kind_of)
        self._known: dict[str, tuple[int, str | None]] = {}  # key -> (node, first form), during `add_all`
        self._new: list[tuple[str, str | None]] = []  # nodes made in this batch: (key, raw), see `_flush`
        self.events = EventTable(self.keys, self.raws)
        self.added = self.events.pks  # pks in the order they were indexed (declarations aside): a journal
        self.declared: set[str] = set()  # eventIDs declared in error
        # transformations: transformationID -> its group's code, each event's group (by row of the event table,
        # -1 for none: an event without a transformationID is a group of its own, kept in no dict), and by
        # code the group's inputs and outputs (`GroupFacts`)
        self.groups: dict[str, int] = {}
        self.group_facts = GroupFacts(self.events)
        # node -> transformation groups (codes), and child -> parents: kept free of repeats, in the order they
        # were added (NodeLists: a slot a node, for the tables most nodes are in; SparseLists for the others)
        self.consumed_by = SparseLists()
        self.produced_by = NodeLists()
        # containment: per parent, its aggregation events (pk), which also tell which nodes ever held something
        # (`is_parent`); spans derived lazily
        self.aggregations = SparseLists()
        self.parents_of = NodeLists()  # child -> parents it was ever added to
        self._spans: dict[int, list[Span]] = {}
        self._spans_by_child: dict[int, dict[int, list[Span]]] = {}  # parent -> child -> its spans
        # movements: node -> events (pk) that moved it directly
        self.shipments = SparseLists()
        self.receipts = SparseLists()
        self.last_pk = 0

    # --- building ---------------------------------------------------------------------------------------

    def _resolve(self, key: str, raw: str | None) -> tuple[int, str | None]:
        """(node, form first captured) of a key, made a node if it is new (kept in `_new` until `_flush`)."""
        found = self._known.get(key)
        if found is None or found[0] < 0:
            n = None if found is not None else self.ids.get(key)  # (-1, _): looked up already, not found
            if n is None:
                n = len(self.keys) + len(self._new)
                self._new.append((key, raw))
                found = (n, raw)
            else:
                found = (n, self.raws[n])
            self._known[key] = found
        return found

    def _flush(self) -> None:
        """Append the nodes made since the last flush to the node columns, in one go."""
        new = self._new
        if new:
            first = len(self.keys)
            self.key_kinds += bytes([_KIND_CODE[kind_of(key)] for key, _ in new])
            self.keys.extend([key for key, _ in new])
            self.raws.extend([raw for _, raw in new])
            self.ids.add_many([key for key, _ in new], first)
            new.clear()
        self._known.clear()

    def add(self, event: Light) -> None:
        """Index one event (any order of arrival)."""
        self.add_all([event])

    def add_all(self, events: Sequence[Light]) -> None:
        """Index events (any order of arrival): their identifiers are looked up together first, and the new
        ones added together at the end."""
        known = self._known
        keys = list(dict.fromkeys(key for event in events for key in event.ids))
        raws = self.raws
        for key, n in zip(keys, self.ids.get_many(keys), strict=True):
            known[key] = (-1, None) if n is None else (n, raws[n])
        try:
            for event in events:
                self._add(event)
        finally:
            self._flush()

    def _add(self, event: Light) -> None:
        pk = event.pk
        self.last_pk = max(self.last_pk, pk)
        if event.declared:
            self.declared.add(event.event_id)
            self._spans.clear()
            self._spans_by_child.clear()
            return  # a declaration contributes nothing itself: it silences the event it declares
        resolve, known = self._resolve, self._known.get
        resolved = [
            found if (found := known(key)) is not None and found[0] >= 0 else resolve(key, raw)
            for key, raw in event.epcs_all()
        ]
        nodes = [n for n, _ in resolved]
        self.events.append(event, nodes, [first for _, first in resolved])
        roles = event.roles
        event_type = event.event_type
        group = -1
        if event_type == "TransformationEvent":
            tid = event.transformation_id
            shared = self.groups.get(tid) if tid else None
            if shared is None:
                shared = self.group_facts.new()
                if tid:
                    self.groups[tid] = shared
            group = shared
            self.group_facts.add_event(group, pk)
            for n in nodes_in(roles, nodes, INPUT_ROLES):
                self.consumed_by.add_once(n, group)
            for n in nodes_in(roles, nodes, OUTPUT_ROLES):
                self.produced_by.add_once(n, group)
        self.group_facts.add_row(group)
        at = roles.find(ROLE_PARENT)
        aggregation = at >= 0 and event_type in ("AggregationEvent", "AssociationEvent")
        if aggregation:
            p = nodes[at]
            self.aggregations.add(p, pk)
            for n in nodes_in(roles, nodes, CHILD_ROLES):
                self.parents_of.add_once(n, p)
            self._spans.pop(p, None)
            self._spans_by_child.pop(p, None)
        shipment, receipt = event.is_shipment, event.is_receipt
        if shipment or receipt:
            for n in moved_nodes(event_type, roles, nodes):
                if shipment:
                    self.shipments.add(n, pk)
                if receipt:
                    self.receipts.add(n, pk)

    def compact(self) -> None:
        """Pack what waits to be packed (after a build or a long catch-up)."""
        for table in (
            self.consumed_by,
            self.produced_by,
            self.aggregations,
            self.parents_of,
            self.shipments,
            self.receipts,
        ):
            table.compact()
        self.group_facts.compact()

    # --- reading ----------------------------------------------------------------------------------------

    def group_of(self, pk: int) -> int | None:
        """The code of the transformation group of an indexed TransformationEvent (None for other events)."""
        found = self.group_facts.of_row(self.events.row(pk))
        return None if found < 0 else found

    def group(self, code: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The (inputs, outputs) of a transformation group, by its code (`produced_by`, `consumed_by`)."""
        return self.group_facts[code]

    def live(self, pk: int) -> Light | None:
        """The event, unless it has been declared in error."""
        event = self.events.get(pk)
        if event is None or event.event_id in self.declared:
            return None
        return event

    def live_time(self, pk: int) -> int | None:
        """The event's time, unless it has been declared in error (or is not indexed): `live` without
        building the event."""
        events = self.events
        if pk not in events or (self.declared and events.event_id(pk) in self.declared):
            return None
        return events.time(pk)

    def live_as_of(self, last: int, declared: Collection[str]) -> Callable[[int], Light | None]:
        """`live` as the index was after event `last`, with the declarations made by then: the view of a
        reader that works without the lock while refreshes add newer events (the completeness check, a
        snapshot retake)."""
        events = self.events

        def live(pk: int) -> Light | None:
            event = events.get(pk) if pk <= last else None
            return None if event is None or event.event_id in declared else event

        return live

    def is_live(self, pk: int) -> bool:
        return self.live_time(pk) is not None

    def alive_as_of(self, last: int, declared: Collection[str]) -> Callable[[int], bool]:
        """`is_live` as the index was after event `last`, with the declarations made by then (see
        `live_as_of`)."""
        events = self.events

        def alive(pk: int) -> bool:
            return pk <= last and pk in events and not (declared and events.event_id(pk) in declared)

        return alive

    @property
    def cached_containers(self) -> int:
        """How many containers' spans are cached (they grow as traces walk the graph)."""
        return len(self._spans)

    def spans(self, parent: int) -> list[Span]:
        """Containment spans of a parent, replayed in time order from its live aggregation events (cached
        until the parent's aggregations or the declarations change): `replay` with `live`."""
        cached = self._spans.get(parent)
        if cached is not None:
            return cached
        spans = self._spans[parent] = self.replay(parent, self.is_live)
        return spans

    def replay(self, parent: int, alive: Callable[[int], bool]) -> list[Span]:
        """Containment spans of a parent from those of its aggregation events that are `alive` (not
        cached: a reader with its own view of the index, e.g. the completeness check as of one event, passes
        its own: `alive_as_of`). Read from the event columns, without building the events (some list
        thousands of children).

        ADD and OBSERVE put children in (OBSERVE confirms what is inside: never miss), DELETE takes the
        listed children out, and a DELETE listing none empties the parent (EPCIS 2.0 §7.4.3).
        Aggregations and associations (a sensor on a pallet) are replayed separately: removing a logger
        does not empty the pallet. A DELETE listing a lot in childQuantityList removes a quantity of it,
        which may be part of what is inside, so the lot stays inside (never miss) until a DELETE empties
        the parent or lists it by instance."""
        spans: list[Span] = []
        ev = self.events
        pks = [pk for pk in self.aggregations.get(parent, ()) if alive(pk)]
        for family in ("AggregationEvent", "AssociationEvent"):
            in_family = sorted((ev.time(pk), pk) for pk in pks if ev.event_type(pk) == family)
            open_: dict[int, tuple[int, int]] = {}
            for time, pk in in_family:
                if ev.action(pk) == "DELETE":
                    listed = ev.nodes_in(pk, CHILD_ROLES)
                    by_instance = ev.nodes_in(pk, INSTANCE_CHILD_ROLES)
                    for child in by_instance if listed else list(open_):
                        if child in open_:
                            start, opened = open_.pop(child)
                            spans.append(Span(parent, child, start, time, opened, pk))
                else:
                    for child in ev.nodes_in(pk, CHILD_ROLES):
                        open_.setdefault(child, (time, pk))
            spans.extend(
                Span(parent, c, start, FOREVER, opened, None) for c, (start, opened) in open_.items()
            )
        return spans

    def containers_of(self, child: int) -> list[Span]:
        """The spans in which `child` was directly inside a container (a lookup per parent, not a scan of
        the parent's other children: a case of 24 serials is asked 24 times)."""
        found: list[Span] = []
        for parent in self.parents_of.get(child, ()):
            by_child = self._spans_by_child.get(parent)
            if by_child is None:
                by_child = {}
                for span in self.spans(parent):
                    by_child.setdefault(span.child, []).append(span)
                self._spans_by_child[parent] = by_child
            found.extend(by_child.get(child, ()))
        return found

    def inside(self, parent: int, start: int, end: int) -> list[Nested]:
        """What the parent held during [start, end), nested containers included: one entry per stretch of
        time a node was inside it (a grandchild only for the time its own container was inside)."""
        return self._nested(parent, start, end, down=True)

    def holders(self, child: int, start: int, end: int) -> list[Nested]:
        """The containers that held the child during [start, end), nested: a pallet holding the case that
        holds the child counts for the time both held."""
        return self._nested(child, start, end, down=False)

    def _nested(self, node: int, start: int, end: int, *, down: bool) -> list[Nested]:
        found: list[Nested] = []
        covered: dict[int, list[tuple[int, int]]] = {node: [(start, end)]}
        stack: list[tuple[int, int, int, int, tuple[int, ...]]] = [(node, start, end, 0, ())]
        while stack:
            current, lo, hi, level, trail = stack.pop()
            for span in self.spans(current) if down else self.containers_of(current):
                a, b = max(lo, span.start), min(hi, span.end)
                other = span.child if down else span.parent
                if a >= b:
                    continue
                seen = covered.setdefault(other, [])
                if any(x <= a and b <= y for x, y in seen):
                    continue  # cycles and repeats: this stretch was walked already
                seen.append((a, b))
                entry = Nested(other, a, b, level + 1, (*trail, span.opened))
                found.append(entry)
                stack.append((other, a, b, level + 1, entry.opened))
        return found

    def attached(self, opened: Sequence[int]) -> bool:
        """Whether a nesting chain (`Nested.opened`) goes through an AssociationEvent: a device attached to a
        container (a data logger on a pallet) is listed with what it was on, but a trace does not walk on
        from it (it carries no product from one pallet to the next it rides on; see docs/trace.md)."""
        type_of = self.events.event_type
        return any(type_of(pk) == "AssociationEvent" for pk in opened)

    def is_device(self, node: int) -> bool:
        """Whether `node` was ever attached to a container by a live AssociationEvent (a data logger, a
        sensor): recall reports list it apart from the product."""
        return self.attached([span.opened for span in self.containers_of(node)])

    def is_parent(self, node: int, last: int | None = None) -> bool:
        """Whether `node` held something by now (by event `last`, for a reader of the index as of then): whether
        it is the parent of an aggregation or association (by then)."""
        held = self.aggregations.get(node)
        return bool(held) and (last is None or min(held) <= last)

    def kind(self, node: int, last: int | None = None) -> str:
        """container, serial, lot or other: a container if it held something by now (by event `last`), else
        `kind_of` its key, worked out when it was indexed (no text read)."""
        return "container" if self.is_parent(node, last) else KINDS[self.key_kinds[node]]

    def display(self, node: int) -> str:
        """The identifier in the form it was first captured in."""
        return self.raws[node] or self.keys[node]

    def displays(self, nodes: list[int] | npt.NDArray[np.int64]) -> list[str]:
        """`display` of each node."""
        return self.raws.shown(nodes, self.keys)


class GroupFacts:
    """The transformation groups, by group code: the events of each (pks, in the order added: a slot a group
    in a `NodeLists`, most groups being one event) and the group of each event row (-1: none). A group's
    inputs and outputs are read from its events' identifiers in the event table, where they are kept anyway:
    a copy of them as (node, pk) pairs cost about 170 bytes a group (480 MB at ten million events).

    An event's row is whole before its pk is added to its group (see `Graph._add`)."""

    __slots__ = ("_by_row", "_count", "_events", "_table")

    def __init__(self, table: EventTable) -> None:
        self._table = table
        self._events = NodeLists()
        self._by_row = array("i")
        self._count = 0

    def new(self) -> int:
        self._count += 1
        return self._count - 1

    def add_row(self, group: int) -> None:
        """The group of the event in the next row of the event table (-1: none)."""
        self._by_row.append(group)

    def add_event(self, group: int, pk: int) -> None:
        self._events.add(group, pk)

    def compact(self) -> None:
        self._events.compact()

    def of_row(self, row: int) -> int:
        """The group of an event row, -1 if none."""
        by_row = self._by_row
        return by_row[row] if 0 <= row < len(by_row) else -1

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, group: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(inputs, outputs) of the group: (node, pk) pairs in the order its events were added."""
        inputs: list[tuple[int, int]] = []
        outputs: list[tuple[int, int]] = []
        table = self._table
        for pk in self._events.get(group):
            inputs += [(n, pk) for n in table.nodes_in(pk, INPUT_ROLES)]
            outputs += [(n, pk) for n in table.nodes_in(pk, OUTPUT_ROLES)]
        return inputs, outputs

    def __iter__(self) -> Iterator[tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
        """(inputs, outputs) of each group, one group at a time."""
        for group in range(self._count):
            yield self[group]

    def pairs(self, rows: int, last: int, pause: Callable[[], None] | None = None) -> tuple[Columns, Columns]:
        """Every input and output of the events in the first `rows` rows of the table up to pk `last`, as
        columns (node, group, pk) of int32, in the order of the rows (what a snapshot turns into CSR arrays):
        read a slice of rows at a time, from copies of the columns (safe on a thread without the index's
        lock). 12 bytes an occurrence, the most a snapshot holds at once (rows of three int64, sorted into a
        copy, took 80: 3 GB at ten million events)."""
        # (grown in place: glibc moves a large growing block by remapping it, without a copy, where joining
        # slices at the end held everything twice)
        pk_code = np.dtype(small_int(last)).char  # (pks: 4 bytes where they fit, as node numbers and groups)
        found = tuple([array("i"), array("i"), array(pk_code)] for _ in range(2))
        by_row = np.full(rows, -1, dtype=np.int32)  # (-1 for a row whose group is not written yet)
        written = np.frombuffer(self._by_row[:rows], dtype=np.int32)
        by_row[: len(written)] = written
        wanted = [
            (np.frombuffer("".join(roles).encode("ascii"), dtype=np.uint8), into)
            for roles, into in ((INPUT_ROLES, found[0]), (OUTPUT_ROLES, found[1]))
        ]
        for start in range(0, rows, _PAIRS_ROWS):
            if pause is not None:
                pause()
            stop = min(start + _PAIRS_ROWS, rows)
            occurrences = self._table.occurrences(start, stop)
            if occurrences is None:
                continue
            row, node, role, pk = occurrences
            group = by_row[row]
            grouped = (group >= 0) & (pk <= last)
            for codes, into in wanted:
                chosen = grouped & np.isin(role, codes)
                values: list[npt.NDArray[Any]] = [node, group, pk]
                for column, value in zip(into, values, strict=True):
                    column.frombytes(value[chosen].astype(column.typecode).tobytes())
        return _columns(found[0]), _columns(found[1])


def _columns(arrays: list[array[int]]) -> Columns:
    node, group, pk = (
        np.frombuffer(a, dtype=a.typecode) if len(a) else np.zeros(0, np.int32) for a in arrays
    )
    return node, group, pk


def kind_of(key: str) -> str:
    """container, serial, lot or other: what an identifier is by its key alone (anything that ever held
    something is a container too: `Graph.kind`)."""
    if "/00/" in key or "/8003/" in key:
        return "container"
    if "/21/" in key:
        return "serial"
    if "/10/" in key:
        return "lot"
    return "other"
