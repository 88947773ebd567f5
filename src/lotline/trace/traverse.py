"""Forward and backward traces over the genealogy index: the rules, and the backward walk (forward traces
walk a whole frontier at a time: `lotline.trace.sweep`).

Forward from a suspect lot: everything made from it (transformations, transformation groups by
transformationID), every container that held any of it *while* it held it (nested), and the destination
parties of shipments that carried it; from a suspect container, also everything it ever held (nested). Backward
from a complaint: what the root held (nested) when it shipped, directly or inside a container, what all that
was made from (with what a consumed container held when it was consumed), and the source parties of the
receipts of those inputs (received directly or inside a container, nested). In both directions, a device
attached to a container by an AssociationEvent (a data logger) is listed but not walked on from, unless it
is the root (`Graph.attached`): it carries no product from one pallet to the next it rides on.

`tests/trace/reference.py` states these rules as a brute-force fixpoint; `tests/trace/test_properties.py`
checks the traces against it on random genealogies.

Correct first: never miss an affected item. Where the data over-includes (a transformation without
quantities links every input to every output), each item carries `path`, the chain of events from the root
that put it there.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lotline.store import schema as s

if TYPE_CHECKING:
    from lotline.trace.snapshot import Snapshot
from lotline.trace.graph import FOREVER, Graph, Nested
from lotline.trace.result import TraceResult

EVER = (-(2**62), FOREVER)


@dataclass
class _Walk:
    graph: Graph
    since: int
    until: int
    max_depth: int | None
    reached: dict[int, tuple[int, list[str]]] = field(default_factory=dict)  # node -> (depth, path)
    covered: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    parties: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    queue: deque[tuple[int, int, int, int, list[str]]] = field(default_factory=deque)

    def in_window(self, time: int) -> bool:
        return self.since <= time < self.until

    def push(self, node: int, start: int, end: int, depth: int, path: list[str]) -> None:
        """Queue `node` for [start, end) unless that stretch was walked already. Paths are shared between
        siblings and never changed after they are built."""
        if self.max_depth is not None and depth > self.max_depth:
            return
        spans = self.covered.get(node)
        if spans is None:  # walked for the first time
            self.covered[node] = [(start, end)]
            if node not in self.reached:  # reached for the first time: this path is the one the result gives
                self.reached[node] = (depth, path)
                self.used.update(path)
        else:
            for a, b in spans:
                if a <= start and end <= b:
                    return  # this stretch of time was walked already
            spans.append((start, end))
        self.queue.append((node, start, end, depth, path))

    def list_only(self, node: int, depth: int, path: list[str]) -> None:
        """Put `node` in the result (unless it is there already) without walking on from it: a device
        attached to a container (`Graph.attached`). A later `push` still walks it."""
        if (self.max_depth is None or depth <= self.max_depth) and node not in self.reached:
            self.reached[node] = (depth, path)
            self.used.update(path)

    def contents(self, inner: Nested, depth: int, path: list[str]) -> None:
        """Push what a container held (`Graph.inside`), or only list it if it was attached to it."""
        if self.graph.attached(inner.opened):
            self.list_only(inner.node, depth, path)
        else:
            self.push(inner.node, *EVER, depth, path)

    def party(self, relation: str, party: str, event_id: str) -> None:
        self.parties.setdefault((party, relation), set()).add(event_id)
        self.used.add(event_id)

    def result(self, root: str, root_node: int, direction: str) -> TraceResult:
        g = self.graph
        items = [
            {"id": g.display(n), "kind": g.kind(n), "depth": depth, "path": path}
            for n, (depth, path) in self.reached.items()
            if n != root_node
        ]
        items.sort(key=lambda i: (i["depth"], i["id"]))
        parties = [
            {"id": party, "relation": relation, "events": sorted(events)}
            for (party, relation), events in sorted(self.parties.items())
        ]
        return TraceResult(root, direction, items, parties, sorted(self.used))


def _start(
    graph: Graph, root: str, direction: str, max_depth: int | None, since: int | None, until: int | None
) -> tuple[_Walk, int] | TraceResult:
    """A walk with the root pushed, or the not-found result for a root no event names."""
    from lotline.epcis.identifiers import identity_key

    node = graph.ids.get(identity_key(root))
    if node is None:
        return TraceResult(root, direction, found=False)
    low = since if since is not None else EVER[0]
    walk = _Walk(graph, low, until if until is not None else FOREVER, max_depth)
    walk.push(node, *EVER, 0, [])
    return walk, node


def backward(
    graph: Graph,
    root: str,
    *,
    max_depth: int | None = None,
    since: int | None = None,
    until: int | None = None,
    snap: Snapshot | None = None,
) -> TraceResult:
    """The backward trace of `root`; `snap`, an array snapshot caught up with the graph, makes the search
    for receipts (through every container that held an item) a few array operations."""
    started = _start(graph, root, "backward", max_depth, since, until)
    if isinstance(started, TraceResult):
        return started
    walk, node = started
    _contents_when_shipped(walk, node)
    walked: list[int] = []
    while walk.queue:
        current, _, _, depth, path = walk.queue.popleft()
        _made_from(walk, current, depth, path)
        walked.append(current)
    found = snap.received(walked, walk.since, walk.until) if snap is not None else None
    if found is None:
        for current in walked:
            _received(walk, current)
    else:
        ids = graph.events.event_ids(pk for pk, _ in found)
        for pk, party in found:
            walk.party("source", party, ids[pk])
    return walk.result(root, node, "backward")


def _opened(g: Graph, pks: tuple[int, ...]) -> list[str]:
    return [g.events.event_id(pk) for pk in pks]


def _carriers(g: Graph, node: int) -> list[tuple[int, int, int]]:
    """The node itself (always) and every container that held it, nested, with the time it did."""
    return [(node, *EVER), *((h.node, h.start, h.end) for h in g.holders(node, *EVER))]


def _contents_when_shipped(walk: _Walk, root: int) -> None:
    """A shipped container stands for what it held when it shipped (nested); one never shipped stands for
    everything it ever held (nested, for the time it was nested). It shipped when a shipment moved it, or
    moved a container holding it at the time (a case shipped on a pallet shipped too)."""
    g = walk.graph
    times = sorted(
        {
            (time, g.events.event_id(pk))
            for holder, lo, hi in _carriers(g, root)
            for pk in g.shipments.get(holder, ())
            if (time := g.live_time(pk)) is not None and lo <= time < hi and walk.in_window(time)
        }
    )
    moments = [(time, time + 1, [event_id]) for time, event_id in times] or [(*EVER, [])]
    for start, end, path in moments:
        for inner in g.inside(root, start, end):
            walk.contents(inner, inner.level, [*path, *_opened(g, inner.opened)])


def _made_from(walk: _Walk, node: int, depth: int, path: list[str]) -> None:
    """Inputs of every transformation (group) that produced `node`, and what a consumed container held (nested)
    when it was consumed (never miss an ingredient that went in inside a container)."""
    g = walk.graph
    for group in g.produced_by.get(node, ()):
        inputs, outputs = g.group(group)
        made = [e for n, pk in outputs if n == node and (e := g.live(pk)) and walk.in_window(e.time)]
        if not made:
            continue
        via = made[0].event_id
        for source, pk in inputs:
            consumed = g.live(pk)
            if consumed is None or not walk.in_window(consumed.time):
                continue
            step = path + ([via] if consumed.event_id == via else [via, consumed.event_id])
            walk.push(source, *EVER, depth + 1, step)
            for inner in g.inside(source, consumed.time, consumed.time + 1):
                walk.contents(inner, depth + 1 + inner.level, [*step, *_opened(g, inner.opened)])


def _received(walk: _Walk, node: int) -> None:
    """Source parties of the receipts of `node`, or of a container (nested) while it held it (what
    `Snapshot.received` answers for a whole walk at once)."""
    g = walk.graph
    for holder, lo, hi in _carriers(g, node):
        for pk in g.receipts.get(holder, ()):
            event = g.live(pk)
            if event is not None and lo <= event.time < hi and walk.in_window(event.time):
                for _, party in event.parties(s.REF_SOURCE):
                    walk.party("source", party, event.event_id)
