"""Completeness checks: the gaps in the genealogy that a recall falls into, with a score per plant.

Seven rules run over the trace index (events declared in error excluded); the plant of each event and the
quantities (for mass balance) come from one pass over the event table. Every finding names the identifier as
captured, the plant, what is wrong and what to do about it, and the events involved. docs/completeness.md
explains each rule and the score.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

import orjson
from sqlalchemy import Engine, select

from lotline.epcis.identifiers import identity_key
from lotline.epcis.timefmt import format_time
from lotline.errors import IdentifierError
from lotline.store import schema as s
from lotline.trace.collector import full_collections_held
from lotline.trace.facts import INBOUND_STEPS, OBJECT_ROLES, OUTBOUND_STEPS, PARTY_TYPES, Light
from lotline.trace.graph import Graph, Span
from lotline.trace.index import AsOf, TraceIndex
from lotline.trace.pacing import Pause, paced

Rule = Literal[
    "output-without-inputs",
    "shipped-without-history",
    "receipt-without-supplier",
    "container-shipped-empty",
    "input-never-received",
    "out-of-time-order",
    "mass-balance",
]
ERROR, WARNING = "error", "warning"
# error: a trace stops short (a recall can miss a customer, a product or a supplier); warning: the trace
# still links, but the data contradicts itself.
RULES: dict[str, str] = dict(zip(get_args(Rule), [ERROR] * 5 + [WARNING] * 2, strict=True))
# Why a recall falls into the gap, and what to do about it: the second half of every finding's message.
ADVICE: dict[str, str] = {
    "output-without-inputs": "a trace back from it cannot tell what it was made from. Add the consumed lots to "
    "the production record (inputEPCList / inputQuantityList), or capture the input side as a "
    "TransformationEvent with the same transformationID.",
    "shipped-without-history": "a trace back from the customer stops at it. Capture its production "
    "(TransformationEvent with its inputs) or commissioning, or its receipt with the supplier in sourceList.",
    "receipt-without-supplier": "a trace back from anything made from it cannot say who delivered it. Put the "
    "supplier in the receiving event's sourceList (owning_party or possessing_party); to correct a stored "
    "receipt, declare it in error and capture it again with the supplier.",
    "container-shipped-empty": "a trace forward from a lot cannot reach this shipment. Capture the packing "
    "(AggregationEvent ADD listing the lots, cases or serials) at or before the shipment time, or declare a "
    "wrong unpacking event in error.",
    "input-never-received": "a trace back from the product cannot reach its supplier. Capture its receipt "
    "(bizStep receiving, supplier in sourceList) or, for an intermediate, the production that made it.",
    "out-of-time-order": "time-window traces and containment rely on event times. Check the clock and "
    "time-zone offset of the system that captured the wrong event, declare it in error and capture it again "
    "with the right eventTime.",
    "mass-balance": "part of what went into production is not on record, so a recall may miss its real "
    "source. Look for a missing receipt or consumption booked to the wrong lot, and correct the quantities.",
}
# Mass balance: consumption may exceed what was received or produced by this share (weighing, rounding of
# split consumptions) before it is a finding.
MASS_TOLERANCE = 0.005
UNKNOWN_PLANT = "unknown"  # identifiers only ever named by events without any location
_GLN = "https://id.gs1.org/414/"
_READ_BATCH = 20_000
_QTY_FIELDS = (("quantityList", "q"), ("inputQuantityList", "i"), ("outputQuantityList", "o"))
_WHAT = {"lot": "Lot", "serial": "Item", "container": "Container", "other": "Item"}


def plant_key(location: str) -> str:
    """The plant (site) of a location: its GLN (company prefix + location reference) without the SGLN
    extension; a private location URI is its own plant. Raises IdentifierError for a malformed GS1 id."""
    key = identity_key(location)
    return key[: len(_GLN) + 13] if key.startswith(_GLN) else key


def _plant_display(location: str) -> str:
    if location.startswith("urn:epc:id:sgln:"):
        parts = location[len("urn:epc:id:sgln:") :].split(".")
        if len(parts) == 3:
            return f"urn:epc:id:sgln:{parts[0]}.{parts[1]}.0"
    return plant_key(location)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    id: str  # the identifier as captured (an event id when the event moved nothing)
    plant: str  # as first captured
    message: str
    events: tuple[str, ...]
    objects: frozenset[int] = frozenset()  # the graph nodes it flags (for the score)
    site: str = UNKNOWN_PLANT  # the plant key

    def as_json(self) -> dict[str, Any]:
        keys = ("rule", "severity", "id", "plant", "message")
        return {k: getattr(self, k) for k in keys} | {"events": list(self.events)}


@dataclass(frozen=True, slots=True)
class PlantScore:
    plant: str  # as first captured
    score: int  # 0-100: share of the plant's identifiers without a finding, rounded down
    objects: int
    objects_with_findings: int
    events: int
    errors: int
    warnings: int
    site: str  # the plant key

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "site"}


@dataclass
class CompletenessReport:
    findings: list[Finding]
    plants: list[PlantScore]
    score: int
    events_checked: int
    checked_up_to: int = 0  # the last event (events.id) the check saw

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(RULES, 0)
        for finding in self.findings:
            counts[finding.rule] += 1
        return counts

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def filtered(self, plant: str | None = None, rule: str | None = None) -> CompletenessReport:
        """Only the findings of one plant (any form of its GLN or SGLN) and/or one rule; scores of the plant
        stay whole. Raises IdentifierError for a malformed plant, KeyError for a plant that has no events."""
        findings, plants = self.findings, self.plants
        if plant is not None:
            site = UNKNOWN_PLANT if plant == UNKNOWN_PLANT else plant_key(plant)
            plants = [p for p in plants if p.site == site]
            if not plants:
                known = ", ".join(p.plant for p in self.plants) or "none"
                raise KeyError(f"no checked event is located at plant {plant!r} (plants: {known})")
            findings = [f for f in findings if f.site == site]
        if rule is not None:
            findings = [f for f in findings if f.rule == rule]
        return CompletenessReport(findings, plants, self.score, self.events_checked, self.checked_up_to)

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "events_checked": self.events_checked,
            "counts": self.counts,
            "plants": [p.as_json() for p in self.plants],
            "findings": [f.as_json() for f in self.findings],
        }


def check(index: TraceIndex, *, tolerance: float = MASS_TOLERANCE) -> CompletenessReport:
    """Run every rule over the index (brought up to date first) and score each plant. `tolerance`: the share
    by which consumption may exceed supply before mass balance reports it.

    What the check sees: the index as of the moment it starts, exactly. It brings the index up to date
    and, under the index lock, takes an `AsOf` (the newest event indexed, `last`; the eventIDs declared in
    error by then; the identifiers that had held something by then; the events indexed): a few set copies,
    milliseconds. Then it releases the lock and runs every rule without it, so traces and recalls (which
    refresh the index and walk it under the lock) run meanwhile, at most waiting for one of their own kind.
    Events they add to the index during the check are not part of it: every fact is read through the
    check's own `live` (an event after `last`, or declared in error by a declaration after it, is not
    there), containment spans are replayed from that view (`Graph.replay`), never taken from the shared
    cache, and an identifier is a container only if it held something by `last`. The report's
    `checked_up_to` is `last`; events stored later are checked by the next run.

    Why that is safe without copying the graph: the graph only grows (`Graph.add` appends facts, adds keys
    and set members, never removes or rewrites one). The check walks each top-level dict over a copy of its
    keys or items and each set of group names over a tuple of it (copies of builtins made in one C call,
    atomic under the GIL, so a refresh cannot change their size mid-iteration); it iterates fact lists in
    place (a list growing at its end while iterated is well defined in CPython), and anything new in them
    names an event after `last`, which its `live` filters out. So the result is the one a check holding the
    lock for its whole run would have produced at `last`."""
    as_of = index.as_of()
    # minutes at a million events, beside traces in a server: traces go first (`lotline.trace.pacing`), and
    # no full garbage collection walks what the check builds (`lotline.trace.collector`)
    with full_collections_held():
        # the plants and quantities, from the database
        stored = _read_stored(index.engine, as_of.last, index.give_way)
        run = _Check(index.graph, stored, as_of, tolerance, index.give_way)
        run.run()
        return run.report()


@dataclass
class _Stored:
    """What the check reads from the event table beside the index."""

    plant: dict[int, str] = field(default_factory=dict)  # event pk -> plant key (bizLocation, readPoint)
    display: dict[str, str] = field(default_factory=dict)  # plant key -> as first captured
    # event pk -> (field code, class key, quantity, unit of measure) of its quantity lists
    quantities: dict[int, list[tuple[str, str, float, str]]] = field(default_factory=dict)


def _read_stored(engine: Engine, last: int, pause: Pause | None = None) -> _Stored:
    stored = _Stored()
    ev = s.events
    columns = select(ev.c.id, ev.c.read_point, ev.c.biz_location, ev.c.body)
    after, sites = 0, dict[str, str]()  # location key -> plant key (one string per plant)
    while after < last:
        stmt = columns.where(ev.c.id > after, ev.c.id <= last).order_by(ev.c.id).limit(_READ_BATCH)
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            break
        for row in paced(rows, pause):
            body: dict[str, Any] | None = None
            if location := row.biz_location or row.read_point:
                site = sites.get(location) or sites.setdefault(location, sys.intern(plant_key(location)))
                stored.plant[row.id] = site
                if site not in stored.display:
                    body = orjson.loads(row.body)
                    raw = ((body.get("bizLocation") or body.get("readPoint")) or {}).get("id")
                    stored.display[site] = _plant_display(raw) if raw else site
            if "uantityList" in row.body:  # quantityList, inputQuantityList, outputQuantityList
                body = body or orjson.loads(row.body)
                found = [
                    (code, identity_key(q["epcClass"]), float(q["quantity"]), q.get("uom") or "")
                    for name, code in _QTY_FIELDS
                    for q in body.get(name) or ()
                    if q.get("quantity") is not None
                ]
                if found:
                    stored.quantities[row.id] = found
        after = rows[-1].id
    return stored


class _Check:
    """One run of the rules over the graph as of `as_of` (see `check`: it reads the shared graph while
    refreshes extend it, through `live`, `spans` and `kind`, never `Graph.live`, `spans` or `kind`)."""

    def __init__(
        self,
        graph: Graph,
        stored: _Stored,
        as_of: AsOf,
        tolerance: float = MASS_TOLERANCE,
        pause: Pause | None = None,
    ) -> None:
        self.g, self.stored, self.last, self.tolerance = graph, stored, as_of.last, tolerance
        self.pause = pause  # called every `PACE` items of the long loops (see `check`)
        self.as_of = as_of
        self.findings: list[Finding] = []
        self._spans: dict[int, list[Span]] = {}
        # the event as of `last`: None after it, or when declared in error by then
        self.live = graph.live_as_of(as_of.last, as_of.declared)
        self.alive = graph.alive_as_of(as_of.last, as_of.declared)
        self.live_pks = [pk for pk in as_of.pks if self.live(pk)]
        self.plant_of: dict[int, str | None] = {}
        self.seen: dict[int, set[str]] = defaultdict(set)  # node -> plants whose events name it
        self.named: set[int] = set()
        self.events_at: dict[str, int] = defaultdict(int)
        self.added: dict[int, list[int]] = defaultdict(list)  # node -> ObjectEvent ADD (commissioning)
        self.own: set[str] = set()  # our parties: the receivers of our receipts (never a supplier)
        self._origins: dict[int, list[tuple[int, int, str]]] = {}
        self._via: dict[int, set[int]] = {}  # node -> containers it was received in
        self._held: dict[int, list[Span]] | None = None
        for pk in paced(self.live_pks, pause):
            e = graph.events[pk]
            plant = self.plant_of[pk] = self._locate(e)
            if plant is not None:
                self.events_at[plant] += 1
            for node in e.nodes:
                self.named.add(node)
                if plant is not None:
                    self.seen[node].add(plant)
            if e.event_type == "ObjectEvent" and e.action == "ADD":
                for node in e.nodes_in(OBJECT_ROLES):
                    self.added[node].append(pk)
            if e.biz_step in INBOUND_STEPS:
                self.own.update(_party_keys(e, s.REF_DESTINATION))

    # --- helpers ----------------------------------------------------------------------------------------

    def _locate(self, e: Light) -> str | None:
        site = self.stored.plant.get(e.pk)
        if site is not None:
            return site
        # a shipment happens where it leaves from; anything else with a destination, where it arrives
        outbound = e.biz_step in OUTBOUND_STEPS or (e.is_shipment and not e.is_receipt)
        for raw in e.locations(s.REF_SOURCE if outbound else s.REF_DESTINATION):
            try:
                site = plant_key(raw)
            except IdentifierError:
                continue
            self.stored.display.setdefault(site, _plant_display(raw))
            return site
        return None

    def spans(self, parent: int) -> list[Span]:
        """`Graph.spans` as of `last` (the graph's own cache may already hold newer aggregations)."""
        found = self._spans.get(parent)
        if found is None:
            found = self._spans[parent] = self.g.replay(parent, self.alive)
        return found

    def kind(self, node: int) -> str:
        return self.g.kind(node, self.as_of.last)

    def name(self, node: int) -> str:
        return f"{_WHAT[self.kind(node)]} {self.g.display(node)}"

    def when(self, pk: int) -> str:
        e = self.g.events[pk]
        return f"at {format_time(e.time)} (event {e.event_id})"

    def to(self, pks: list[int]) -> str:
        parties = sorted({p for pk in pks for _, p in self.g.events[pk].parties(s.REF_DESTINATION)})
        return ", ".join(parties) or "an unnamed party"

    def is_container(self, node: int) -> bool:
        return self.kind(node) == "container"

    def emit(self, rule: str, nodes: list[int], pks: list[int], wrong: str, id_: str = "") -> None:
        """Record a finding: `wrong` says what is wrong; the rule's advice follows."""
        site = next((p for pk in pks if (p := self.plant_of.get(pk))), None)
        if site is None:
            site = min((p for n in nodes for p in self.seen.get(n, ())), default=UNKNOWN_PLANT)
        events = tuple(dict.fromkeys(self.g.events.event_id(pk) for pk in pks))
        ident = self.g.display(nodes[0]) if nodes else id_
        plant, message = self.stored.display.get(site, site), f"{wrong}: {ADVICE[rule]}"
        self.findings.append(
            Finding(rule, RULES[rule], ident, plant, message, events, frozenset(nodes), site)
        )

    def origins(self, node: int) -> list[tuple[int, int, str]]:
        """(time, event pk, how) of the live events that brought `node` into being or into the plant."""
        cached = self._origins.get(node)
        if cached is not None:
            return cached
        g, found = self.g, []
        for group in tuple(g.produced_by.get(node, ())):
            found += [
                (e.time, pk, "produced") for n, pk in g.group(group)[1] if n == node and (e := self.live(pk))
            ]
        found += [(e.time, pk, "commissioned") for pk in self.added.get(node, ()) if (e := self.live(pk))]
        filled = [(sp.start, sp.opened, "first packed") for sp in self.spans(node)]
        found += [min(filled)] if filled else []
        via: set[int] = set()
        stack: list[tuple[int, int, int, tuple[int, ...]]] = [(node, -(2**62), 2**62, ())]
        visited = {node}
        while stack:  # received directly, or inside a container (nested) while it held the node
            n, lo, hi, chain = stack.pop()
            received = [
                (e.time, pk, "received")
                for pk in g.receipts.get(n, ())
                if (e := self.live(pk)) and lo <= e.time < hi
            ]
            if received:
                found += received
                via.update(chain)
            for span in self.containers_of(n):
                a, b = max(lo, span.start), min(hi, span.end)
                if a < b and span.parent not in visited:
                    visited.add(span.parent)
                    stack.append((span.parent, a, b, (*chain, span.parent)))
        self._origins[node], self._via[node] = found, via
        return found

    def containers_of(self, node: int) -> list[Span]:
        """`Graph.containers_of`, from one pass over every parent's spans (a check asks for most nodes)."""
        if self._held is None:
            self._held = defaultdict(list)
            for parent in paced(list(self.g.aggregations), self.pause):
                for span in self.spans(parent):
                    self._held[span.child].append(span)
        return self._held.get(node, [])

    def uses(self, node: int) -> list[tuple[int, int, str]]:
        g, found = self.g, []
        for group in tuple(g.consumed_by.get(node, ())):
            found += [
                (e.time, pk, "consumed") for n, pk in g.group(group)[0] if n == node and (e := self.live(pk))
            ]
        self.origins(node)
        via = self._via[node]  # packed (by the supplier) into what we then received: not a use
        found += [
            (span.start, span.opened, "packed") for span in self.containers_of(node) if span.parent not in via
        ]
        found += [(e.time, pk, "shipped") for pk in g.shipments.get(node, ()) if (e := self.live(pk))]
        return found

    def contents(self, node: int, time: int) -> list[tuple[int, list[int]]]:
        """What a shipped identifier stands for: itself, or what a container held at `time` (nested), each
        with the packing events that put it there. An empty top-level container stands for nothing."""
        out: list[tuple[int, list[int]]] = []
        stack: list[tuple[int, list[int]]] = [(node, [])]
        visited = {node}
        while stack:
            n, path = stack.pop()
            inside = [sp for sp in self.spans(n) if sp.start <= time < sp.end]
            if not inside and (n != node or not self.is_container(n)):
                out.append((n, path))
            for span in inside:
                if span.child not in visited:
                    visited.add(span.child)
                    stack.append((span.child, [*path, span.opened]))
        return out

    # --- the rules --------------------------------------------------------------------------------------

    def run(self) -> None:
        for rule in RULES:
            getattr(self, rule.replace("-", "_"))()

    def output_without_inputs(self) -> None:
        for inputs, outputs in paced(self.g.group_facts, self.pause):
            if not any(self.live(pk) for _, pk in inputs):
                for n, pks in _by_node((n, pk) for n, pk in outputs if self.live(pk)).items():
                    wrong = (
                        f"{self.name(n)} was produced {self.when(pks[0])} by a transformation with no inputs"
                    )
                    self.emit("output-without-inputs", [n], pks, wrong)

    def shipped_without_history(self) -> None:
        missing: dict[tuple[int, str | None], tuple[list[int], list[int]]] = {}
        for node, pks in paced(list(self.g.shipments.items()), self.pause):
            for pk in pks:
                for leaf, path in self.contents(node, e.time) if (e := self.live(pk)) else ():
                    if not self.origins(leaf):
                        shipped, packed = missing.setdefault((leaf, self.plant_of.get(pk)), ([], []))
                        shipped.append(pk)
                        packed.extend(path)
        for (leaf, _), (shipped, packed) in missing.items():
            wrong = (
                f"{self.name(leaf)} was shipped to {self.to(shipped)} {self.when(shipped[0])}, but no "
                "production, commissioning or receipt of it is on record"
            )
            self.emit("shipped-without-history", [leaf], shipped + packed, wrong)

    def receipt_without_supplier(self) -> None:
        for pk in paced(self.live_pks, self.pause):
            e = self.g.events[pk]
            if e.biz_step in INBOUND_STEPS and not e.parties(s.REF_SOURCE):
                nodes = list(dict.fromkeys(e.moved_nodes()))
                what = self.name(nodes[0]) if nodes else "an event with no identifiers"
                more = f" (and {len(nodes) - 1} more)" if len(nodes) > 1 else ""
                wrong = f"The receipt of {what}{more} {self.when(pk)} names no supplier"
                self.emit("receipt-without-supplier", nodes, [pk], wrong, id_=e.event_id)

    def container_shipped_empty(self) -> None:
        for node, pks in paced(list(self.g.shipments.items()), self.pause):
            spans = self.spans(node) if self.is_container(node) else []
            for pk in pks if self.is_container(node) else ():
                e = self.live(pk)
                if e is None or any(sp.start <= e.time < sp.end for sp in spans):
                    continue
                emptied = max((sp for sp in spans if sp.end <= e.time), key=lambda sp: sp.end, default=None)
                why, involved = "no packing was ever recorded for it", [pk]
                if emptied is not None and emptied.closed is not None:
                    why, involved = f"it was emptied {self.when(emptied.closed)}", [pk, emptied.closed]
                wrong = f"{self.name(node)} was shipped to {self.to([pk])} {self.when(pk)} empty: {why}"
                self.emit("container-shipped-empty", [node], involved, wrong)

    def input_never_received(self) -> None:
        consumed: dict[tuple[int, str | None], list[int]] = defaultdict(list)
        for inputs, _ in paced(self.g.group_facts, self.pause):
            for n, pk in inputs:
                if self.live(pk) and not self.origins(n):
                    consumed[(n, self.plant_of.get(pk))].append(pk)
        for (n, _), pks in consumed.items():
            wrong = (
                f"{self.name(n)} was consumed in production {self.when(pks[0])} but was never received, "
                "produced or commissioned"
            )
            self.emit("input-never-received", [n], pks, wrong)

    def out_of_time_order(self) -> None:
        g = self.g
        for n in paced(sorted(set(g.consumed_by) | set(g.parents_of) | set(g.shipments)), self.pause):
            origins = self.origins(n)
            first = min(origins) if origins else None
            early = sorted(u for u in self.uses(n) if first and u[0] < first[0])
            if first and early:
                use = early[0]
                wrong = f"{self.name(n)} was {use[2]} {self.when(use[1])}, "
                wrong += f"before it was {first[2]} {self.when(first[1])}"
                self.emit("out-of-time-order", [n], [u[1] for u in early] + [first[1]], wrong)

    def mass_balance(self) -> None:
        supply: dict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)  # (lot, uom) -> ...
        used: dict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)  # (time, pk, quantity)
        for pk in paced(self.live_pks, self.pause):
            e = self.g.events[pk]
            sources = _party_keys(e, s.REF_SOURCE)
            transfer = bool(sources) and sources <= self.own  # from one of our own sites: counted once
            made = e.event_type == "TransformationEvent"
            for code, key, amount, uom in self.stored.quantities.get(pk, ()):
                if (code == "q" and e.is_receipt and not transfer) or (code == "o" and made):
                    supply[(key, uom)].append((e.time, pk, amount))
                elif code == "i" and made:
                    used[(key, uom)].append((e.time, pk, amount))
        for (key, uom), uses in used.items():
            if (key, uom) not in supply:
                continue  # where quantities exist: nothing to compare with in this unit
            available, total, over = sum(q for *_, q in supply[(key, uom)]), 0.0, None
            for _, pk, amount in sorted(uses):
                total += amount
                if over is None and total > available * (1 + self.tolerance) + 1e-9:
                    over = pk
            if over is not None:
                n, unit = self.g.ids[key], uom or "units"
                wrong = (
                    f"{self.name(n)}: {total:g} {unit} consumed in production but only {available:g} {unit} "
                    f"received or produced (exceeded {self.when(over)})"
                )
                pks = [over, *(pk for _, pk, _ in sorted(supply[(key, uom)] + uses))]
                self.emit("mass-balance", [n], pks, wrong)

    # --- the score --------------------------------------------------------------------------------------

    def report(self) -> CompletenessReport:
        objects: dict[str, set[int]] = defaultdict(set)
        for n in paced(self.named, self.pause):
            for plant in self.seen.get(n) or (UNKNOWN_PLANT,):
                objects[plant].add(n)
        flagged: dict[str, set[int]] = defaultdict(set)
        severities: dict[str, list[str]] = defaultdict(list)
        for f in self.findings:
            objects[f.site] |= f.objects
            flagged[f.site] |= f.objects
            severities[f.site].append(f.severity)
        plants = [
            PlantScore(
                self.stored.display.get(site, site),
                _score(len(objects[site]), len(flagged[site])),
                len(objects[site]),
                len(flagged[site]),
                self.events_at.get(site, 0),
                severities[site].count(ERROR),
                severities[site].count(WARNING),
                site,
            )
            for site in sorted(set(objects) | set(self.events_at))
        ]
        order = list(RULES)
        findings = sorted(
            self.findings, key=lambda f: (f.severity != ERROR, f.plant, order.index(f.rule), f.id, f.events)
        )
        everything = set().union(*objects.values()) if objects else set()
        hit = set().union(*flagged.values()) if flagged else set()
        score = _score(len(everything), len(hit))
        return CompletenessReport(findings, plants, score, len(self.live_pks), self.last)


def _by_node(facts: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for node, pk in facts:
        found[node].append(pk)
    return found


def _party_keys(e: Light, kind: str) -> set[str]:
    return {key for k, t, key, _ in e.refs if k == kind and t in PARTY_TYPES}


def _score(objects: int, flagged: int) -> int:
    """Share of identifiers without a finding, 0-100, rounded down: 100 only when nothing is flagged."""
    return 100 if objects == 0 else 100 * (objects - flagged) // objects
