"""The plant history as a small discrete simulation, one working day at a time.

Each working day, per plant: raw-material receipts from 04:00 (enough for the day's batches plus a
margin), every batch from 06:00 (mix -> fill -> commission serials -> pack pallets, over about three
hours), and from noon the shipments of the pallets ready by then (some unpacked or repacked first;
plant A sends a share to plant B, which receives them the next day). The tasks of both plants run in
the order of their start times; the events a task plans wait in a heap keyed by their time, and leave
it in time order as soon as no later task can put anything before them. Memory holds a few hours of
events, however busy the plants are.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from heapq import heappop, heappush
from typing import Any

from lotline.sim._clock import HOUR, Zone, utc_midnight
from lotline.sim._config import PlantConfig
from lotline.sim._ids import Gtin, biz_transaction, gdti, sscc
from lotline.sim._logistics import ship
from lotline.sim._world import OWN_GCP, Material, Plant, Product, Supplier, build_world

Event = dict[str, Any]
Ids = tuple[str, str]  # (EPC URN, GS1 Digital Link) of one object or class
MINUTE = 60_000


class _RawLot:
    __slots__ = ("ids", "left")

    def __init__(self, ids: Ids, left: float) -> None:
        self.ids = ids
        self.left = left


class Pallet:
    """A pallet in a plant's finished-goods store: serialised cases of `case`, or `quantity` of `lot`."""

    __slots__ = ("case", "ids", "lot", "quantity", "ready", "serials")

    def __init__(self, ids: Ids, case: Gtin | None, serials: list[str], lot: Ids, quantity: int) -> None:
        self.ids = ids
        self.case = case
        self.serials = serials
        self.lot = lot
        self.quantity = quantity
        self.ready = 0  # when it may be shipped (UTC ms)


def _times(event_type: str) -> Event:
    return {"type": event_type, "eventTime": "", "eventTimeZoneOffset": ""}  # stamped when released


@dataclass(frozen=True, slots=True)
class _Batch:
    """One mixing batch: what the filling of its finished lots needs to know."""

    plant: Plant
    day: date
    number: str  # yyddd + the batch's number of the day
    product: Product
    ids: Ids  # the intermediate lot
    kg: float
    order: str  # the production order (bizTransaction prodorder)


def _mixing(batch: _Batch, inputs: list[Event], output: list[Event] | None, tid: str | None) -> Event:
    event = _times("TransformationEvent")
    event["inputQuantityList"] = inputs
    if output is not None:
        event["outputQuantityList"] = output
    if tid is not None:
        event["transformationID"] = tid
    event["bizStep"] = "commissioning"
    event["disposition"] = "in_progress"
    event["readPoint"] = {"id": batch.plant.mixing}
    event["bizLocation"] = {"id": batch.plant.site}
    event["bizTransactionList"] = [{"type": "prodorder", "bizTransaction": batch.order}]
    return event


def _ilmd(lot: str, best_before: str, expiry: str | None) -> Event:
    """Lot master data of a finished lot (CBV 2.0 section 10: cbvmda attributes)."""
    ilmd = {"cbvmda:lotNumber": lot, "cbvmda:bestBeforeDate": best_before}
    if expiry is not None:
        ilmd["cbvmda:itemExpirationDate"] = expiry
    return ilmd


class History:
    """One seeded run of the simulation; `events()` is the (endless) time-ordered event stream."""

    def __init__(self, config: PlantConfig, seed: int) -> None:
        self.config = config
        self.world = build_world(config)
        self.rand = random.Random(seed).random
        self.dl_share = config.digital_link_share
        self._until_link = self._gap()  # identifiers to write as EPC URNs before the next Digital Link
        self._heap: list[tuple[int, int, Zone, Event]] = []
        self._seq = 0
        self._last = -1
        self.raw: list[dict[str, deque[_RawLot]]] = [{} for _ in self.world.plants]
        self.stock: list[list[Pallet]] = [[] for _ in self.world.plants]
        self.counters: dict[str, int] = {}
        self._source_turn: dict[str, int] = {}
        self._dates: dict[tuple[date, int], str] = {}

    # --- the clock ---------------------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        day = self.config.start
        while True:
            tasks: list[tuple[int, Callable[[], None]]] = []
            if day.weekday() < 5:
                for plant in self.world.plants:
                    tasks.extend(self._plan_day(plant, day))
            tasks.sort(key=lambda task: task[0])  # stable: ties keep their planning order
            for start, run in tasks:
                # A task only plans events at or after its start, so everything before it is final.
                yield from self._release(start)
                run()
            day += timedelta(days=1)
            yield from self._release(utc_midnight(day))

    def emit(self, t: int, zone: Zone, event: Event) -> None:
        heappush(self._heap, (t, self._seq, zone, event))
        self._seq += 1

    def _release(self, horizon: int) -> Iterator[Event]:
        heap, last = self._heap, self._last
        while heap and heap[0][0] < horizon:
            t, _, zone, event = heappop(heap)
            if t <= last:  # strictly increasing: no two events share a millisecond
                if last - t > 1000:
                    raise RuntimeError(f"simulation bug: an event was planned {last - t} ms in the past")
                t = last + 1
            self._last = last = t
            # Zone.stamp, inlined: this line runs once per event.
            hour, ms = divmod(t, HOUR)
            prefix, offset, _ = zone.hours.get(hour) or zone.hour(hour)
            minutes, ms = divmod(ms, 60_000)
            seconds, ms = divmod(ms, 1000)
            event["eventTime"] = f"{prefix}{minutes:02d}:{seconds:02d}.{ms:03d}{offset}"
            event["eventTimeZoneOffset"] = offset
            yield event

    # --- identifiers -------------------------------------------------------------------------------------

    # Each identifier written is a Digital Link with probability `digital_link_share`, independently;
    # drawn as geometric gaps between Digital Links (one random number per link, not per identifier).

    def _gap(self) -> int:
        share = self.dl_share
        if share <= 0:
            return 1 << 62
        if share >= 1:
            return 0
        return int(math.log(1.0 - self.rand()) / math.log(1.0 - share))

    def pick(self, ids: Ids) -> str:
        """One identifier as written in an event: mostly the EPC URN, sometimes the Digital Link."""
        if self._until_link:
            self._until_link -= 1
            return ids[0]
        self._until_link = self._gap()
        return ids[1]

    def serial_ids(self, gtin: Gtin, serials: list[str]) -> list[str]:
        written = list(map(gtin.sgtin.__add__, serials))
        at, count = self._until_link, len(written)
        while at < count:
            written[at] = f"{gtin.dl}21/{serials[at]}"
            at += 1 + self._gap()
        self._until_link = at - count
        return written

    def count(self, name: str, start: int = 1) -> int:
        value = self.counters[name] = self.counters.get(name, start - 1) + 1
        return value

    def new_pallet(
        self, plant: Plant, case: Gtin | None, serials: list[str], lot: Ids, quantity: int
    ) -> Pallet:
        return Pallet(
            sscc(OWN_GCP, plant.index, self.count(f"sscc{plant.index}")), case, serials, lot, quantity
        )

    def pallet_contents(self, pallet: Pallet) -> Event:
        if pallet.case is not None:
            return {"childEPCs": self.serial_ids(pallet.case, pallet.serials)}
        return {"childQuantityList": [{"epcClass": self.pick(pallet.lot), "quantity": pallet.quantity}]}

    def _date_after(self, day: date, days: int) -> str:
        text = self._dates.get((day, days))
        if text is None:
            text = self._dates[(day, days)] = (day + timedelta(days=days)).isoformat()
        return text

    # --- receiving and production ------------------------------------------------------------------------

    def _plan_day(self, plant: Plant, day: date) -> list[tuple[int, Callable[[], None]]]:
        """The day's work as (start, task): receipts from 04:00, batches from 06:00, shipping from noon."""
        cfg, rand = self.config, self.rand
        midnight = plant.zone.local_midnight(day)
        step = 16 * HOUR // cfg.batches_per_day
        jitter = min(step // 4, 10 * MINUTE)
        stamp = f"{day.year % 100:02d}{day.timetuple().tm_yday:03d}"
        need: dict[str, float] = {}
        tasks: list[tuple[int, Callable[[], None]]] = [
            (midnight + 4 * HOUR, partial(self._order_materials, plant, day, midnight, need))
        ]
        for k in range(cfg.batches_per_day):
            product = plant.products[int(rand() * len(plant.products))]
            amounts = [(code, round(qty * (0.98 + 0.04 * rand()), 1)) for code, qty in product.recipe]
            for code, qty in amounts:
                need[code] = need.get(code, 0.0) + qty
            t0 = midnight + 6 * HOUR + k * step + int(rand() * jitter)
            tasks.append((t0, partial(self._batch, plant, day, f"{stamp}{k:03d}", t0, product, amounts)))
        tasks.append((midnight + 12 * HOUR, partial(ship, self, plant, day)))
        return tasks

    def _order_materials(self, plant: Plant, day: date, midnight: int, need: dict[str, float]) -> None:
        """Receipts early in the morning so the stock covers the day's batches with a 30 % margin."""
        world, raw = self.world, self.raw[plant.index]
        loads: dict[str, tuple[Supplier, list[tuple[Material, Gtin]]]] = {}
        for code, qty in need.items():
            lots = raw.setdefault(code, deque())
            material = world.materials[code]
            missing = qty * 1.3 - sum(lot.left for lot in lots)
            for _ in range(math.ceil(missing / material.lot_size) if missing > 0 else 0):
                sources = world.sources[code]
                turn = self._source_turn[code] = self._source_turn.get(code, -1) + 1
                supplier, gtin = sources[turn % len(sources)]
                loads.setdefault(supplier.gcp, (supplier, []))[1].append((material, gtin))
        trucks: list[tuple[Supplier, list[tuple[Material, Gtin]]]] = []
        for supplier, items in loads.values():
            packed = [item for item in items if not item[0].bulk]
            trucks.extend((supplier, [item]) for item in items if item[0].bulk)
            trucks.extend((supplier, packed[i : i + 3]) for i in range(0, len(packed), 3))
        if not trucks:
            return
        step = 2 * HOUR // len(trucks)
        for i, (supplier, items) in enumerate(trucks):
            self._receive(
                plant, day, midnight + 4 * HOUR + i * step + int(self.rand() * step / 2), supplier, items
            )

    def _receive(
        self, plant: Plant, day: date, t: int, supplier: Supplier, items: list[tuple[Material, Gtin]]
    ) -> None:
        quantities = []
        for material, gtin in items:
            lot = f"{material.code}{day.year % 100:02d}{self.count('lot-' + material.code):05d}"
            size = material.lot_size
            qty = round(size * (0.96 + 0.08 * self.rand())) if material.bulk else size
            ids = gtin.lot(lot)
            self.raw[plant.index][material.code].append(_RawLot(ids, qty))
            quantities.append({"epcClass": self.pick(ids), "quantity": qty, "uom": material.uom})
        world, number = self.world, self.count("po", 4500000001)
        event = _times("ObjectEvent") | {
            "quantityList": quantities,
            "action": "OBSERVE",
            "bizStep": "receiving",
            "disposition": "in_progress",
            "readPoint": {"id": plant.dock_in},
            "bizLocation": {"id": plant.raw_store},
            "bizTransactionList": [
                {"type": "po", "bizTransaction": biz_transaction(world.gln, str(number))},
                {
                    "type": "desadv",
                    "bizTransaction": biz_transaction(supplier.gln, f"DN{number % 10**7:07d}"),
                },
            ],
            "sourceList": [
                {"type": "owning_party", "source": supplier.party},
                {"type": "possessing_party", "source": supplier.party},
                {"type": "location", "source": supplier.site},
            ],
            "destinationList": [
                {"type": "owning_party", "destination": world.party},
                {"type": "possessing_party", "destination": world.party},
                {"type": "location", "destination": plant.site},
            ],
        }
        self.emit(t, plant.zone, event)

    def _inputs(self, plant: Plant, amounts: list[tuple[str, float]]) -> list[Event]:
        """Take each amount from the oldest lots first; a lot that runs out mid-batch makes two inputs."""
        raw, materials, pick = self.raw[plant.index], self.world.materials, self.pick
        inputs = []
        for code, qty in amounts:
            lots, uom = raw[code], materials[code].uom
            while qty > 0.05:
                lot = lots[0]
                taken = lot.left if lot.left < qty else qty
                lot.left -= taken
                qty -= taken
                if lot.left <= 0.05:
                    lots.popleft()
                if taken >= 0.05:
                    inputs.append({"epcClass": pick(lot.ids), "quantity": round(taken, 1), "uom": uom})
        return inputs

    def _batch(self, plant: Plant, day: date, number: str, t0: int, product: Product,
               amounts: list[tuple[str, float]]) -> None:  # fmt: skip
        cfg, rand, zone = self.config, self.rand, plant.zone
        inputs = self._inputs(plant, amounts)
        kg = round(sum(qty for _, qty in amounts) * 0.99, 1)
        batch = _Batch(plant, day, number, product, product.intermediate.lot(f"B{number}"), kg,
                       biz_transaction(plant.gln, str(self.count("order", 1000001))))  # fmt: skip
        output = [{"epcClass": self.pick(batch.ids), "quantity": kg, "uom": "KGM"}]
        if rand() < cfg.two_step_mix_share and len(inputs) > 2:
            # A top-up recorded on its own: both events name the same transformation.
            tid = gdti(OWN_GCP, 1, self.count("transformation", 100001))
            cut = len(inputs) - 1 - int(rand() * 2)
            self.emit(t0, zone, _mixing(batch, inputs[:cut], output, tid))
            self.emit(
                t0 + 35 * MINUTE + int(rand() * 10 * MINUTE), zone, _mixing(batch, inputs[cut:], None, tid)
            )
        else:
            self.emit(t0, zone, _mixing(batch, inputs, output, None))
        t_fill = t0 + 90 * MINUTE + int(rand() * 30 * MINUTE)
        pieces = 2 if rand() < cfg.split_fill_share else 1
        for piece in range(1, pieces + 1):
            self._fill(batch, piece, pieces, t_fill + (piece - 1) * 40 * MINUTE)

    def _fill(self, batch: _Batch, piece: int, pieces: int, t: int) -> None:
        """Fill `1/pieces` of the batch into finished lot number `piece`, commission its serials, pack it."""
        plant, day, product, lot = batch.plant, batch.day, batch.product, f"L{batch.number}{piece}"
        kg = round(batch.kg / pieces, 1)
        cfg, zone = self.config, plant.zone
        finished = product.unit.lot(lot)
        best_before = self._date_after(day, product.shelf_life_days)
        expiry = self._date_after(day, product.shelf_life_days + 90) if product.expiry else None
        case = product.case
        fill: Event = {
            "type": "TransformationEvent",
            "eventTime": "",
            "eventTimeZoneOffset": "",
            "inputQuantityList": [{"epcClass": self.pick(batch.ids), "quantity": kg, "uom": "KGM"}],
        }
        if case is None:
            units = max(1, cfg.units_per_lot // pieces)
            fill["outputQuantityList"] = [{"epcClass": self.pick(finished), "quantity": units}]
            per = cfg.units_per_pallet
            contents: list[tuple[list[str], int]] = [([], min(per, units - i)) for i in range(0, units, per)]
            serials: list[str] = []
        else:
            cases = max(1, cfg.serials_per_lot // pieces)
            first = self.counters.get("serial-" + product.code, 100000) + 1
            self.counters["serial-" + product.code] = first + cases - 1
            serials = list(map(str, range(first, first + cases)))
            fill["outputEPCList"] = self.serial_ids(case, serials)
            fill["outputQuantityList"] = [
                {"epcClass": self.pick(finished), "quantity": cases * product.units_per_case}
            ]
            per = cfg.cases_per_pallet
            contents = [(serials[i : i + per], 0) for i in range(0, cases, per)]
        fill["bizStep"] = "commissioning"
        fill["disposition"] = "active"
        fill["readPoint"] = {"id": plant.filling}
        fill["bizLocation"] = {"id": plant.site}
        fill["bizTransactionList"] = [{"type": "prodorder", "bizTransaction": batch.order}]
        fill["ilmd"] = _ilmd(lot, best_before, expiry)
        self.emit(t, zone, fill)
        if case is not None:
            commission = {
                "type": "ObjectEvent",
                "eventTime": "",
                "eventTimeZoneOffset": "",
                "epcList": self.serial_ids(case, serials),
                "action": "ADD",
                "bizStep": "commissioning",
                "disposition": "active",
                "readPoint": {"id": plant.filling},
                "bizLocation": {"id": plant.site},
                "ilmd": _ilmd(lot, best_before, expiry),
            }
            self.emit(t + 2 * MINUTE + int(self.rand() * 3 * MINUTE), zone, commission)
        stock = self.stock[plant.index]
        for i, (children, quantity) in enumerate(contents):
            pallet = self.new_pallet(plant, case, children, finished, quantity)
            self.pack(plant, t + 20 * MINUTE + i * 6 * MINUTE, pallet, "packing")
            stock.append(pallet)

    def pack(self, plant: Plant, t: int, pallet: Pallet, biz_step: str) -> None:
        event: Event = {
            "type": "AggregationEvent",
            "eventTime": "",
            "eventTimeZoneOffset": "",
            "parentID": self.pick(pallet.ids),
        }
        if pallet.case is not None:
            event["childEPCs"] = self.serial_ids(pallet.case, pallet.serials)
        else:
            event["childQuantityList"] = [{"epcClass": self.pick(pallet.lot), "quantity": pallet.quantity}]
        event["action"] = "ADD"
        event["bizStep"] = biz_step
        event["disposition"] = "in_progress"
        event["readPoint"] = {"id": plant.packing}
        event["bizLocation"] = {"id": plant.goods_store}
        self.emit(t, plant.zone, event)
        pallet.ready = t + 30 * MINUTE
