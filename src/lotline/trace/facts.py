"""What an event says about genealogy, in the compact form the trace index keeps.

A `Light` event is built either from a freshly prepared event (capture) or from the index tables (start-up),
so the genealogy never needs the event bodies: identifiers come from `event_epcs` (with their roles and the
form captured), parties from `event_refs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lotline.store import schema as s

INPUT_ROLES = frozenset({s.ROLE_INPUT, s.ROLE_INPUT_QTY})
OUTPUT_ROLES = frozenset({s.ROLE_OUTPUT, s.ROLE_OUTPUT_QTY})
CHILD_ROLES = frozenset({s.ROLE_CHILD, s.ROLE_CHILD_QTY})
INSTANCE_CHILD_ROLES = frozenset({s.ROLE_CHILD})
OBJECT_ROLES = frozenset({s.ROLE_EPC, s.ROLE_QTY})
PARENT_ROLES = frozenset({s.ROLE_PARENT})
PARTY_TYPES = frozenset({"owning_party", "possessing_party"})
# Outbound steps: their source list names the shipper (us), not a supplier. Inbound steps: their destination
# list names the receiver (us), not a customer.
OUTBOUND_STEPS = frozenset({"shipping", "departing"})
INBOUND_STEPS = frozenset({"receiving", "accepting", "arriving"})


@dataclass(slots=True)
class Light:
    """One event as the genealogy sees it. Its identifiers are kept compactly (a string of one-letter roles,
    a tuple of identity keys, the captured forms only where one differs from its key): an index holds
    millions of these, and a list of tuples per event costs several times as much."""

    pk: int
    event_id: str
    event_type: str
    action: str | None
    time: int
    biz_step: str | None
    transformation_id: str | None
    declared: bool  # this event IS an error declaration (of the event with the same eventID)
    roles: str = ""  # one role letter (schema ROLE_*) per identifier
    ids: tuple[str, ...] = ()  # identity keys, one per role
    raws: tuple[str | None, ...] | None = None  # the forms captured, where any differs from its key
    refs: tuple[tuple[str, str, str, str | None], ...] = ()  # (kind, type, key, raw)
    # the index's node of each identifier (one per `ids`), in an event read back from the index (empty in one
    # not indexed yet); not compared: the same event is equal however it was read
    nodes: tuple[int, ...] = field(default=(), compare=False)

    @classmethod
    def build(
        cls,
        pk: int,
        event_id: str,
        event_type: str,
        action: str | None,
        time: int,
        biz_step: str | None,
        transformation_id: str | None,
        declared: bool,
        epcs: list[tuple[str, str, str | None]],
        refs: list[tuple[str, str, str, str | None]],
    ) -> Light:
        """A Light from (role, key, raw) identifier triples."""
        raws = tuple(raw for _, _, raw in epcs)
        return cls(
            pk,
            event_id,
            event_type,
            action,
            time,
            biz_step,
            transformation_id,
            declared,
            "".join(role for role, _, _ in epcs),
            tuple(key for _, key, _ in epcs),
            raws if any(raw is not None for raw in raws) else None,
            tuple(refs) if refs else (),  # a tuple is 32 bytes less than a list, and () is shared
        )

    @property
    def epcs(self) -> list[tuple[str, str, str | None]]:
        """(role, key, raw) of every identifier."""
        raws = self.raws or (None,) * len(self.ids)
        return list(zip(self.roles, self.ids, raws, strict=True))

    def epcs_all(self) -> list[tuple[str, str | None]]:
        if self.raws is None:
            return [(key, None) for key in self.ids]
        return list(zip(self.ids, self.raws, strict=True))

    def keys(self, roles: frozenset[str]) -> list[tuple[str, str | None]]:
        if self.raws is None:  # the common case: every identifier captured in its key form
            return [(key, None) for role, key in zip(self.roles, self.ids, strict=True) if role in roles]
        return [
            (key, raw)
            for role, key, raw in zip(self.roles, self.ids, self.raws, strict=True)
            if role in roles
        ]

    def nodes_in(self, roles: frozenset[str]) -> list[int]:
        """The nodes of the identifiers in these roles (an event read back from the index)."""
        return nodes_in(self.roles, self.nodes, roles)

    @property
    def parent(self) -> tuple[str, str | None] | None:
        index = self.roles.find(s.ROLE_PARENT)
        if index < 0:
            return None
        return self.ids[index], self.raws[index] if self.raws else None

    def parties(self, kind: str) -> list[tuple[str, str]]:
        """(type, party as captured) of the source (`s.REF_SOURCE`) or destination list; owning and
        possessing parties only."""
        return parties_in(self.refs, kind)

    def locations(self, kind: str) -> list[str]:
        return [raw or v for k, t, v, raw in self.refs if k == kind and t == "location"]

    @property
    def is_shipment(self) -> bool:
        """Carries its objects to the parties of its destination list (inbound steps excluded)."""
        for ref in self.refs:  # (a plain loop: this runs for every event of an index build and a recall)
            if ref[0] == s.REF_DESTINATION:
                return self.biz_step not in INBOUND_STEPS
        return False

    @property
    def is_receipt(self) -> bool:
        """Received its objects from the parties of its source list (outbound steps excluded)."""
        for ref in self.refs:
            if ref[0] == s.REF_SOURCE:
                return self.biz_step not in OUTBOUND_STEPS
        return False

    def moved_nodes(self) -> list[int]:
        """The nodes of `moved` (an event read back from the index)."""
        return moved_nodes(self.event_type, self.roles, self.nodes)

    def moved(self) -> list[tuple[str, str | None]]:
        """What a shipment or receipt moves: its objects, or an aggregation's parent (with its contents)."""
        moved = self.keys(OBJECT_ROLES)
        if self.event_type in ("AggregationEvent", "AssociationEvent") and self.parent:
            moved.append(self.parent)
        return moved


def nodes_in(roles: str, nodes: Sequence[int], wanted: frozenset[str]) -> list[int]:
    """The nodes (one per role letter of `roles`) in the `wanted` roles."""
    return [n for role, n in zip(roles, nodes, strict=True) if role in wanted]


def moved_nodes(event_type: str, roles: str, nodes: Sequence[int]) -> list[int]:
    """What a shipment or receipt moves (`Light.moved`), as nodes: its objects, or an aggregation's parent."""
    moved = nodes_in(roles, nodes, OBJECT_ROLES)
    if event_type in ("AggregationEvent", "AssociationEvent"):
        moved += nodes_in(roles, nodes, PARENT_ROLES)
    return moved


def parties_in(refs: Iterable[tuple[str, str, str, str | None]], kind: str) -> list[tuple[str, str]]:
    """`Light.parties` of these references."""
    return [(t, raw or v) for k, t, v, raw in refs if k == kind and t in PARTY_TYPES]
