"""The stock ledger of one affected item during a recall: how much is where, in which state."""

from __future__ import annotations

from dataclasses import dataclass

EACH = "EA"  # UN/ECE Rec. 20 "each": the unit of a serialised item

Place = tuple[str, str | None, str | None, int | None]  # state, location, party, container node


@dataclass(slots=True)
class Balance:
    qty: float
    unknown: bool  # some of it came from events that recorded no quantity
    uom: str | None
    disposition: str | None


class Ledger:
    def __init__(self, is_class: bool) -> None:
        self.is_class = is_class  # a lot or class: quantities; else one unit, in one place at a time
        self.bal: dict[Place, Balance] = {}
        self.last_loc: str | None = None

    def put(self, place: Place, q: float | None, uom: str | None, disposition: str | None) -> None:
        if not self.is_class:
            self.bal.clear()
            q, uom = 1.0, EACH
        b = self.bal.get(place)
        if b is None:
            b = self.bal[place] = Balance(0.0, False, uom, disposition)
        if q is None:
            b.unknown = True
        else:
            b.qty += q
        b.uom = b.uom or uom
        b.disposition = disposition or b.disposition

    def take(self, q: float | None, states: tuple[str, ...], loc: str | None = None) -> None:
        """Remove `q` from the buckets in `states` (those at `loc` first), never below what is recorded."""
        if not self.is_class:
            return
        order = sorted(
            (p for p in self.bal if p[0] in states), key=lambda p: (states.index(p[0]), p[1] != loc)
        )
        for place in order:
            b = self.bal[place]
            if q is None:
                b.unknown = True
                return
            n = min(q, b.qty)
            b.qty, q = b.qty - n, q - n
            if b.qty <= 1e-9 and not b.unknown:
                del self.bal[place]
            if q <= 1e-9:
                return
