"""The sizes and shares that shape a simulated plant history."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

# Measured averages with the default shares (see tests/test_sim.py::test_sized_for_hits_the_target):
# events per mixing batch, all steps included (receipts, filling, packing, shipping, transfers).
EVENTS_PER_BATCH = 7.8
_PLANTS = 2
_LONGEST_DAYS = 1000  # about four years: beyond that the plants get busier, not older


@dataclass(frozen=True)
class PlantConfig:
    """Sizes and shares of the simulated company: two plants (A mixes and fills nutrition powder and a
    cocoa drink, and sends part of its output to B; B makes porridge and a protein shake and ships both
    its own and A's goods), their suppliers and customers.

    Volumes are per plant and working day (Monday to Friday); raw-material receipts follow from the
    batches (a lot is ordered when the stock would not cover the day plus a margin), pallets from the
    lot sizes, shipments from the pallets.
    """

    start: date = date(2026, 1, 5)  # a Monday; the first event is early that morning in plant A
    suppliers: int = 7
    customers: int = 12
    batches_per_day: int = 8  # mixing batches per plant per working day
    serials_per_lot: int = 36  # serialised cases per finished lot (nutrition powder, protein shake)
    cases_per_pallet: int = 18  # serialised cases per pallet
    units_per_lot: int = 240  # cases per finished lot of the lot-only products (cocoa drink, porridge)
    units_per_pallet: int = 80  # cases per pallet of the lot-only products
    max_pallets_per_shipment: int = 4
    split_fill_share: float = 0.15  # an intermediate batch filled into two finished lots (fan-out)
    two_step_mix_share: float = 0.1  # a mix recorded as two events sharing a transformationID
    unpack_share: float = 0.06  # a pallet partly unpacked (samples, damage) before it ships
    repack_share: float = 0.02  # a pallet fully unpacked and its goods packed on a new pallet
    transfer_share: float = 0.25  # shipments of plant A that go to plant B instead of a customer
    picking_share: float = 0.3  # customer shipments announced by a TransactionEvent (picking, po)
    digital_link_share: float = 0.05  # identifiers written as GS1 Digital Link instead of EPC URN

    def __post_init__(self) -> None:
        for name in ("suppliers", "customers", "batches_per_day", "serials_per_lot", "cases_per_pallet"):
            if getattr(self, name) < 1:
                raise ValueError(f"PlantConfig.{name} must be at least 1")
        if self.units_per_lot < 1 or self.units_per_pallet < 1 or self.max_pallets_per_shipment < 1:
            raise ValueError("PlantConfig lot, pallet and shipment sizes must be at least 1")

    @classmethod
    def sized_for(cls, n_events: int, **overrides: object) -> PlantConfig:
        """The default company, made busier when `n_events` would otherwise span more than about 1,000
        working days (4 years). At the default size 5,000 events are about 8 weeks and 100,000 about
        2.5 years; from about 156,000 events on the plants run more batches a day (10 million events:
        ~640 batches per plant and day), with more suppliers and customers (growing with the square
        root of the volume). Very busy plants generate more slowly (more work in flight), hence the
        long span rather than ever busier days."""
        base = replace(cls(), **overrides)  # type: ignore[arg-type]
        per_day = _PLANTS * base.batches_per_day * EVENTS_PER_BATCH
        days = n_events / per_day
        if days <= _LONGEST_DAYS:
            return base
        batches = math.ceil(n_events / (_PLANTS * EVENTS_PER_BATCH * _LONGEST_DAYS))
        grow = batches / base.batches_per_day
        return replace(
            base,
            batches_per_day=batches,
            suppliers=max(base.suppliers, round(base.suppliers * math.sqrt(grow))),
            customers=max(base.customers, round(base.customers * math.sqrt(grow))),
        )
