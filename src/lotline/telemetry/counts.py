"""The `counts` rule: good and scrap counts per production order and interval -> OperationConfirmation.

Per equipment the rule keeps the last reading of each count signal, the current order and the open
interval's tallies per order. Semantics (docs/telemetry.md):

- Intervals are [k*interval + align, (k+1)*interval + align) in UTC. The equipment's time is the latest of
  its sample timestamps and `flush(until)`; when it reaches the end of the open interval, the interval
  closes and yields one OperationConfirmation per order that counted something in it (`time` = interval
  end, `periodStart` = interval start).
- A counter's difference to its previous reading counts in the interval the equipment's time is in, for
  the order current when the reading is taken. A drop is a reset to zero (the new value counts), or, with
  `rollover` set and a wrapped difference under half of it, a rollover. The first reading is a baseline.
- A late reading (older than the equipment's time but newer than the signal's previous reading) counts in
  the open interval: late data moves to a later interval, it is never lost. A reading not newer than the
  signal's previous one is stale and skipped, so feeding again what the state has seen changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from lotline.model.operational import OperationConfirmation
from lotline.telemetry.rule import Output, Stats, equipment_matches
from lotline.telemetry.sample import Sample, as_number, as_text, to_datetime
from lotline.telemetry.spec import CounterInput, CountsRule, micros

__all__ = ["Counts", "OrderLookup"]

# (equipment, time in microseconds) -> the order being produced, or None
OrderLookup = Callable[[str, int], str | None]


@dataclass(slots=True)
class _Reading:
    value: float | None = None
    time: int | None = None


@dataclass(slots=True)
class _Line:
    time: int | None = None  # the equipment's time: latest sample or flush
    order: str | None = None
    order_time: int | None = None
    readings: dict[str, _Reading] = field(default_factory=dict)  # role (good, scrap) -> last reading
    start: int | None = None  # start of the open interval, once something counted in it
    tallies: list[list[Any]] = field(default_factory=list)  # [order or None, good, scrap], first seen first


class Counts:
    def __init__(
        self, spec: CountsRule, *, plant: str | None = None, lookup: OrderLookup | None = None
    ) -> None:
        if spec.order.lookup is not None and lookup is None:
            raise ValueError(f"rule {spec.name}: order lookup {spec.order.lookup!r} was not given")
        self.spec, self.name, self.plant, self._lookup = spec, spec.name, plant, lookup
        self._interval, self._align = micros(spec.interval), micros(spec.align)
        self._inputs: dict[str, tuple[str, CounterInput]] = {spec.good.signal: ("good", spec.good)}
        if spec.scrap is not None:
            self._inputs[spec.scrap.signal] = ("scrap", spec.scrap)
        self._lines: dict[str, _Line] = {}
        self.stats = Stats()

    def wants(self, sample: Sample) -> bool:
        known = sample.signal in self._inputs or sample.signal == self.spec.order.signal
        return known and equipment_matches(self.spec.equipment, sample.equipment)

    def feed(self, sample: Sample) -> list[Output]:
        line = self._lines.setdefault(sample.equipment, _Line())
        out = self._advance(sample.equipment, line, sample.time)
        if not sample.usable:
            self.stats.add("bad_quality")
        elif sample.signal == self.spec.order.signal:
            if line.order_time is None or sample.time > line.order_time:
                line.order, line.order_time = as_text(sample.value), sample.time
            else:
                self.stats.add("stale")
        else:
            role, config = self._inputs[sample.signal]
            amount = self._amount(line.readings.setdefault(role, _Reading()), config, sample)
            if amount:
                self._tally(sample, line, role, amount)
        return out

    def flush(self, until: int) -> list[Output]:
        out: list[Output] = []
        for equipment in sorted(self._lines):
            out.extend(self._advance(equipment, self._lines[equipment], until))
        return out

    # --- counting ----------------------------------------------------------------------------------------

    def _amount(self, reading: _Reading, config: CounterInput, sample: Sample) -> float:
        value = as_number(sample.value)
        if value is None:
            self.stats.add("not_a_number")
            return 0.0
        if reading.time is not None and sample.time <= reading.time:
            self.stats.add("stale")
            return 0.0
        if value < 0:  # neither a quantity nor an (unsigned) counter reading
            self.stats.add("negative")
            return 0.0
        previous = reading.value
        reading.value, reading.time = value, sample.time
        if config.mode == "increment":
            return value
        if previous is None or value == previous:
            return 0.0
        if value > previous:
            return value - previous
        wrapped = (config.rollover or 0.0) - previous + value
        if config.rollover is not None and 0 < wrapped < config.rollover / 2:
            self.stats.add("rollovers")
            return wrapped
        self.stats.add("resets")
        return value

    def _tally(self, sample: Sample, line: _Line, role: str, amount: float) -> None:
        assert line.time is not None
        if line.start is None:
            line.start = self._interval_start(line.time)
        order = self._lookup(sample.equipment, sample.time) if self._lookup is not None else line.order
        entry = next((t for t in line.tallies if t[0] == order), None)
        if entry is None:
            entry = [order, 0.0, 0.0]
            line.tallies.append(entry)
        entry[1 if role == "good" else 2] += amount

    def _interval_start(self, time: int) -> int:
        return (time - self._align) // self._interval * self._interval + self._align

    def _advance(self, equipment: str, line: _Line, time: int) -> list[Output]:
        if line.time is None or time > line.time:
            line.time = time
        if line.start is None or line.time < line.start + self._interval:
            return []
        start, tallies = line.start, line.tallies
        line.start, line.tallies = None, []
        return self._confirmations(equipment, start, tallies)

    def _confirmations(self, equipment: str, start: int, tallies: list[list[Any]]) -> list[Output]:
        out: list[Output] = []
        spec = self.spec
        for order_id, good, scrap in tallies:
            order = order_id if order_id is not None else spec.unassigned_order
            if order is None:
                self.stats.add("unassigned_good", good)
                self.stats.add("unassigned_scrap", scrap)
                continue
            out.append(
                OperationConfirmation(
                    time=to_datetime(start + self._interval),
                    periodStart=to_datetime(start),
                    plant=self.plant,
                    orderId=str(order),
                    operation=spec.operation,
                    workCenter=spec.work_center,
                    equipment=equipment,
                    yieldQuantity=good,
                    scrapQuantity=scrap,
                    uom=spec.uom,
                )
            )
        return out

    # --- state -------------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "lines": {name: asdict(line) for name, line in self._lines.items()},
            "stats": dict(self.stats),
        }

    def restore(self, state: Mapping[str, Any]) -> Self:
        self._lines = {}
        for name, raw in state.get("lines", {}).items():
            readings = {role: _Reading(**r) for role, r in raw.get("readings", {}).items()}
            self._lines[name] = _Line(
                **{**raw, "readings": readings, "tallies": [list(t) for t in raw["tallies"]]}
            )
        self.stats = Stats(state.get("stats", {}))
        return self
