"""The forward genealogy of the index as flat integer arrays (numpy), for traces that walk thousands of nodes.

A `Snapshot` copies what forward traces read from the `Graph` as it is at one moment: event times and
liveness by pk, the transformations each node went into (CSR: node -> (group, input event)), each
group's outputs, every containment span (replayed once for every container) indexed by child, and the
shipments of each node. A forward trace then walks a whole frontier at once with array operations
(`lotline.trace.sweep`) instead of one node at a time.

The graph keeps growing after the snapshot is taken. Events added later are read from the graph's journal
(`Graph.added`) and mark what they change as dirty: nodes they consume, contain or ship, the groups they add
to, the containers whose spans they change. Declarations of events the snapshot holds clear their
liveness. A trace walks dirty nodes (and nodes newer than the snapshot) through the graph itself, one at a
time, so a trace always sees every event; once enough has changed, the snapshot is rebuilt.
"""

from __future__ import annotations

import gc
import heapq
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from lotline.store import schema as s
from lotline.trace.csr import Ints, Sparse, csr, find_sorted, gather, narrow, packed_grouping, small_int
from lotline.trace.facts import CHILD_ROLES, INPUT_ROLES, PARENT_ROLES, parties_in
from lotline.trace.graph import _KIND_CODE, FOREVER, KINDS, Graph
from lotline.trace.nodelists import NodeTable
from lotline.trace.ordering import display_order
from lotline.trace.pacing import Pause, paced
from lotline.trace.stretches import FirstStretches

Bools = npt.NDArray[np.bool_]

__all__ = ["KINDS", "Snapshot", "View"]
# Rebuild once this many events arrived after the snapshot (or a tenth of what it holds, if more): each
# event after it can send part of a trace through the one-node-at-a-time path.
REBUILD_AFTER = 20_000
_COPY = 65_536  # identifiers sorted between two pauses (see _sorted)
# what changed of a snapshot node after the snapshot was taken (Snapshot.dirty): the transformations it went
# into, the containers it was in or the shipments that carried it; what it contained, as a parent
DIRTY_NODE = 1
DIRTY_PARENT = 2


_ROWS_AT_ONCE = 1 << 18  # rows of a column worked on at a time where all at once would hold more


def _group_events(
    groups: int, cons_group: Ints, cons_pk: Ints, out_ptr: Ints, out_pk: Ints
) -> tuple[Ints, Ints, Ints, Ints, Ints]:
    """The one event of each transformation group whose inputs and outputs all name the same (-1 for the
    others, and for a group with none), and for the others the event of each of their input rows and output
    rows: (group_pk, odd_cons_rows, odd_cons_pk, odd_out_rows, odd_out_pk), rows ascending."""
    out_group = np.repeat(np.arange(groups, dtype=np.int32), np.diff(out_ptr))
    group_pk = np.full(groups, -1, dtype=np.int64)
    group_pk[cons_group] = cons_pk  # (any row's event: checked against all of them below)
    group_pk[out_group] = out_pk
    odd = np.zeros(groups, dtype=np.bool_)
    for of_group, pks in ((cons_group, cons_pk), (out_group, out_pk)):
        for a in range(0, len(pks), _ROWS_AT_ONCE):  # (all rows at once: 13 bytes a row more at the peak)
            rows = slice(a, a + _ROWS_AT_ONCE)
            odd[of_group[rows][pks[rows] != group_pk[of_group[rows]]]] = True
    group_pk[odd] = -1
    odd_cons = np.flatnonzero(odd[cons_group])
    odd_out = np.flatnonzero(odd[out_group])
    return (
        narrow(group_pk),
        narrow(odd_cons),
        narrow(cons_pk[odd_cons]),
        narrow(odd_out),
        narrow(out_pk[odd_out]),
    )


def _events_of(group_pk: Ints, groups: Ints, rows: Ints, odd_rows: Ints, odd_pk: Ints) -> Ints:
    """The events of `rows` (of groups `groups`): their group's one event, else their own (odd_rows, odd_pk)."""
    found = group_pk[groups].astype(np.int64)
    odd = found < 0
    if odd.any():
        found[odd] = odd_pk[np.searchsorted(odd_rows, rows[odd].astype(odd_rows.dtype, copy=False))]
    return found


def _runs(groups: int, ptr: Ints, nodes: Ints) -> tuple[Ints, Ints, Ints]:
    """Each group's output nodes as a run from its first (`Snapshot.outputs`): (out_first by group, the rows
    off the run, their nodes)."""
    first = np.full(groups, -1, dtype=np.int64)
    has = np.flatnonzero(np.diff(ptr))
    first[has] = nodes[ptr[has]]
    del has
    # a slice of rows at a time: the temporaries of all rows at once (40 bytes a row) were the build's peak
    odd = [np.zeros(0, dtype=ptr.dtype)]
    for a in range(0, len(nodes), _ROWS_AT_ONCE):
        rows = np.arange(a, min(a + _ROWS_AT_ONCE, len(nodes)), dtype=ptr.dtype)
        owner = np.searchsorted(ptr, rows, side="right") - 1
        odd.append(rows[nodes[rows] != first[owner] + (rows - ptr[owner])])
    off = np.concatenate(odd)
    return narrow(first), narrow(off), narrow(nodes[off])


def _closed(order: Ints, closing: Ints) -> tuple[Ints, Ints]:
    """The spans that closed, by their place in the grouped `order` (ascending), and the events that closed
    them, from `closing`: (span, event) rows by the spans' places before grouping (ascending)."""
    was = np.zeros(len(order), dtype=np.bool_)
    was[closing[:, 0]] = True
    spans = np.flatnonzero(was[order])
    del was
    return spans, closing[np.searchsorted(closing[:, 0], order[spans]), 1]


def _run_values(values: Ints, starts: Ints, rows: Ints) -> Ints:
    """The value of the run each of `rows` lies in (runs from `starts`, ascending, with their `values`), a
    slice of rows at a time."""
    found = np.empty(len(rows), dtype=values.dtype)
    for a in range(0, len(rows), _ROWS_AT_ONCE):
        found[a : a + _ROWS_AT_ONCE] = values[
            np.searchsorted(starts, rows[a : a + _ROWS_AT_ONCE], side="right") - 1
        ]
    return found


def _resident(size: int, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A zeroed array whose memory is mapped now: `np.zeros` leaves large arrays to the kernel's lazy zero
    pages, faulted in one by one by whoever writes first."""
    zeros = np.empty(size, dtype=dtype)
    zeros.fill(0)
    return zeros


@dataclass(frozen=True, slots=True)
class View:
    """What `Snapshot.take` reads of a graph, fixed at one moment: the newest event and how much of the
    journal, how many nodes and transformation groups, the declarations (containers: those that held
    something by `last`). Taking it copies a set (under the index's lock); a take from it then reads exactly the graph
    as of that moment, on another thread, while the graph goes on growing: `Graph.add` only appends (events
    with larger pks, list entries naming them, new keys, nodes and groups) and never rewrites what was
    there."""

    last: int
    journal: int
    nodes: int
    declared: frozenset[str]
    groups: int

    @classmethod
    def of(cls, graph: Graph) -> View:
        return cls(
            last=graph.last_pk,
            journal=len(graph.added),
            nodes=len(graph.keys),
            declared=frozenset(graph.declared),
            groups=len(graph.group_facts),
        )


@dataclass
class Snapshot:
    last_pk: int
    nodes: int  # node ids below this are in the arrays
    groups: int  # transformation groups (codes) below this are in the arrays
    time: Ints  # by pk
    live: Bools  # by pk
    kind: npt.NDArray[np.int8]  # by node: code in KINDS from the identifier alone (containers: is_parent)
    rank: Ints  # by node: its place in the order of the identifiers as displayed (results are sorted by it)
    cons: Sparse  # node -> (group, input event pk)
    cons_group: Ints
    # a group's output rows at out_ptr[g]:out_ptr[g + 1]; their nodes (`outputs`) are numbered one after the
    # other from out_first[g] (a batch's output lots and serials are new nodes, in the order listed), except
    # the rows listed in odd_node_rows (ascending) with their nodes in odd_node: 4 bytes a group where a node
    # for each output took 105 MB at ten million events
    out_ptr: Ints
    out_first: Ints
    odd_node_rows: Ints
    odd_node: Ints
    # the event of a group's inputs and outputs (`used_by`, `made_by`): one for all of them, -1 where they
    # differ (a transformationID's events), then by row in odd_cons_rows/pk and odd_out_rows/pk: 4 bytes a
    # group, where one for each input and output took 50 MB at a million events
    group_pk: Ints
    odd_cons_rows: Ints
    odd_cons_pk: Ints
    odd_out_rows: Ints
    odd_out_pk: Ints
    # containment spans, grouped by child (those of child c at cont_ptr[c]:cont_ptr[c + 1]): the parent and
    # the event that put the child in. A span's start and end are the times of the events that opened and
    # closed it (`span_starts`, `span_ends`): 4 bytes a span each where the times took 8. Few spans close
    # (a case unpacked, a lot taken off a pallet): theirs closing events are listed by span (closed_spans,
    # closed_pk, ascending)
    span_parent: Ints
    span_opened: Ints
    closed_spans: Ints
    closed_pk: Ints
    cont_ptr: Ints
    ship: Sparse  # node -> shipment event pks
    ship_pk: Ints
    dest: (
        Sparse  # shipment event pk -> destination parties (owning or possessing), as indexes into party_names
    )
    dest_party: Ints
    recv: Sparse  # node -> receipt event pks
    recv_pk: Ints
    src: Sparse  # receipt event pk -> source parties, as indexes into party_names
    src_party: Ints
    party_names: list[str]
    journal: int  # how much of Graph.added the snapshot has seen
    declared: set[str]  # declarations applied
    dirty: npt.NDArray[np.uint8] = field(init=False)  # by node: DIRTY_NODE | DIRTY_PARENT
    dirty_group: Bools = field(init=False)
    generation: int = field(init=False)
    whole_mark: npt.NDArray[np.uint8] = field(init=False)
    reach_mark: npt.NDArray[np.uint8] = field(init=False)
    cover_slot: npt.NDArray[np.int32] = field(init=False)
    slots: int = field(init=False)
    new_parents: set[int] = field(init=False)
    changed: int = 0  # events seen after the snapshot

    def __post_init__(self) -> None:
        # Written to by every trace and catch-up: allocated resident (`_resident`), else the first traces
        # after a build pay the page faults of hundreds of megabytes of zero pages (10-40 ms each).
        self.dirty = _resident(self.nodes, np.uint8)
        self.dirty_group = _resident(self.groups, np.bool_)
        # scratch space of the walks (one at a time: under the index's lock), marked with a walk's generation
        self.generation = 0
        self.whole_mark = _resident(self.nodes, np.uint8)  # (one byte: cleared every 254 walks)
        self.reach_mark = _resident(self.nodes, np.uint8)
        # the first stretch of time a node was walked for: its slot in the walk's `FirstStretches`
        self.cover_slot = _resident(self.nodes, np.int32)
        self.slots = 1  # slots of cover_slot numbered so far (see FirstStretches)
        self.new_parents: set[int] = set()  # snapshot nodes that first held something after it was taken

    @classmethod
    def take(
        cls,
        graph: Graph,
        view: View | None = None,
        previous: Snapshot | None = None,
        pause: Pause | None = None,
    ) -> Snapshot:
        """Copy the graph's forward genealogy into arrays (seconds at a million events): the graph as it is
        now, or as it was when `view` was taken (then safe on another thread while the graph grows).
        `previous`, an earlier snapshot of the same graph, saves sorting again the identifiers it held.
        `pause` is called every `PACE` items of the long loops: a retake on another thread waits there while
        traces run (see `TraceIndex.give_way`)."""
        locked = view is None  # (the caller holds the index's lock: nothing is added meanwhile)
        view = View.of(graph) if view is None else view
        last, nodes = view.last, view.nodes
        time = np.zeros(last + 1, dtype=np.int64)
        live = np.zeros(last + 1, dtype=np.bool_)
        declared = set(view.declared)
        events = graph.events
        pks, times = events.times(view.journal)
        time[pks] = times
        live[pks] = True
        del pks, times  # (16 bytes an event, held to the end of the build until 2026-12-03: its peak)
        for event_id in declared:
            for pk in events.find(event_id):
                if pk <= last:
                    live[pk] = False
        # (a copy of the bytes first: while numpy viewed the graph's column, it could not grow on another thread)
        kind = np.frombuffer(graph.key_kinds[:nodes], dtype=np.int8).copy()
        held, by = graph.aggregations.pairs(nodes)  # (the nodes that held something, by the events)
        kind[held[by <= last]] = _KIND_CODE["container"]
        del held, by
        rank = _rank(
            graph.display, nodes, previous, pause, lambda: display_order(graph, nodes, pause, copy=not locked)
        )
        c, o = graph.group_facts.pairs(view.journal, last, pause)  # (node, group, pk) as added
        # a node's inputs by group, as added within one
        cons, (cons_group, cons_pk) = Sparse.of(c[0], c[1], c[2], within=c[1])
        del c
        out_ptr, (out_node, out_pk) = csr(o[1], view.groups, o[0], o[2])
        del o
        group_pk, *odd = _group_events(view.groups, cons_group, cons_pk, out_ptr, out_pk)
        del cons_pk, out_pk
        out_first, odd_node_rows, odd_node = _runs(view.groups, out_ptr, out_node)
        del out_node
        # Containment spans, grouped by child: a column each, let go as soon as it is laid out in that order
        # (their peak was the build's), the children written as the keys of the grouping as they come, which
        # then becomes the order in their own memory, and the parents as runs (a parent's spans come
        # together). (Node numbers and pks: 4 bytes each where they fit.)
        typecode = np.dtype(small_int(max(last, nodes))).char
        # (children: child << 32 | row, the keys `packed_grouping` sorts)
        children, opened = array("q"), array(typecode)
        run_parent, run_start = array(typecode), array("q")  # the parent of the rows from run_start on
        closing = array("q")  # (span, the event that closed it) of the few spans that closed, in span order
        alive = graph.alive_as_of(view.last, view.declared)
        for parent in paced([p for p in graph.aggregations if p < nodes], pause):
            run_parent.append(parent)
            run_start.append(len(opened))
            for span in graph.replay(parent, alive):  # (graph.spans would cache them all)
                row = len(opened)
                if span.closed is not None:
                    closing.extend((row, span.closed))
                children.append(span.child << 32 | row)
                opened.append(span.opened)
        cont_ptr, order = packed_grouping(children, nodes)
        del children
        span_opened = np.frombuffer(opened, dtype=typecode)[order]
        del opened
        span_parent = _run_values(
            np.frombuffer(run_parent, dtype=typecode), np.frombuffer(run_start, dtype=np.int64), order
        )
        del run_parent, run_start
        closed_spans, closed_pk = _closed(order, np.frombuffer(closing, dtype=np.int64).reshape(-1, 2))
        del order, closing
        party_ids: dict[str, int] = {}
        ship, ship_pk, dest, dest_party = _movements(
            graph, view, graph.shipments, s.REF_DESTINATION, party_ids, pause
        )
        recv, recv_pk, src, src_party = _movements(
            graph, view, graph.receipts, s.REF_SOURCE, party_ids, pause
        )
        return cls(
            last_pk=last,
            nodes=nodes,
            groups=view.groups,
            time=time,
            live=live,
            kind=kind,
            rank=rank,
            cons=cons,
            cons_group=cons_group,
            out_ptr=out_ptr,
            out_first=out_first,
            odd_node_rows=odd_node_rows,
            odd_node=odd_node,
            group_pk=group_pk,
            odd_cons_rows=odd[0],
            odd_cons_pk=odd[1],
            odd_out_rows=odd[2],
            odd_out_pk=odd[3],
            span_parent=narrow(span_parent),
            span_opened=narrow(span_opened),
            closed_spans=narrow(closed_spans),
            closed_pk=narrow(closed_pk),
            cont_ptr=cont_ptr,
            ship=ship,
            ship_pk=ship_pk,
            dest=dest,
            dest_party=dest_party,
            recv=recv,
            recv_pk=recv_pk,
            src=src,
            src_party=src_party,
            party_names=list(party_ids),
            journal=view.journal,
            declared=declared,
        )

    def span_starts(self, spans: Ints) -> Ints:
        """When these spans began: the times of the events that opened them."""
        return self.time[self.span_opened[spans]]

    def span_ends(self, spans: Ints) -> Ints:
        """When these spans ended: the times of the events that closed them, `FOREVER` if none."""
        ends = np.full(len(spans), FOREVER, dtype=np.int64)
        at, hit = find_sorted(self.closed_spans, spans)
        ends[hit] = self.time[self.closed_pk[at[hit]]]
        return ends

    def used_by(self, groups: Ints, rows: Ints) -> Ints:
        """The events that consumed the inputs at `rows` (of cons), of transformation groups `groups`."""
        return _events_of(self.group_pk, groups, rows, self.odd_cons_rows, self.odd_cons_pk)

    def made_by(self, groups: Ints, rows: Ints) -> Ints:
        """The events that made the outputs at `rows` (of out_ptr), of transformation groups `groups`."""
        return _events_of(self.group_pk, groups, rows, self.odd_out_rows, self.odd_out_pk)

    def outputs(self, groups: Ints, rows: Ints) -> Ints:
        """The nodes of the outputs at `rows` (of out_ptr), of transformation groups `groups`."""
        nodes = self.out_first[groups] + (rows - self.out_ptr[groups])
        at, hit = find_sorted(self.odd_node_rows, rows)
        nodes[hit] = self.odd_node[at[hit]]
        return nodes

    def next_generation(self) -> int:
        """A fresh mark for a sweep's scratch arrays `whole_mark` and `reach_mark` (cleared when the counter
        would overflow: a millisecond a million nodes, once every 254 sweeps)."""
        if self.generation >= 2**8 - 2:
            for marks in (self.whole_mark, self.reach_mark):
                marks.fill(0)
            self.generation = 0
        self.generation += 1
        return self.generation

    def received(self, walked: Sequence[int], since: int, until: int) -> list[tuple[int, str]] | None:
        """(receipt pk, source party) of every receipt of a walked node, or of a container holding one (nested)
        while it did, within [since, until): `traverse._received` over the arrays, for all
        the nodes of a walk at once (a container is climbed once, not once per item it held). None when the
        snapshot cannot answer exactly (a node or one of its containers changed after it was taken)."""
        nodes = np.unique(np.asarray(walked, dtype=np.int64))
        if len(nodes) and (nodes[-1] >= self.nodes or (self.dirty[nodes] & DIRTY_NODE).any()):
            return None
        lo = np.full(len(nodes), -(2**62), dtype=np.int64)
        hi = np.full(len(nodes), 2**62, dtype=np.int64)
        carriers = [(nodes, lo, hi)]
        more: dict[int, list[tuple[int, int]]] = {}  # stretches after a node's first (in `firsts`)
        firsts = FirstStretches(self)
        firsts.add_many(nodes, lo, hi)
        while len(nodes):
            owner, spans = gather(self.cont_ptr, nodes)
            parents = self.span_parent[spans]
            if self.dirty[parents].any():  # (as a node or as a parent)
                return None
            a = np.maximum(lo[owner], self.span_starts(spans))
            b = np.minimum(hi[owner], self.span_ends(spans))
            ok = a < b
            parents, a, b = parents[ok], a[ok], b[ok]
            new = ~firsts.has_many(parents)
            _, first = np.unique(parents[new], return_index=True)
            fresh = np.flatnonzero(new)[first]
            firsts.add_many(parents[fresh], a[fresh], b[fresh])
            rest = np.ones(len(parents), dtype=np.bool_)
            rest[fresh] = False
            keep = list(fresh.tolist())
            for i in np.flatnonzero(rest).tolist():  # seen before in this walk: only stretches not walked yet
                p, x, y = int(parents[i]), int(a[i]), int(b[i])
                if firsts.covers(p, x, y):
                    continue
                seen = more.setdefault(p, [])
                if any(s0 <= x and y <= s1 for s0, s1 in seen):
                    continue
                seen.append((x, y))
                keep.append(i)
            chosen = np.array(keep, dtype=np.int64)
            nodes, lo, hi = parents[chosen], a[chosen], b[chosen]
            carriers.append((nodes, lo, hi))
        held = np.concatenate([c[0] for c in carriers])
        owner, rows = self.recv.gather(held)
        pk = self.recv_pk[rows]
        t = self.time[pk]
        starts = np.concatenate([c[1] for c in carriers])
        ends = np.concatenate([c[2] for c in carriers])
        ok = self.live[pk] & (t >= starts[owner]) & (t < ends[owner]) & (t >= since) & (t < until)
        found = np.unique(pk[ok])
        owner, rows = self.src.gather(found)
        names = self.party_names
        return [
            (receipt, names[party])
            for receipt, party in zip(found[owner].tolist(), self.src_party[rows].tolist(), strict=True)
        ]

    @property
    def stale(self) -> bool:
        return self.changed > max(REBUILD_AFTER, self.last_pk // 10)

    def catch_up(self, graph: Graph) -> None:
        """Mark what the events added to the graph since the last call change (see the module's notes)."""
        for pk in graph.added[self.journal :]:
            event = graph.events[pk]
            self.changed += 1
            if event.event_type == "TransformationEvent":
                group = graph.group_of(pk)
                if group is not None and group < self.groups:
                    self.dirty_group[group] = True
                self._dirty(event.nodes_in(INPUT_ROLES))
            parents = event.nodes_in(PARENT_ROLES)
            if parents and event.event_type in ("AggregationEvent", "AssociationEvent"):
                self._dirty(parents, DIRTY_PARENT)
                node = parents[0]
                if node < self.nodes and self.kind[node] != _KIND_CODE["container"]:
                    self.new_parents.add(node)
                self._dirty(event.nodes_in(CHILD_ROLES))
            if event.is_shipment or event.is_receipt:
                self._dirty(event.moved_nodes())
        self.journal = len(graph.added)
        if len(graph.declared) != len(self.declared):
            for event_id in graph.declared - self.declared:
                self.changed += 1
                for pk in graph.events.find(event_id):
                    if pk <= self.last_pk:
                        self.live[pk] = False
                        # its spans change: replayed without it
                        self._dirty(graph.events[pk].nodes_in(PARENT_ROLES), DIRTY_PARENT)
            self.declared = set(graph.declared)

    def _dirty(self, nodes: list[int], flag: int = DIRTY_NODE) -> None:
        dirty = self.dirty
        for node in nodes:
            if node < self.nodes:
                dirty[node] |= flag


def _out_of_sight() -> None:
    """Move the copy's lists and dicts made so far (millions of entries: eventIDs, identifiers, groups) out of
    the cyclic garbage collector's sight, as the index's build does: every collection that found them young
    would walk them all, 100 ms and more each time, holding every thread (traces beside a retake). They hold
    no cycles, and reference counting still frees them when the copy is replaced."""
    gc.freeze()


def _sorted(nodes: range, display: Callable[[int], str], pause: Pause | None) -> list[int]:
    """`nodes` in the order of their displayed identifiers. With a pause, sorted a slice at a time and merged:
    one sort of a few hundred thousand strings holds the interpreter for a few hundred milliseconds."""
    shown = [display(n) for n in paced(nodes, pause)]
    first = nodes.start

    def key(n: int) -> str:
        return shown[n - first]

    if pause is None or len(nodes) <= _COPY:
        return sorted(nodes, key=key)
    runs = []
    for start in range(0, len(nodes), _COPY // 4):
        pause()
        runs.append(sorted(nodes[start : start + _COPY // 4], key=key))
    return list(paced(heapq.merge(*runs, key=key), pause))


def _rank(
    display: Callable[[int], str],
    nodes: int,
    previous: Snapshot | None,
    pause: Pause | None = None,
    order: Callable[[], Ints] | None = None,
) -> Ints:
    """Each node's place in the order of the displayed identifiers (`display` of each node; `order`, if
    given, sorts all of them at once: `ordering.display_order`). Nodes are only ever added, and a node's
    display never changes, so the order of those an earlier snapshot holds stands: only the new ones are
    sorted and merged in. (Sorting millions of strings again is one call of a second or more that keeps
    every other thread waiting for the interpreter, traces included, when a retake runs beside them.)"""
    if previous is None or not 0 < previous.nodes <= nodes:
        if order is None:
            shown = [display(n) for n in range(nodes)]
            ranked = np.array(sorted(range(nodes), key=shown.__getitem__), dtype=np.int64)
            del shown
        else:
            ranked = order()
    else:
        old = previous.nodes
        held = np.empty(old, dtype=np.int64)  # the old nodes in order (rank is a permutation)
        held[previous.rank] = np.arange(old, dtype=np.int64)
        new = _sorted(range(old, nodes), display, pause)
        at = [bisect_right(held, display(n), key=display) for n in paced(new, pause)]
        ranked = np.insert(held, np.array(at, dtype=np.int64), np.array(new, dtype=np.int64))
    small = small_int(nodes)
    rank: Ints = np.empty(nodes, dtype=small)
    for a in range(0, nodes, _ROWS_AT_ONCE):  # (no array of every rank beside the two)
        b = min(a + _ROWS_AT_ONCE, nodes)
        rank[ranked[a:b]] = np.arange(a, b, dtype=small)
    return rank


def _movements(
    graph: Graph,
    view: View,
    moved: NodeTable,
    kind: str,
    party_ids: dict[str, int],
    pause: Pause | None = None,
) -> tuple[Sparse, Ints, Sparse, Ints]:
    """Shipments or receipts as arrays: node -> event pks (CSR), and event pk -> its destination or source
    parties (CSR of indexes into `party_ids`, which grows)."""
    last = view.last
    nodes, moves = moved.pairs(view.nodes)
    now = moves <= last
    nodes, moves = nodes[now], moves[now]
    by_node, (pks,) = Sparse.of(nodes, moves)
    # into flat buffers, not a list of (pk, party) tuples: a million of those, alive until the end, cost
    # collections of the garbage collector of 300 ms that stop every thread (traces beside a retake)
    named, party = array("q"), array("q")
    refs = graph.events.refs
    for pk in paced(np.unique(moves).tolist(), pause):
        for _, name in parties_in(refs(pk), kind):
            named.append(pk)
            party.append(party_ids.setdefault(name, len(party_ids)))
    by_event, (parties,) = Sparse.of(
        np.frombuffer(named, dtype=np.int64), np.frombuffer(party, dtype=np.int64)
    )
    return by_node, pks, by_event, parties
