"""What an event says about genealogy, in the compact form the trace index keeps.

A `Light` event is built either from a freshly prepared event (capture) or from the index tables (start-up),
so the genealogy never needs the event bodies: identifiers come from `event_epcs` (with their roles and the
form captured), parties from `event_refs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lotline.store import schema as s

INPUT_ROLES = frozenset({s.ROLE_INPUT, s.ROLE_INPUT_QTY})
OUTPUT_ROLES = frozenset({s.ROLE_OUTPUT, s.ROLE_OUTPUT_QTY})
CHILD_ROLES = frozenset({s.ROLE_CHILD, s.ROLE_CHILD_QTY})
INSTANCE_CHILD_ROLES = frozenset({s.ROLE_CHILD})
OBJECT_ROLES = frozenset({s.ROLE_EPC, s.ROLE_QTY})
PARTY_TYPES = frozenset({"owning_party", "possessing_party"})
# Outbound steps: their source list names the shipper (us), not a supplier. Inbound steps: their destination
# list names the receiver (us), not a customer.
OUTBOUND_STEPS = frozenset({"shipping", "departing"})
INBOUND_STEPS = frozenset({"receiving", "accepting", "arriving"})


@dataclass(slots=True)
class Light:
    """One event as the genealogy sees it."""

    pk: int
    event_id: str
    event_type: str
    action: str | None
    time: int
    biz_step: str | None
    transformation_id: str | None
    declared: bool  # this event IS an error declaration (of the event with the same eventID)
    epcs: list[tuple[str, str, str | None]] = field(default_factory=list)  # (role, key, raw)
    refs: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # (kind, type, key, raw)

    def epcs_all(self) -> list[tuple[str, str | None]]:
        return [(key, raw) for _, key, raw in self.epcs]

    def keys(self, roles: frozenset[str]) -> list[tuple[str, str | None]]:
        return [(key, raw) for role, key, raw in self.epcs if role in roles]

    @property
    def parent(self) -> tuple[str, str | None] | None:
        for role, key, raw in self.epcs:
            if role == s.ROLE_PARENT:
                return key, raw
        return None

    def parties(self, kind: str) -> list[tuple[str, str]]:
        """(type, party as captured) of the source (`s.REF_SOURCE`) or destination list; owning and
        possessing parties only."""
        return [(t, raw or v) for k, t, v, raw in self.refs if k == kind and t in PARTY_TYPES]

    def locations(self, kind: str) -> list[str]:
        return [raw or v for k, t, v, raw in self.refs if k == kind and t == "location"]

    @property
    def is_shipment(self) -> bool:
        """Carries its objects to the parties of its destination list (inbound steps excluded)."""
        return any(ref[0] == s.REF_DESTINATION for ref in self.refs) and self.biz_step not in INBOUND_STEPS

    @property
    def is_receipt(self) -> bool:
        """Received its objects from the parties of its source list (outbound steps excluded)."""
        return any(ref[0] == s.REF_SOURCE for ref in self.refs) and self.biz_step not in OUTBOUND_STEPS

    def moved(self) -> list[tuple[str, str | None]]:
        """What a shipment or receipt moves: its objects, or an aggregation's parent (with its contents)."""
        moved = self.keys(OBJECT_ROLES)
        if self.event_type in ("AggregationEvent", "AssociationEvent") and self.parent:
            moved.append(self.parent)
        return moved
