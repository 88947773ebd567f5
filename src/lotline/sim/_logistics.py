"""Leaving the plant: unpacking and repacking, picking, shipping to customers, transfers from A to B."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from lotline.sim._clock import HOUR
from lotline.sim._ids import biz_transaction
from lotline.sim._world import Plant

if TYPE_CHECKING:
    from lotline.sim._history import History, Pallet

Event = dict[str, Any]
MINUTE = 60_000


def ship(sim: History, plant: Plant, day: date) -> None:
    """Ship the pallets that were ready by noon, in trucks of 1..max pallets, between 14:00 and 21:00."""
    cfg, rand = sim.config, sim.rand
    midnight = plant.zone.local_midnight(day)
    cutoff = midnight + 12 * HOUR
    stock = sim.stock[plant.index]
    ready = [p for p in stock if p.ready <= cutoff]
    if not ready:
        return
    sim.stock[plant.index] = [p for p in stock if p.ready > cutoff]
    trucks: list[list[Pallet]] = []
    while ready:
        size = 1 + int(rand() * cfg.max_pallets_per_shipment)
        trucks.append(ready[:size])
        del ready[:size]
    step = 7 * HOUR // len(trucks)
    for i, pallets in enumerate(trucks):
        t = midnight + 14 * HOUR + i * step + int(rand() * step / 2)
        pallets = _prepare(sim, plant, t - 2 * HOUR, pallets)
        if plant.index == 0 and rand() < cfg.transfer_share:
            _transfer(sim, plant, sim.world.plants[1], t, pallets)
        else:
            _deliver(sim, plant, t, pallets)


def _prepare(sim: History, plant: Plant, t: int, pallets: list[Pallet]) -> list[Pallet]:
    """Some pallets lose a few cases (retained samples, damage); a few are rebuilt on a new pallet."""
    cfg, rand = sim.config, sim.rand
    out = []
    for j, pallet in enumerate(pallets):
        at, draw = t + j * 4 * MINUTE, rand()
        if draw < cfg.repack_share:
            explicit = rand() < 0.5  # a DELETE without children means "all of them"
            event = _unpacking(sim, plant, pallet, sim.pallet_contents(pallet) if explicit else {})
            sim.emit(at, plant.zone, event)
            new = sim.new_pallet(plant, pallet.case, pallet.serials, pallet.lot, pallet.quantity)
            sim.pack(plant, at + 2 * MINUTE, new, "repackaging")
            pallet = new
        elif draw < cfg.repack_share + cfg.unpack_share:
            if pallet.case is not None and len(pallet.serials) > 2:
                take = 1 + int(rand() * 2)
                removed = pallet.serials[-take:]
                del pallet.serials[-take:]
                sim.emit(
                    at,
                    plant.zone,
                    _unpacking(sim, plant, pallet, {"childEPCs": sim.serial_ids(pallet.case, removed)}),
                )
            elif pallet.case is None and pallet.quantity > 5:
                take = 2 + int(rand() * 4)
                pallet.quantity -= take
                children = {"childQuantityList": [{"epcClass": sim.pick(pallet.lot), "quantity": take}]}
                sim.emit(at, plant.zone, _unpacking(sim, plant, pallet, children))
        out.append(pallet)
    return out


def _unpacking(sim: History, plant: Plant, pallet: Pallet, children: Event) -> Event:
    event: Event = {
        "type": "AggregationEvent",
        "eventTime": "",
        "eventTimeZoneOffset": "",
        "parentID": sim.pick(pallet.ids),
    }
    return (
        event
        | children
        | {
            "action": "DELETE",
            "bizStep": "unpacking",
            "readPoint": {"id": plant.packing},
            "bizLocation": {"id": plant.goods_store},
        }
    )


def _shipping(
    sim: History, plant: Plant, pallets: list[Pallet], transactions: list[Event], to: tuple[str, str]
) -> Event:
    return {
        "type": "ObjectEvent",
        "eventTime": "",
        "eventTimeZoneOffset": "",
        "epcList": [sim.pick(p.ids) for p in pallets],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": plant.dock_out},
        "bizTransactionList": transactions,
        "sourceList": [
            {"type": "owning_party", "source": sim.world.party},
            {"type": "location", "source": plant.site},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": to[0]},
            {"type": "location", "destination": to[1]},
        ],
    }


def _documents(sim: History, plant: Plant) -> list[Event]:
    number = sim.count("delivery", 80000001)
    return [
        {"type": "desadv", "bizTransaction": biz_transaction(plant.gln, str(number))},
        {"type": "bol", "bizTransaction": biz_transaction(plant.gln, f"BOL{number}")},
    ]


def _deliver(sim: History, plant: Plant, t: int, pallets: list[Pallet]) -> None:
    customers, rand = sim.world.customers, sim.rand
    customer = customers[int(rand() * len(customers))]
    site = customer.sites[int(rand() * len(customer.sites))]
    po = {
        "type": "po",
        "bizTransaction": biz_transaction(customer.gln, str(sim.count("customer-po", 7000001))),
    }
    if rand() < sim.config.picking_share:
        picking: Event = {
            "type": "TransactionEvent",
            "eventTime": "",
            "eventTimeZoneOffset": "",
            "bizTransactionList": [dict(po)],
            "epcList": [sim.pick(p.ids) for p in pallets],
            "action": "ADD",
            "bizStep": "picking",
            "disposition": "in_progress",
            "readPoint": {"id": plant.goods_store},
            "bizLocation": {"id": plant.goods_store},
        }
        sim.emit(t - 45 * MINUTE, plant.zone, picking)
    sim.emit(
        t, plant.zone, _shipping(sim, plant, pallets, [po, *_documents(sim, plant)], (customer.party, site))
    )


def _transfer(sim: History, plant: Plant, to: Plant, t: int, pallets: list[Pallet]) -> None:
    """A to B: a temperature logger rides on the first pallet, the truck arrives 10 to 26 hours later."""
    world, rand = sim.world, sim.rand
    logger = world.loggers[sim.count("logger") % len(world.loggers)]
    documents = _documents(sim, plant)
    _logger(sim, plant, t - 20 * MINUTE, pallets[0], logger, "ADD", "assembling")
    sim.emit(t, plant.zone, _shipping(sim, plant, pallets, documents, (world.party, to.site)))
    arrival = t + 10 * HOUR + int(rand() * 16 * HOUR)
    receipt = {
        "type": "ObjectEvent",
        "eventTime": "",
        "eventTimeZoneOffset": "",
        "epcList": [sim.pick(p.ids) for p in pallets],
        "action": "OBSERVE",
        "bizStep": "receiving",
        "disposition": "in_progress",
        "readPoint": {"id": to.dock_in},
        "bizLocation": {"id": to.goods_store},
        "bizTransactionList": [
            dict(d) for d in documents
        ],  # the same papers; no object shared between events
        "sourceList": [
            {"type": "owning_party", "source": world.party},
            {"type": "location", "source": plant.site},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": world.party},
            {"type": "location", "destination": to.site},
        ],
    }
    sim.emit(arrival, to.zone, receipt)
    _logger(sim, to, arrival + 10 * MINUTE, pallets[0], logger, "DELETE", "removing")
    for pallet in pallets:
        pallet.ready = arrival + HOUR
        sim.stock[to.index].append(pallet)


def _logger(
    sim: History, plant: Plant, t: int, pallet: Pallet, logger: str, action: str, biz_step: str
) -> None:
    event = {
        "type": "AssociationEvent",
        "eventTime": "",
        "eventTimeZoneOffset": "",
        "parentID": sim.pick(pallet.ids),
        "childEPCs": [logger],
        "action": action,
        "bizStep": biz_step,
        "readPoint": {"id": plant.dock_out if action == "ADD" else plant.dock_in},
    }
    sim.emit(t, plant.zone, event)
