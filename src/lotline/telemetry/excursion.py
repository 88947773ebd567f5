"""The `excursion` rule: a process parameter outside its limits for at least `min_duration` -> an EPCIS
ObjectEvent with sensor data on the batch being produced (lotline.telemetry.sensor_event).

A value holds until the next sample of the signal (report by exception). An excursion starts at the first
sample outside [low, high] and ends at the first sample back inside; it counts when it lasted at least
`min_duration` (by its end, or by the equipment's time while it goes on: no news means no change). Shorter
ones are ignored and counted (`short_excursions`).

The batch (and item) being produced come from signals at the line. When the batch changes during an
excursion, the excursion is split: each batch gets an event for the part it was exposed to, so each part
shows up in that batch's history. A part is emitted once it is finished (batch change or excursion end) and
the excursion counts; an excursion still going on is reported when it ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from lotline.telemetry.rule import Output, Stats, equipment_matches
from lotline.telemetry.sample import Sample, as_number, as_text
from lotline.telemetry.sensor_event import Part, excursion_event, identifier
from lotline.telemetry.spec import ExcursionRule, micros

__all__ = ["Excursion"]


@dataclass(slots=True)
class _Process:
    time: int | None = None  # the equipment's time: latest sample or flush
    batch: str | None = None
    item: str | None = None
    batch_time: int | None = None  # of the latest batch sample
    item_time: int | None = None  # of the latest item sample
    value: float | None = None
    value_time: int | None = None
    start: int | None = None  # of the excursion going on, if any
    part: dict[str, Any] | None = None  # the part going on (Part's fields but `end`)
    finished: list[dict[str, Any]] = field(default_factory=list)  # parts waiting for the excursion to count


class Excursion:
    def __init__(self, spec: ExcursionRule, *, plant: str | None = None) -> None:
        self.spec, self.name, self.plant = spec, spec.name, plant
        self._min = micros(spec.min_duration)
        batch = spec.batch
        self._batch_signals = {batch.signal, batch.item_signal} - {None} if batch is not None else set()
        self._processes: dict[str, _Process] = {}
        self.stats = Stats()

    def wants(self, sample: Sample) -> bool:
        known = sample.signal == self.spec.signal or sample.signal in self._batch_signals
        return known and equipment_matches(self.spec.equipment, sample.equipment)

    def feed(self, sample: Sample) -> list[Output]:
        process = self._processes.setdefault(sample.equipment, _Process())
        out = self._advance(sample.equipment, process, sample.time)
        if not sample.usable:
            self.stats.add("bad_quality")
        elif sample.signal == self.spec.signal:
            out.extend(self._value(sample, process))
        else:
            out.extend(self._batch(sample, process))
        return out

    def flush(self, until: int) -> list[Output]:
        out: list[Output] = []
        for equipment in sorted(self._processes):
            out.extend(self._advance(equipment, self._processes[equipment], until))
        return out

    def _value(self, sample: Sample, process: _Process) -> list[Output]:
        value = as_number(sample.value)
        if value is None:
            self.stats.add("not_a_number")
            return []
        if process.value_time is not None and sample.time <= process.value_time:
            self.stats.add("stale")
            return []
        process.value, process.value_time = value, sample.time
        above = self.spec.high is not None and value > self.spec.high
        below = self.spec.low is not None and value < self.spec.low
        if process.part is None:
            if above or below:
                process.start = sample.time
                process.part = self._open(sample.equipment, process, sample.time)
                self._note(process.part, value)
            return []
        if above or below:
            self._note(process.part, value)
            return []
        return self._end(process, sample.time)

    def _batch(self, sample: Sample, process: _Process) -> list[Output]:
        text = as_text(sample.value)
        assert self.spec.batch is not None
        is_batch = sample.signal == self.spec.batch.signal
        last = process.batch_time if is_batch else process.item_time
        if last is not None and sample.time <= last:
            self.stats.add("stale")
            return []
        if is_batch:
            process.batch_time = sample.time
        else:
            process.item_time = sample.time
        if text == (process.batch if is_batch else process.item):
            return []
        going_on = process.part is not None
        out = self._finish_part(process, sample.time) if going_on else []
        if is_batch:
            process.batch = text
        else:
            process.item = text
        if going_on:
            process.part = self._open(sample.equipment, process, sample.time)
            if process.value is not None:
                self._note(process.part, process.value)
        return out

    def _open(self, equipment: str, process: _Process, time: int) -> dict[str, Any]:
        return {
            "equipment": equipment,
            "start": time,
            "batch": process.batch,
            "item": process.item,
            "low": None,
            "high": None,
            "above": False,
            "below": False,
        }

    def _note(self, part: dict[str, Any], value: float) -> None:
        part["low"] = value if part["low"] is None else min(part["low"], value)
        part["high"] = value if part["high"] is None else max(part["high"], value)
        part["above"] |= self.spec.high is not None and value > self.spec.high
        part["below"] |= self.spec.low is not None and value < self.spec.low

    def _counts(self, process: _Process, time: int) -> bool:
        return process.start is not None and time - process.start >= self._min

    def _finish_part(self, process: _Process, time: int) -> list[Output]:
        assert process.part is not None
        process.finished.append({**process.part, "end": max(time, process.part["start"])})  # late sample
        process.part = None
        return self._release(process, time)

    def _release(self, process: _Process, time: int) -> list[Output]:
        if not process.finished or not self._counts(process, time):
            return []
        parts, process.finished = process.finished, []
        return [self._event(Part(**part)) for part in parts]

    def _end(self, process: _Process, time: int) -> list[Output]:
        out = self._finish_part(process, time)
        if process.finished:  # the excursion was too short to count
            self.stats.add("short_excursions")
            process.finished = []
        process.start = None
        return out

    def _advance(self, equipment: str, process: _Process, time: int) -> list[Output]:
        if process.time is None or time > process.time:
            process.time = time
        return self._release(process, process.time)

    def _event(self, part: Part) -> dict[str, Any]:
        epc = identifier(self.spec, part)
        if part.batch is None:
            self.stats.add("no_batch")
        elif epc is None:
            self.stats.add("bad_identifier")
        return excursion_event(self.spec, part, epc)

    def to_state(self) -> dict[str, Any]:
        processes = {name: asdict(process) for name, process in self._processes.items()}
        return {"processes": processes, "stats": dict(self.stats)}

    def restore(self, state: Mapping[str, Any]) -> Self:
        self._processes = {name: _Process(**raw) for name, raw in state.get("processes", {}).items()}
        self.stats = Stats(state.get("stats", {}))
        return self
