"""An event as a recall reads it: what its stored body adds to the index's `Light` (where it happened, its
disposition and time zone offset, the quantities of its quantity lists), worked out once per event read.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any

from lotline.epcis.identifiers import identity_key
from lotline.epcis.vocab import short_cbv
from lotline.errors import IdentifierError
from lotline.store import schema as s
from lotline.trace.facts import PARTY_TYPES, Light
from lotline.trace.ledger import EACH

QTY_LISTS = (
    ("quantityList", s.ROLE_QTY),
    ("childQuantityList", s.ROLE_CHILD_QTY),
    ("inputQuantityList", s.ROLE_INPUT_QTY),
    ("outputQuantityList", s.ROLE_OUTPUT_QTY),
)
QTY_ROLES = frozenset(role for _, role in QTY_LISTS)


@cache
def _one_role(role: str) -> frozenset[str]:
    """The roles of an identifier named in one role: one shared set per role letter."""
    return frozenset((role,))


@dataclass(slots=True)
class Ev:
    """A live event with what its body adds to the Light: where, disposition, offset and quantities."""

    light: Light
    location: str | None  # bizLocation, else readPoint, as captured
    location_key: str | None
    disposition: str | None
    offset: str
    amounts: dict[tuple[str, str], tuple[float | None, str | None]]
    roles: dict[str, frozenset[str]]  # identifier key -> the fields (roles) it is named in
    shipment: bool  # `Light.is_shipment`, worked out once: each item's ledger asks it of every event
    receipt: bool

    def amount(self, key: str, roles: Collection[str]) -> tuple[float | None, str | None]:
        for role in self.roles.get(key, ()):
            if role in roles:
                return self.amounts.get((role, key), (None, None)) if role in QTY_ROLES else (1.0, EACH)
        return None, None

    def refs(self, kind: str, types: Collection[str]) -> list[tuple[str, str]]:
        """(key, as captured) of the source/destination refs of these types, each party once (an owning
        party is often the possessing party too)."""
        return list(
            dict.fromkeys((v, raw or v) for k, t, v, raw in self.light.refs if k == kind and t in types)
        )

    def ends(self, kind: str) -> tuple[list[str], list[str]]:
        """(locations, parties) of the source (`s.REF_SOURCE`) or destination list, as captured."""
        return [raw for _, raw in self.refs(kind, ("location",))], [
            raw for _, raw in self.refs(kind, PARTY_TYPES)
        ]

    @property
    def references(self) -> list[tuple[str, str]]:
        return [(t, raw or v) for k, t, v, raw in self.light.refs if k == s.REF_BIZ_TRANSACTION]


def event_of(light: Light, body: dict[str, Any]) -> Ev:
    """The event as a recall reads it: its indexed facts and its stored body (`events.body`, parsed)."""
    where = body.get("bizLocation") or body.get("readPoint") or {}
    location = where.get("id") if isinstance(where, dict) else None
    amounts: dict[tuple[str, str], tuple[float | None, str | None]] = {}
    for name, role in QTY_LISTS:
        for element in body.get(name) or ():
            try:
                key = identity_key(element["epcClass"])
            except (IdentifierError, KeyError, TypeError):
                continue
            q = element.get("quantity")
            uom = element.get("uom") or (EACH if q is not None else None)  # no uom: a count of instances
            before = amounts.get((role, key))
            if before is not None and before[0] is not None and q is not None:
                q = before[0] + q
            amounts[(role, key)] = (None if q is None else float(q), uom or (before[1] if before else None))
    try:
        location_key = identity_key(location) if location else None
    except IdentifierError:
        location_key = location
    disposition = body.get("disposition")
    roles = dict(zip(light.ids, map(_one_role, light.roles), strict=True))
    if len(roles) < len(light.ids):  # an identifier named in two roles (rare: a commissioning names hundreds)
        named: dict[str, set[str]] = {}
        for role, key in zip(light.roles, light.ids, strict=True):
            named.setdefault(key, set()).add(role)
        roles = {key: frozenset(found) for key, found in named.items()}
    return Ev(
        light,
        location,
        location_key,
        short_cbv("disposition", disposition) if disposition else None,
        body.get("eventTimeZoneOffset") or "+00:00",
        amounts,
        roles,
        light.is_shipment,
        light.is_receipt,
    )
