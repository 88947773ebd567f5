"""A trace result as a graph for the explorer: nodes by depth, an edge per event that put an item in the
result (from the item it was reached from), containers as compound nodes around what they held, and the
parties the shipments or receipts reached.

Pure: the trace JSON and the facts of its events in, plain dicts out (what cytoscape draws and what the
JSON export saves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lotline.epcis.identifiers import identity_key
from lotline.errors import IdentifierError

MAX_ITEMS = 1500  # drawn; the JSON export and the table keep every item
PARTY_LINKS = 50  # shipments (or receipts) per party whose contents link the party into the graph
_GROUPING = frozenset({"AggregationEvent", "AssociationEvent"})


@dataclass(frozen=True, slots=True)
class EventFacts:
    event_id: str
    event_type: str
    biz_step: str | None
    time: int
    identifiers: frozenset[str] = field(default_factory=frozenset)  # identity keys named by the event

    @property
    def label(self) -> str:
        return self.biz_step or self.event_type.replace("Event", "")


def _key(value: str) -> str:
    try:
        return identity_key(value)
    except IdentifierError:
        return value


def build(trace: Mapping[str, Any], facts: Mapping[str, EventFacts]) -> dict[str, Any]:
    """{"root", "direction", "nodes", "edges", "truncated", "max_depth"} from a trace result's JSON."""
    root = trace["root"]
    items = drawn(trace["items"])
    truncated = len(trace["items"]) - len(items)
    nodes: dict[str, dict[str, Any]] = {
        root: {"id": root, "label": root, "kind": "root", "depth": 0, "path": [], "pred": None}
    }
    by_path: dict[tuple[str, ...], str] = {(): root}
    for item in items:
        nodes.setdefault(item["id"], {**item, "label": item["id"], "pred": None})
        by_path.setdefault(tuple(item["path"]), item["id"])
    edges: list[dict[str, Any]] = []
    for item in items:
        path = tuple(item["path"])
        pred = next((by_path[path[:n]] for n in range(len(path) - 1, -1, -1) if path[:n] in by_path), root)
        if pred == item["id"]:
            pred = root
        nodes[item["id"]]["pred"] = pred
        event = facts.get(path[-1]) if path else None
        edges.append(_edge(pred, item["id"], path[-1] if path else "", event))
        _group(nodes, pred, item["id"], event)
    _parties(trace, facts, nodes, edges)
    depth = max((n["depth"] for n in nodes.values()), default=0)
    return {
        "root": root,
        "direction": trace["direction"],
        "nodes": list(nodes.values()),
        "edges": edges,
        "truncated": truncated,
        "max_depth": depth,
        "events": {
            e.event_id: {"type": e.event_type, "label": e.label, "time": e.time} for e in facts.values()
        },
    }


def drawn(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items the graph draws: the nearest MAX_ITEMS."""
    return sorted(items, key=lambda i: (i["depth"], len(i["path"]), i["id"]))[:MAX_ITEMS]


def needed_events(trace: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """(events on the drawn items' paths, shipments and receipts that link the parties): the only events
    the graph needs facts of, however large the trace."""
    on_paths = {e for item in drawn(trace["items"]) for e in item["path"]}
    linking = {e for party in trace["parties"] for e in party["events"][:PARTY_LINKS]}
    return on_paths | linking, linking


def _edge(source: str, target: str, event_id: str, event: EventFacts | None) -> dict[str, Any]:
    return {
        "id": f"{source}>{target}",
        "source": source,
        "target": target,
        "event": event_id,
        "label": event.label if event else "",
        "time": event.time if event else None,
    }


def _group(nodes: dict[str, dict[str, Any]], pred: str, item: str, event: EventFacts | None) -> None:
    """Put contents inside the container that held them (one container each: the first that did)."""
    if event is None or event.event_type not in _GROUPING:
        return
    a, b = nodes[pred], nodes[item]
    if b["kind"] == "container" and a["kind"] != "container" and "parent" not in a and pred != item:
        if a["kind"] != "root":
            a["parent"] = item
    elif a["kind"] == "container" and b["kind"] != "container" and "parent" not in b:
        b["parent"] = pred


def _parties(
    trace: Mapping[str, Any],
    facts: Mapping[str, EventFacts],
    nodes: dict[str, dict[str, Any]],
    edges: list[dict[str, Any]],
) -> None:
    keys = {_key(n): n for n in nodes}
    forward = trace["direction"] == "forward"
    depth = max((n["depth"] for n in nodes.values()), default=0) + 1
    for party in trace["parties"]:
        pid = f"party:{party['id']}"
        nodes[pid] = {
            "id": pid,
            "label": party["id"],
            "kind": "party",
            "relation": party["relation"],
            "depth": depth,
            "path": [],
            "pred": None,
        }
        linked: set[str] = set()
        for event_id in party["events"][:PARTY_LINKS]:
            event = facts.get(event_id)
            named = [keys[k] for k in sorted(event.identifiers) if k in keys] if event else []
            for node in named or [trace["root"]]:
                if node in linked:
                    continue
                linked.add(node)
                source, target = (node, pid) if forward else (pid, node)
                edges.append(_edge(source, target, event_id, event))
