"""Forward traces a frontier at a time, over a `Snapshot` of the genealogy.

The forward rules of `lotline.trace.traverse` (its module notes state them), walked breadth first:
every node reached at one depth is stepped at once with array operations (the transformations it went
into while it was in hand, the containers that held it and for how long, the shipments that carried it).
Nodes the snapshot does not know exactly (newer than it, or touched by events captured after it) take
the one-node-at-a-time step over the graph, so the result is the same. Paths are kept as a tree of steps
(`_Steps`) and spelled out only for the items of the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np

from lotline.store import schema as s
from lotline.trace.csr import Ints, gather
from lotline.trace.graph import FOREVER, Graph
from lotline.trace.result import ItemRows, TraceResult
from lotline.trace.snapshot import DIRTY_NODE, DIRTY_PARENT, KINDS, Snapshot
from lotline.trace.stretches import FirstStretches

START = -(2**62)  # the beginning of time (traverse.EVER)
NO_STEP = -1  # the path of the root: no events
_UNSEEN = -2
_SKIP = -3  # a producing event outside the window or declared in error
_CONTAINER = KINDS.index("container")


@dataclass
class _Steps:
    """Paths as a tree: step i extends the path of step `parent[i]` with event pks `first[i]` and, unless it is
    -1, `second[i]`."""

    parent: list[int] = field(default_factory=list)
    first: list[int] = field(default_factory=list)
    second: list[int] = field(default_factory=list)

    def add(self, parent: int, first: int, second: int = -1) -> int:
        self.parent.append(parent)
        self.first.append(first)
        self.second.append(second)
        return len(self.parent) - 1

    def chain(self, parent: int, pks: tuple[int, ...]) -> int:
        for pk in pks:
            parent = self.add(parent, pk)
        return parent

    def ancestry(self, steps: list[int]) -> list[int]:
        """These steps and all the steps their paths go through, in the order they were added (a step's
        parent always comes before it)."""
        parent = self.parent
        seen = {NO_STEP}
        for step in steps:
            while step not in seen:
                seen.add(step)
                step = parent[step]
        seen.discard(NO_STEP)
        return sorted(seen)

    def spell(self, steps: list[int], ids: dict[int, str]) -> dict[int, list[str]]:
        """The path of each of `steps` (a closed `ancestry`, in order) as event ids, built from its parent's."""
        parent, first, second = self.parent, self.first, self.second
        paths: dict[int, list[str]] = {NO_STEP: []}
        for step in steps:
            other = second[step]
            if other < 0:
                paths[step] = [*paths[parent[step]], ids[first[step]]]
            else:
                paths[step] = [*paths[parent[step]], ids[first[step]], ids[other]]
        return paths

    def extend(self, parents: Ints, first: Ints, second: Ints) -> int:
        """Add steps in bulk; returns the number of the first one."""
        base = len(self.parent)
        self.parent.extend(parents.tolist())
        self.first.extend(first.tolist())
        self.second.extend(second.tolist())
        return base


@dataclass
class _Level:
    """What to walk at one depth: pushed one by one (lists) and in bulk (arrays)."""

    nodes: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    bulk: list[tuple[Ints, Ints, Ints, Ints]] = field(default_factory=list)  # (nodes, starts, ends, steps)

    def arrays(self) -> tuple[Ints, Ints, Ints, Ints]:
        parts = [
            *self.bulk,
            tuple(np.array(v, dtype=np.int64) for v in (self.nodes, self.starts, self.ends, self.steps)),
        ]
        if len(parts) == 1:
            return parts[0]  # type: ignore[return-value]
        return tuple(np.concatenate(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]


class _Sweep:
    def __init__(
        self, graph: Graph, snap: Snapshot, since: int | None, until: int | None, max_depth: int | None
    ) -> None:
        self.g = graph
        self.snap = snap
        self.since = since if since is not None else START
        self.until = until if until is not None else FOREVER
        self.max_depth = max_depth
        self.steps = _Steps()
        self.levels: dict[int, _Level] = {}
        # Nodes of the snapshot: marks in its scratch arrays (this walk's generation); newer nodes: below.
        self.gen = snap.next_generation()
        # snapshot nodes reached (marked in its `reach_mark`), with the depth and walk step of their first
        # arrival: in chunks (nodes, depth, steps), and one by one (node, depth, step)
        self.reached_bulk: list[tuple[Ints, int, Ints]] = []
        self.reached_one: list[tuple[int, int, int]] = []
        self.reached: dict[int, tuple[int, int]] = {}  # newer nodes -> (depth, step) of their first arrival
        self.whole: set[int] = set()  # newer nodes walked for all time
        # nodes walked for stretches of time: a snapshot node's first stretch in `first`, the others here
        self.first = FirstStretches(snap)
        self.covered: dict[int, list[tuple[int, int]]] = {}
        self.parties: dict[tuple[str, str], set[str]] = {}
        self.shipped: list[Ints] = []  # shipments (pks) found in bulk: their parties are read at the end

    # --- pushing --------------------------------------------------------------------------------------

    def push(self, node: int, start: int, end: int, depth: int, step: int) -> None:
        """Queue `node` for [start, end) unless that stretch was walked already (as traverse._Walk.push)."""
        if self.max_depth is not None and depth > self.max_depth:
            return
        snap, gen = self.snap, self.gen
        known = node < snap.nodes
        if node in self.whole or (known and snap.whole_mark[node] == gen):
            return
        if start <= START and end >= FOREVER:
            if known:
                snap.whole_mark[node] = gen
            else:
                self.whole.add(node)
        elif known and not self.first.has(node):
            self.first.add(node, start, end)
        else:
            if known and self.first.covers(node, start, end):  # (known: it has its first stretch)
                return
            spans = self.covered.setdefault(node, [])
            for a, b in spans:
                if a <= start and end <= b:
                    return
            spans.append((start, end))
        if not known:
            if node not in self.reached:
                self.reached[node] = (depth, step)
        elif snap.reach_mark[node] != gen:
            snap.reach_mark[node] = gen
            self.reached_one.append((node, depth, step))
        level = self.levels.get(depth)
        if level is None:
            level = self.levels[depth] = _Level()
        level.nodes.append(node)
        level.starts.append(start)
        level.ends.append(end)
        level.steps.append(step)

    def list_only(self, node: int, depth: int, step: int) -> None:
        """Put `node` in the result (unless it is there already) without walking on from it: a device
        attached to a suspect container (`Graph.attached`). A later `push` still walks it."""
        if self.max_depth is not None and depth > self.max_depth:
            return
        snap, gen = self.snap, self.gen
        if node >= snap.nodes:
            self.reached.setdefault(node, (depth, step))
        elif snap.reach_mark[node] != gen:
            snap.reach_mark[node] = gen
            self.reached_one.append((node, depth, step))

    def push_whole(self, nodes: Ints, steps: Ints, depth: int) -> None:
        """Queue each of `nodes` (snapshot nodes) for all time (transformation outputs), first arrival wins."""
        if self.max_depth is not None and depth > self.max_depth:
            return
        snap, gen = self.snap, self.gen
        _, first = np.unique(nodes, return_index=True)
        first.sort()
        nodes, steps = nodes[first], steps[first]
        fresh = snap.whole_mark[nodes] != gen
        nodes, steps = nodes[fresh], steps[fresh]
        if not len(nodes):
            return
        snap.whole_mark[nodes] = gen
        every = np.full(len(nodes), START, dtype=np.int64), np.full(len(nodes), FOREVER, dtype=np.int64)
        self._queue(nodes, *every, steps, depth)

    def push_stretches(
        self, nodes: Ints, starts: Ints, ends: Ints, parents: Ints, opened: Ints, depth: int
    ) -> None:
        """Queue containers for stretches of time (each reached through event `opened` from the walk step
        `parents`): those not walked at all yet in bulk, the others one by one."""
        if self.max_depth is not None and depth > self.max_depth:
            return
        snap, gen = self.snap, self.gen
        open_ = snap.whole_mark[nodes] != gen
        fresh = open_ & ~self.first.has_many(nodes)
        _, first = np.unique(nodes[fresh], return_index=True)
        bulk = np.flatnonzero(fresh)[first]
        if len(bulk):
            n = nodes[bulk]
            self.first.add_many(n, starts[bulk], ends[bulk])
            base = self.steps.extend(parents[bulk], opened[bulk], np.full(len(bulk), -1, dtype=np.int64))
            self._queue(n, starts[bulk], ends[bulk], base + np.arange(len(bulk), dtype=np.int64), depth)
        open_[bulk] = False
        for i in np.flatnonzero(open_).tolist():
            self.push_span(
                int(nodes[i]), int(starts[i]), int(ends[i]), depth, int(parents[i]), int(opened[i])
            )

    def _queue(self, nodes: Ints, starts: Ints, ends: Ints, steps: Ints, depth: int) -> None:
        """Queue snapshot nodes already marked as walked; the first arrival of each is its place in the result."""
        snap, gen = self.snap, self.gen
        new = snap.reach_mark[nodes] != gen
        arrived = nodes[new]
        snap.reach_mark[arrived] = gen
        self.reached_bulk.append((arrived, depth, steps[new]))
        level = self.levels.get(depth)
        if level is None:
            level = self.levels[depth] = _Level()
        level.bulk.append((nodes, starts, ends, steps))

    def party(self, party: str, event_id: str) -> None:
        self.parties.setdefault((party, "destination"), set()).add(event_id)

    # --- walking --------------------------------------------------------------------------------------

    def run(self) -> None:
        while self.levels:
            depth = min(self.levels)
            level = self.levels.pop(depth)
            self._level(depth, level)

    def _level(self, depth: int, level: _Level) -> None:
        snap = self.snap
        nodes, starts, ends, steps = level.arrays()
        slow = nodes >= snap.nodes
        known = ~slow
        slow[known] = (snap.dirty[nodes[known]] & DIRTY_NODE) != 0
        fast = np.flatnonzero(~slow)
        n, lo, hi, st = nodes[fast], starts[fast], ends[fast], steps[fast]
        o1, p1 = snap.cons.gather(n)
        g1 = snap.cons_group[p1]
        o2, s2 = gather(snap.cont_ptr, n)
        # nodes whose transformation groups or containers changed after the snapshot: walked one by one
        worse = np.zeros(len(n), dtype=np.bool_)
        worse[o1[snap.dirty_group[g1]]] = True
        worse[o2[(snap.dirty[snap.span_parent[s2]] & DIRTY_PARENT) != 0]] = True
        slow[fast[worse]] = True
        fine = ~worse
        keep1, keep2 = fine[o1], fine[o2]
        self._made_into(depth, lo, hi, st, o1[keep1], p1[keep1], g1[keep1])
        self._held_by(depth, lo, hi, st, o2[keep2], s2[keep2])
        self._shipped(n[fine], lo[fine], hi[fine])
        for i in np.flatnonzero(slow).tolist():
            self._slow(int(nodes[i]), int(starts[i]), int(ends[i]), depth, int(steps[i]))

    def _made_into(self, depth: int, lo: Ints, hi: Ints, st: Ints, o1: Ints, p1: Ints, g1: Ints) -> None:
        """Outputs of every transformation (group) that consumed a node while it was walked."""
        snap = self.snap
        pk = snap.used_by(g1, p1)
        t = snap.time[pk]
        ok = snap.live[pk] & (t >= lo[o1]) & (t < hi[o1]) & (t >= self.since) & (t < self.until)
        if not ok.any():
            return
        o1, g1, pk = o1[ok], g1[ok], pk[ok]
        _, first = np.unique(o1 * snap.groups + g1, return_index=True)  # the first input event of each
        first.sort()
        o1, g1, via = o1[first], g1[first], pk[first]
        pair, rows = gather(snap.out_ptr, g1)
        made = snap.made_by(g1[pair], rows)
        t = snap.time[made]
        ok = snap.live[made] & (t >= self.since) & (t < self.until)
        pair, made, outputs = pair[ok], made[ok], snap.outputs(g1[pair[ok]], rows[ok])
        if not len(pair):
            return
        _, first, which = np.unique(pair * (snap.last_pk + 1) + made, return_index=True, return_inverse=True)
        by, events = pair[first], made[first]
        base = self.steps.extend(st[o1[by]], via[by], np.where(events == via[by], -1, events))
        self.push_whole(outputs, base + which, depth + 1)

    def _held_by(self, depth: int, lo: Ints, hi: Ints, st: Ints, o2: Ints, s2: Ints) -> None:
        """Containers, for the part of the walked stretch (within the window) the node was inside them."""
        snap = self.snap
        a = np.maximum(np.maximum(lo[o2], snap.span_starts(s2)), self.since)
        b = np.minimum(np.minimum(hi[o2], snap.span_ends(s2)), self.until)
        ok = a < b
        if not ok.any():
            return
        o2, s2, a, b = o2[ok], s2[ok], a[ok], b[ok]
        parents = snap.span_parent[s2]
        # siblings push their container for the same stretch: the first one does
        first = _firsts(parents, a, b)
        self.push_stretches(
            parents[first], a[first], b[first], st[o2[first]], snap.span_opened[s2[first]], depth + 1
        )

    def push_span(self, node: int, start: int, end: int, depth: int, parent_step: int, opened: int) -> None:
        """push, with the step made only if the stretch is new."""
        snap, gen = self.snap, self.gen
        if node < snap.nodes:
            if snap.whole_mark[node] == gen:
                return
            if self.first.has(node) and self.first.covers(node, start, end):
                return
        elif node in self.whole:
            return
        for x, y in self.covered.get(node, ()):
            if x <= start and end <= y:
                return
        self.push(node, start, end, depth, self.steps.add(parent_step, opened))

    def _shipped(self, n: Ints, lo: Ints, hi: Ints) -> None:
        """Destination parties of shipments that moved a node while it was walked."""
        snap = self.snap
        o3, p3 = snap.ship.gather(n)
        if not len(o3):
            return
        pk = snap.ship_pk[p3]
        t = snap.time[pk]
        ok = snap.live[pk] & (t >= lo[o3]) & (t < hi[o3]) & (t >= self.since) & (t < self.until)
        self.shipped.append(pk[ok])

    def _slow(self, node: int, start: int, end: int, depth: int, step: int) -> None:
        """One node's forward step over the graph itself, for a node the snapshot does not know exactly."""
        g, since, until = self.g, self.since, self.until
        for group in g.consumed_by.get(node, ()):
            inputs, outputs = g.group(group)
            via = -1
            for m, pk in inputs:
                if (
                    m == node
                    and (t := g.live_time(pk)) is not None
                    and start <= t < end
                    and since <= t < until
                ):
                    via = pk
                    break
            if via < 0:
                continue
            made: dict[int, int] = {}
            for out, pk in outputs:
                next_step = made.get(pk, _UNSEEN)
                if next_step == _UNSEEN:
                    produced = g.live_time(pk)
                    if produced is None or not since <= produced < until:
                        next_step = _SKIP
                    else:
                        next_step = self.steps.add(step, via, -1 if pk == via else pk)
                    made[pk] = next_step
                if next_step >= 0:
                    self.push(out, START, FOREVER, depth + 1, next_step)
        for span in g.containers_of(node):
            a, b = max(start, span.start, since), min(end, span.end, until)
            if a < b:
                self.push_span(span.parent, a, b, depth + 1, step, span.opened)
        for pk in g.shipments.get(node, ()):
            event = g.live(pk)
            if event is not None and start <= event.time < end and since <= event.time < until:
                for _, party in event.parties(s.REF_DESTINATION):
                    self.party(party, event.event_id)

    # --- the result -----------------------------------------------------------------------------------

    def result(self, root: str, root_node: int) -> TraceResult:
        g, snap = self.g, self.snap
        one = np.array(self.reached_one, dtype=np.int64).reshape(-1, 3)
        nodes = np.concatenate([*(n for n, _, _ in self.reached_bulk), one[:, 0]])
        depths = np.concatenate(
            [*(np.full(len(n), d, dtype=np.int64) for n, d, _ in self.reached_bulk), one[:, 1]]
        )
        at_step = np.concatenate([*(st for _, _, st in self.reached_bulk), one[:, 2]])
        keep = nodes != root_node
        nodes, depths, at_step = nodes[keep], depths[keep], at_step[keep]
        order = np.lexsort((snap.rank[nodes], depths))  # by depth, then identifier
        nodes, depths, at_step = nodes[order], depths[order], at_step[order]
        steps = at_step.tolist()
        newer = [(n, depth, step) for n, (depth, step) in self.reached.items() if n != root_node]
        shipments = np.unique(np.concatenate(self.shipped)) if self.shipped else np.zeros(0, dtype=np.int64)
        # Every path, spelled out once per step (siblings share their step) in Python lists and C-level
        # gathers: each numpy call costs a fixed tens of microseconds, more than a few thousand list lookups.
        on_paths = self.steps.ancestry([*dict.fromkeys(steps), *(step for _, _, step in newer)])
        first, second = self.steps.first, self.steps.second
        named = {first[step] for step in on_paths}
        named.update(second[step] for step in on_paths)
        named.discard(-1)
        named.update(shipments.tolist())
        ids = g.events.event_ids(named)
        used = sorted(set(ids.values()))
        spelled = self.steps.spell(on_paths, ids)
        kinds = snap.kind[nodes]
        if snap.new_parents:
            kinds[np.isin(nodes, np.fromiter(snap.new_parents, dtype=np.int64))] = _CONTAINER
        columns = ItemRows(g.displays(nodes), kinds, depths, at_step, spelled, nodes, KINDS, used)
        items = None
        if newer:  # nodes newer than the snapshot: sorted in with the rest
            items = columns.dicts() + [
                {"id": g.display(n), "kind": g.kind(n), "depth": depth, "path": spelled[step]}
                for n, depth, step in newer
            ]
            items.sort(key=itemgetter("depth", "id"))
        one_by_one = bool(self.parties)  # parties of nodes stepped one at a time (`_slow`)
        owner, rows = snap.dest.gather(shipments)
        names, parties = snap.party_names, self.parties
        for party, pk in zip(snap.dest_party[rows].tolist(), shipments[owner].tolist(), strict=True):
            self.party(names[party], ids[pk])
        listed = [
            {"id": party, "relation": relation, "events": sorted(events)}
            for (party, relation), events in sorted(parties.items())
        ]
        if one_by_one and (more := set().union(*parties.values()) - set(used)):
            used = sorted(set(used) | more)
        return TraceResult(root, "forward", items, listed, used, rows=None if items is not None else columns)


def _firsts(*keys: Ints) -> Ints:
    """Where each distinct combination of `keys` first occurs, in order: `np.unique(np.stack(keys), axis=1,
    return_index=True)`, sorted, without its sort of rows as opaque bytes (several times slower)."""
    order = np.lexsort(keys[::-1])  # stable: within equal rows, the first occurrence comes first
    ordered = [key[order] for key in keys]
    new = np.ones(len(order), dtype=np.bool_)
    if len(order) > 1:
        same = np.ones(len(order) - 1, dtype=np.bool_)
        for key in ordered:
            same &= key[1:] == key[:-1]
        new[1:] = ~same
    first = order[new]
    first.sort()
    return first


def forward(
    graph: Graph,
    snap: Snapshot,
    root: str,
    *,
    max_depth: int | None = None,
    since: int | None = None,
    until: int | None = None,
) -> TraceResult:
    """The forward trace of `root`, a frontier at a time (the snapshot must have caught up with the graph)."""
    from lotline.epcis.identifiers import identity_key

    node = graph.ids.get(identity_key(root))
    if node is None:
        return TraceResult(root, "forward", found=False)
    sweep = _Sweep(graph, snap, since, until, max_depth)
    sweep.push(node, START, FOREVER, 0, NO_STEP)
    for inner in graph.inside(node, START, FOREVER):
        step = sweep.steps.chain(NO_STEP, inner.opened)
        if graph.attached(inner.opened):
            sweep.list_only(inner.node, inner.level, step)
        else:
            sweep.push(inner.node, START, FOREVER, inner.level, step)
    sweep.run()
    return sweep.result(root, node)
