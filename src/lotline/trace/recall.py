"""Recall impact: what suspect lots, serials or containers reached, where it is now, and where it came from.

Computed from the in-memory genealogy (forward and backward traces of every suspect, merged) plus the stored
bodies of the events that name what the traces reached: indexed look-ups bounded by the size of the answer
(`event_epcs` by identifier, `events` by id), never a scan of the event table.

Where each affected item is now comes from replaying, in time order, the live events that name it and the
containment spans it was in (a ledger per item; quantities for lots, one unit for serials and containers):
a transformation consumes inputs and puts outputs on hand at its location; a shipment to an external party
makes it `delivered`, a shipment to one of our own parties (or carrying disposition in_transit) makes it
`in_transit` until a receipt puts it on hand at the receiving site; packing puts it inside the container, so
it goes wherever the container goes (nested, outermost shipped unit reported); destroyed or decommissioned
stock leaves the books. "Our own" parties are those that ship (source of outbound steps) or receive
(destination of inbound steps) in the events read, plus any the caller names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from lotline.epcis.identifiers import identity_key
from lotline.epcis.timefmt import format_time, now_micros
from lotline.store import schema as s
from lotline.store.inlists import rows_in
from lotline.trace import fsma, traverse
from lotline.trace.collector import collections_held
from lotline.trace.facts import (
    CHILD_ROLES,
    INBOUND_STEPS,
    INPUT_ROLES,
    OBJECT_ROLES,
    OUTBOUND_STEPS,
    OUTPUT_ROLES,
    PARTY_TYPES,
    Light,
)
from lotline.trace.index import TraceIndex
from lotline.trace.ledger import Balance, Ledger, Place
from lotline.trace.recallevent import QTY_ROLES, Ev, event_of

# The look-ups by identifier and by event id of a recall (`rows_in`).
_K = TypeVar("_K")
_V = TypeVar("_V")
_NAMING = "SELECT key, event FROM event_epcs WHERE key IN ({marks})"
_BODIES = "SELECT id, body FROM events WHERE id IN ({marks})"
_MOVED_ROLES = OBJECT_ROLES | {s.ROLE_PARENT}
_GONE = frozenset({"destroyed", "disposed"})
_HELD = ("on_hand", "in_transit", "container")
STATES = ("on_hand", "in_transit", "delivered", "consumed", "destroyed", "decommissioned", "unknown")
_STATE_ORDER = {state: n for n, state in enumerate(STATES)}
_GTIN = re.compile(r"https://id\.gs1\.org/01/(\d{14})")


def gtin_of(key: str) -> str | None:
    match = _GTIN.match(key)
    return match[1] if match else None


@dataclass
class RecallReport:
    """What `recall_impact` found; `as_json()` is the API's document, `ctes` feed `lotline.trace.fsma`."""

    suspects: list[dict[str, Any]]
    items: dict[str, list[dict[str, Any]]]
    shipments: list[dict[str, Any]]
    quantities: list[dict[str, Any]]
    suppliers: dict[str, Any]
    events: list[str]
    generated_at: int = field(default_factory=now_micros)
    ctes: list[fsma.Cte] = field(default_factory=list)  # for the FSMA 204 spreadsheet (`lotline.trace.fsma`)
    tlc_sources: dict[str, str] = field(default_factory=dict)  # identity key -> traceability lot code source

    @property
    def found(self) -> bool:
        return any(suspect["found"] for suspect in self.suspects)

    def as_json(self) -> dict[str, Any]:
        return {
            "generated_at": format_time(self.generated_at),
            "suspects": self.suspects,
            "items": self.items,
            "shipments": self.shipments,
            "quantities": self.quantities,
            "suppliers": self.suppliers,
            "events": self.events,
        }


def recall_impact(
    index: TraceIndex, ids: list[str], *, own_parties: Collection[str] = (), spreadsheet: bool = True
) -> RecallReport:
    """The recall report of suspect identifiers (EPC URNs or GS1 Digital Links); unknown ones are reported as
    not found. Raises IdentifierError for a malformed identifier. With `spreadsheet=False` the FSMA 204 lines
    (`ctes`, `tlc_sources`: a fifth of the work) are left empty, for callers that only want the JSON report."""
    for root in ids:
        identity_key(root)
    with index.serving():
        index.refresh()
        # one consistent snapshot of the genealogy while we read it, and no collection walking the report
        # as it grows (lotline.trace.collector)
        with index._lock, collections_held():
            return Recall(index, own_parties).run(list(dict.fromkeys(ids)), spreadsheet)


class _Memo(dict[_K, _V]):
    """Values worked out by `work` the first time their key is asked, kept for the next asks."""

    def __init__(self, work: Callable[[_K], _V]) -> None:
        super().__init__()
        self._work = work

    def __missing__(self, key: _K) -> _V:
        value = self[key] = self._work(key)
        return value


class Recall:
    """One recall's working state over a locked genealogy: the events read, the ledgers, the report."""

    def __init__(self, index: TraceIndex, own_parties: Collection[str]) -> None:
        self.g = index.graph
        self.index = index
        self.engine = index.engine
        self.evs: dict[int, Ev] = {}
        self.by_node: dict[int, list[int]] = {}
        self.ledgers: dict[int, dict[Place, Balance]] = {}
        self._histories: dict[Any, dict[Place, Balance]] = {}  # an item's history -> its ledger (`_ledger`)
        # by id of a ledger (all kept in `ledgers` while the recall runs): its placements, and as JSON
        self._placed: dict[int, dict[Place, Balance]] = {}
        self._placed_json: dict[int, list[dict[str, Any]]] = {}
        self.places: dict[int, dict[Place, Balance]] = {}
        # what each event carried (`carried`: the movements and the FSMA lines both ask), until more is read
        self._carried: dict[int, list[tuple[int, float | None, str | None, int | None]]] = {}
        self.affected: dict[int, dict[str, Any]] = {}
        self.own = {identity_key(p) for p in own_parties}
        self.own_locations: set[str] = set()
        # What is asked of each identifier and event many times, worked out once each (the index is locked
        # while a recall runs): node -> its key and its identifier as displayed (read in batches by `texts`),
        # its kind (`Graph.kind`), whether it is a device (`is_device`); pk -> not declared in error.
        self._keys = _Memo[int, str](lambda node: self.g.keys[node])
        self._shown = _Memo[int, str](self.g.display)
        self._kinds = _Memo[int, str](self.g.kind)
        self._devices = _Memo[int, bool](lambda node: self.kind(node) == "other" and self.g.is_device(node))
        self._alive = _Memo[int, bool](self.g.is_live)

    # --- identifiers ----------------------------------------------------------------------------------------

    def texts(self, nodes: Iterable[int]) -> None:
        """Read the keys and displayed identifiers of these nodes in one batch (a recall names thousands, each
        several times: one decode of the packed text each, not one per use)."""
        new = [n for n in dict.fromkeys(nodes) if n not in self._keys]
        if new:
            self._keys.update(zip(new, self.g.keys.many(new), strict=True))
        unshown = [n for n in new if n not in self._shown]  # (the forward traces' items come shown)
        if unshown:
            self._shown.update(zip(unshown, self.g.displays(unshown), strict=True))

    def key(self, node: int) -> str:
        return self._keys[node]

    def shown(self, node: int) -> str:
        return self._shown[node]

    # --- reading ------------------------------------------------------------------------------------------

    def alive(self, pk: int) -> bool:
        """`Graph.is_live`."""
        return self._alive[pk]

    def load(self, pks: Iterable[int]) -> None:
        evs, alive = self.evs, self.alive
        missing = sorted({pk for pk in pks if pk not in evs and alive(pk)})
        with self.engine.connect() as conn:
            for pk, body in rows_in(conn, _BODIES, missing):
                self.evs[pk] = event_of(self.g.events[pk], orjson.loads(body))
        if missing:
            self._carried.clear()  # an aggregation read now may add contents to what was worked out

    def _track(self, nodes: Iterable[int]) -> None:
        """Read the live events naming these identifiers, and those of the containers they were put in."""
        pending = {n for n in nodes if n not in self.by_node}
        alive, evs = self.alive, self.evs
        while pending:
            self.texts(pending)
            keys = {self.key(n): n for n in pending}
            found: dict[int, set[int]] = {n: set() for n in pending}
            with self.engine.connect() as conn:
                for key, pk in rows_in(conn, _NAMING, list(keys)):
                    if alive(pk):
                        found[keys[key]].add(pk)
            self.load(pk for pks in found.values() for pk in pks)
            order = {pk: (evs[pk].light.time, pk) for pk in {pk for pks in found.values() for pk in pks}}
            for n, pks in found.items():
                self.by_node[n] = sorted(pks, key=order.__getitem__)
            pending = {
                span.parent
                for n in found
                for span in self.g.containers_of(n)
                if span.parent not in self.by_node
            }

    # --- where things are ---------------------------------------------------------------------------------

    def _external(self, light: Light) -> bool:
        parties = [v for k, t, v, _ in light.refs if k == s.REF_DESTINATION and t in PARTY_TYPES]
        if parties:
            return any(p not in self.own for p in parties)
        places = [v for k, t, v, _ in light.refs if k == s.REF_DESTINATION and t == "location"]
        return not places or any(p not in self.own_locations for p in places)

    def _ledger(self, node: int, before: tuple[int, int] | None = None) -> dict[Place, Balance]:
        if before is None and node in self.ledgers:
            return self.ledgers[node]
        g, key, evs = self.g, self.key(node), self.evs
        own = [e for pk in self.by_node.get(node, ()) if (e := evs.get(pk))]
        spans = g.containers_of(node)
        history = None
        if before is None and not any(e.roles[key] & QTY_ROLES for e in own):
            # counted in units: the ledger follows from the events and roles alone, the same for every item
            # with this history (the serials of one commissioning packed in one case): worked out once
            history = (
                tuple((e.light.pk, e.roles[key]) for e in own),
                tuple((sp.parent, sp.start, sp.end, sp.opened, sp.closed) for sp in spans),
            )
            shared = self._histories.get(history)
            if shared is not None:
                self.ledgers[node] = shared
                return shared
        stream: list[tuple[int, int, int, Ev | None, int | None]] = [
            (e.light.time, e.light.pk, 0, e, None) for e in own if not e.roles[key] & CHILD_ROLES
        ]
        for span in spans:
            stream.append((span.start, span.opened, 1, self.evs.get(span.opened), span.parent))
            if span.closed is not None:
                stream.append((span.end, span.closed, 2, self.evs.get(span.closed), span.parent))
        stream.sort(key=lambda x: x[:3])
        if before is not None:
            stream = [x for x in stream if x[:2] < before]
        led = Ledger(any(e.roles[key] & QTY_ROLES for e in own))
        for time, pk, step, ev, parent in stream:
            if parent is not None:
                self._contain(led, node, key, step == 1, ev, parent, (time, pk))
            elif ev is not None:
                self._apply(led, ev, key)
            if ev is not None and ev.location:
                led.last_loc = ev.location
        if before is None:
            self.ledgers[node] = led.bal
            if history is not None:
                self._histories[history] = led.bal
        return led.bal

    def _contain(
        self, led: Ledger, node: int, key: str, into: bool, ev: Ev | None, parent: int, at: tuple[int, int]
    ) -> None:
        inside: Place = ("container", None, None, parent)
        if into:
            q, uom = ev.amount(key, CHILD_ROLES) if ev else (None, None)
            led.take(q, ("on_hand", "in_transit"), ev.location if ev else None)
            led.put(inside, q, uom, None)
            return
        held = led.bal.pop(inside, None)
        if held is None:
            return
        where = ev.location if ev else None
        if where is None:  # unpacked where the container was
            where = next((p[1] for p in self._ledger(parent, at) if p[1]), None) or led.last_loc
        place: Place = ("on_hand", where, None, None)
        led.put(place, held.qty, held.uom, ev.disposition if ev else held.disposition)
        if held.unknown:
            led.put(place, None, held.uom, None)

    def _apply(self, led: Ledger, ev: Ev, key: str) -> None:
        light, loc, disp = ev.light, ev.location, ev.disposition
        roles = ev.roles[key]
        if light.event_type == "TransformationEvent":
            if roles & INPUT_ROLES:
                q, uom = ev.amount(key, INPUT_ROLES)
                led.take(q, _HELD, loc)
                led.put(("consumed", loc, None, None), q, uom, disp)
            if roles & OUTPUT_ROLES:
                led.put(("on_hand", loc, None, None), *ev.amount(key, OUTPUT_ROLES), disp)
            return
        q, uom = ev.amount(key, roles)
        moved = not roles.isdisjoint(_MOVED_ROLES)
        if moved and ev.shipment:
            state = "delivered" if self._external(light) else "in_transit"
            places, parties = ev.ends(s.REF_DESTINATION)
            led.take(q, _HELD, loc)
            led.put(
                (state, places[0] if places else None, parties[0] if parties else None, None), q, uom, disp
            )
        elif moved and ev.receipt:
            led.take(q, ("in_transit", "delivered"))
            led.put(
                ("on_hand", loc or next(iter(ev.ends(s.REF_DESTINATION)[0]), None), None, None), q, uom, disp
            )
        elif s.ROLE_PARENT in roles:  # an aggregation happened to this container where it stands
            if loc and not led.is_class:
                led.put(("on_hand", loc, None, None), q, uom, disp)
        elif light.action == "DELETE" or disp in _GONE:
            led.take(q, _HELD, loc)
            led.put(("destroyed" if disp in _GONE else "decommissioned", loc, None, None), q, uom, disp)
        elif light.action == "ADD" and light.event_type == "ObjectEvent":
            led.put(("on_hand", loc, None, None), q, uom, disp)
        elif disp == "in_transit":
            led.take(q, ("on_hand",), loc)
            led.put(("in_transit", None, None, None), q, uom, disp)
        elif loc and not led.is_class:
            led.put(("on_hand", loc, None, None), q, uom, disp)
        elif loc and disp:
            for spot, b in led.bal.items():
                if spot[:2] == ("on_hand", loc):
                    b.disposition = disp

    def _placements(self, node: int, stack: frozenset[int] = frozenset()) -> dict[Place, Balance]:
        """Where the item is now, containers replaced by where they are (outermost unit kept)."""
        if node in self.places:
            return self.places[node]
        ledger = self._ledger(node)
        out = self._placed.get(id(ledger))  # (a ledger shared by items of one history: placed once)
        if out is not None:
            self.places[node] = out
            return out
        out = {}
        for place, b in ledger.items():
            c = place[3]
            if place[0] == "container" and c is not None:
                outer = next(iter(self._placements(c, stack | {node})), None) if c not in stack else None
                if outer is None or outer[0] == "container":
                    place = ("unknown", None, None, c)
                else:
                    place = (*outer[:3], outer[3] if outer[3] is not None else c)
            into = out.setdefault(place, Balance(0.0, False, b.uom, b.disposition))
            into.qty, into.unknown = into.qty + b.qty, into.unknown or b.unknown
        self.places[node] = self._placed[id(ledger)] = out
        return out

    # --- the report ---------------------------------------------------------------------------------------

    def kind(self, node: int) -> str:
        """`Graph.kind` (each item is asked several times: items, quantities, lines)."""
        return self._kinds[node]

    def is_device(self, node: int) -> bool:
        """A data logger or sensor attached to a container (`Graph.is_device`): not a product, so it is listed
        apart and left out of the quantities and the FSMA 204 lines."""
        return self._devices[node]

    def _reach(self, node: int, root: str, depth: int, path: list[str]) -> None:
        info = self.affected.setdefault(node, {"depth": depth, "path": path, "suspects": set()})
        info["suspects"].add(root)
        if depth < info["depth"]:
            info["depth"], info["path"] = depth, path

    def carried(self, ev: Ev) -> list[tuple[int, float | None, str | None, int | None]]:
        """What an event moved: its objects (or aggregation parent), and what those held at that moment."""
        out = self._carried.get(ev.light.pk)
        if out is None:
            out = self._carried[ev.light.pk] = self._work_out_carried(ev)
        return out

    def _work_out_carried(self, ev: Ev) -> list[tuple[int, float | None, str | None, int | None]]:
        g, out = self.g, list[tuple[int, float | None, str | None, int | None]]()
        for (key, _), node in zip(ev.light.moved(), ev.light.moved_nodes(), strict=True):
            out.append((node, *ev.amount(key, _MOVED_ROLES), None))
            stack = [(node, node)]
            while stack:
                parent, unit = stack.pop()
                for span in g.spans(parent):
                    if span.start <= ev.light.time < span.end:
                        opened = self.evs.get(span.opened)
                        q, uom = opened.amount(self.key(span.child), CHILD_ROLES) if opened else (None, None)
                        out.append((span.child, q, uom, unit))
                        stack.append((span.child, unit))
        return out

    def run(self, ids: list[str], spreadsheet: bool = True) -> RecallReport:
        g = self.g
        suspects: list[dict[str, Any]] = []
        found: dict[int, str] = {}
        shipped: set[int] = set()
        supplier_events: dict[str, set[str]] = {}
        supplier_of: dict[str, set[str]] = {}
        upstream: dict[str, dict[str, Any]] = {}
        used: set[str] = set()
        for root in ids:
            node = g.ids.get(identity_key(root))
            if node is None:
                suspects.append({"id": root, "found": False})
                continue
            fwd, bwd = self.index.forward(root), traverse.backward(g, root, snap=self.index.snapshot())
            found[node] = root
            suspects.append({"id": root, "found": True, "kind": self.kind(node), "reached": len(fwd.items)})
            used.update(fwd.events, bwd.events)
            self._reach(node, root, 0, [])
            if fwd.rows is not None:  # the trace's own node numbers, and their identifiers decoded already
                nodes: list[int] = fwd.rows.nodes.tolist()
                self._shown.update(zip(nodes, fwd.rows.ids, strict=True))
                reached: Sequence[int | None] = nodes
            else:  # one search for the lot
                reached = g.ids.get_many([identity_key(item["id"]) for item in fwd.items])
            for item, n in zip(fwd.items, reached, strict=True):
                assert n is not None  # a trace lists only identifiers of the index
                self._reach(n, root, item["depth"], item["path"])
            for party in (p for p in fwd.parties if p["relation"] == "destination"):
                shipped.update(
                    pk
                    for eid in party["events"]
                    for pk in g.events.find(eid)
                    if (light := g.live(pk)) is not None and light.is_shipment
                )
            for party in bwd.parties:
                supplier_events.setdefault(party["id"], set()).update(party["events"])
                supplier_of.setdefault(party["id"], set()).add(root)
            for item in bwd.items:
                entry = upstream.setdefault(item["id"], {**item, "suspects": set()})
                entry["suspects"].add(root)
                entry["depth"] = min(entry["depth"], item["depth"])
        receipts = {pk for eids in supplier_events.values() for eid in eids for pk in g.events.find(eid)}
        self._track(self.affected)
        self.load(shipped | receipts)
        for ev in self.evs.values():
            if ev.light.biz_step in OUTBOUND_STEPS:
                self.own.update(v for v, _ in ev.refs(s.REF_SOURCE, PARTY_TYPES))
            if ev.light.biz_step in INBOUND_STEPS:
                self.own.update(v for v, _ in ev.refs(s.REF_DESTINATION, PARTY_TYPES))
            if ev.location_key:
                self.own_locations.add(ev.location_key)
        shipments = [
            {
                "kind": "delivery" if self._external(self.evs[pk].light) else "transfer",
                **self._movement(self.evs[pk], True),
            }
            for pk in self.by_time(shipped)
        ]
        report = RecallReport(
            suspects=suspects,
            items=self._items(),
            shipments=shipments,
            quantities=self._quantities(),
            suppliers={
                "parties": [
                    {"id": p, "suspects": sorted(supplier_of[p]), "receipts": sorted(e)}
                    for p, e in sorted(supplier_events.items())
                ],
                "receipts": [self._movement(self.evs[pk], False) for pk in self.by_time(receipts)],
                "upstream": [
                    {"id": i["id"], "kind": i["kind"], "depth": i["depth"], "suspects": sorted(i["suspects"])}
                    for i in sorted(upstream.values(), key=lambda i: (i["depth"], i["id"]))
                ],
            },
            events=sorted(used),
        )
        if spreadsheet:
            report.ctes = fsma.critical_tracking_events(self, shipped, set(found))
            report.tlc_sources = fsma.lot_code_sources(
                self, {line.key: line.node for cte in report.ctes for line in cte.lines}
            )
        return report

    def by_time(self, pks: Iterable[int]) -> list[int]:
        evs = self.evs
        return sorted((pk for pk in pks if pk in evs), key=lambda pk: (evs[pk].light.time, pk))

    def _items(self) -> dict[str, list[dict[str, Any]]]:
        groups: dict[str, list[dict[str, Any]]] = {
            "finished": [],
            "intermediate": [],
            "containers": [],
            "devices": [],
        }
        evs, shown = self.evs, self.shown
        for node, info in sorted(self.affected.items(), key=lambda kv: (kv[1]["depth"], shown(kv[0]))):
            kind = self.kind(node)
            if kind == "container":
                group = "containers"
            elif self.is_device(node):
                group = "devices"
            else:
                key = self.key(node)
                consumed = any(
                    e.roles[key] & INPUT_ROLES
                    for pk in self.by_node.get(node, ())
                    if (e := evs.get(pk)) and e.light.event_type == "TransformationEvent"
                )
                group = "intermediate" if consumed else "finished"
            groups[group].append(
                {
                    "id": self.shown(node),
                    "kind": kind,
                    "depth": info["depth"],
                    "path": info["path"],
                    "suspects": sorted(info["suspects"]),
                    "placements": self._placements_json(node),
                }
            )
        return groups

    def _placements_json(self, node: int) -> list[dict[str, Any]]:
        places = self._placements(node)
        out = self._placed_json.get(id(places))
        if out is None:
            out = self._placed_json[id(places)] = [self._place_json(p, b) for p, b in self._sorted(places)]
        return out

    def _sorted(self, places: dict[Place, Balance]) -> list[tuple[Place, Balance]]:
        return sorted(
            places.items(), key=lambda pb: (_STATE_ORDER[pb[0][0]], *(str(v or "") for v in pb[0][1:]))
        )

    def _place_json(self, place: Place, b: Balance) -> dict[str, Any]:
        return {
            "state": place[0],
            "location": place[1],
            "party": place[2],
            "container": self.shown(place[3]) if place[3] is not None else None,
            "disposition": b.disposition,
            "quantity": None if b.unknown and not b.qty else b.qty,
            "uom": b.uom,
            "quantity_complete": not b.unknown,
        }

    def _quantities(self) -> list[dict[str, Any]]:
        """Product (GTIN) quantities by state, location or party, disposition and unit; containers left out."""
        rows, items = dict[tuple[Any, ...], list[Any]](), dict[tuple[Any, ...], set[str]]()
        for node in self.affected:
            if self.kind(node) == "container" or self.is_device(node):
                continue
            product = gtin_of(self.key(node)) or self.shown(node)
            for place, b in self._placements(node).items():
                key = (
                    _STATE_ORDER[place[0]],
                    *(v or "" for v in place[1:3]),
                    product,
                    b.disposition or "",
                    b.uom or "",
                )
                row = rows.setdefault(key, [place, b.disposition, product, b.uom, 0.0, True])
                row[4], row[5] = row[4] + b.qty, row[5] and not b.unknown
                items.setdefault(key, set()).add(self.shown(node))
        fields = (
            "state",
            "location",
            "party",
            "disposition",
            "product",
            "quantity",
            "uom",
            "quantity_complete",
        )
        return [
            {
                **dict(zip(fields, (*place[:3], disposition, product, qty, uom, complete), strict=True)),
                "items": sorted(items[key]),
            }
            for key, (place, disposition, product, uom, qty, complete) in sorted(rows.items())
        ]

    def _movement(self, ev: Ev, affected_only: bool) -> dict[str, Any]:
        (from_locations, from_parties), (to_locations, to_parties) = (
            ev.ends(s.REF_SOURCE),
            ev.ends(s.REF_DESTINATION),
        )
        return {
            "event": ev.light.event_id,
            "time": format_time(ev.light.time),
            "biz_step": ev.light.biz_step,
            "disposition": ev.disposition,
            "location": ev.location,
            "from": {"locations": from_locations, "parties": from_parties},
            "to": {"locations": to_locations, "parties": to_parties},
            "references": [{"type": t, "id": v} for t, v in ev.references],
            "items": [
                {
                    "id": self.shown(n),
                    "kind": self.kind(n),
                    "quantity": q,
                    "uom": uom,
                    "container": self.shown(c) if c is not None else None,
                }
                for n, q, uom, c in self.carried(ev)
                if n in self.affected or not affected_only
            ],
        }
