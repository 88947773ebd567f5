"""The `downtime` rule: machine state (and stop reason) -> EquipmentState events at the start and the end of
each downtime period.

A state holds until the next state sample (report by exception). Per equipment the rule is in one of four
phases: up, pending down, down, pending up.

- up -> pending down: the state enters one of `downtime_states` at t0.
- pending down -> down once the equipment's time reaches t0 + min_duration while still in downtime: the
  start event is emitted (`time` = t0, `state`, `reason` known by then). Back up sooner: a flicker, ignored
  and counted.
- down -> pending up: the state leaves downtime at t1. pending up -> up once time reaches t1 + min_up: the
  end event is emitted (`time` = t1, the state entered, the downtime's `reason`, `periodStart` = t0,
  `durationSeconds`). Back in downtime sooner: the short run is absorbed, the period goes on.
- The reason is the last code (not in `ignore`) seen from the start of the period until its end is
  confirmed: operators often enter it after the machine stopped, even after it restarted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Self

from lotline.model.operational import EquipmentState, EquipmentStatus
from lotline.telemetry.rule import Output, Stats, equipment_matches
from lotline.telemetry.sample import Sample, as_text, to_datetime
from lotline.telemetry.spec import DowntimeRule, micros

__all__ = ["Downtime"]

UP, PENDING_DOWN, DOWN, PENDING_UP = "up", "pending_down", "down", "pending_up"


@dataclass(slots=True)
class _Machine:
    time: int | None = None  # the equipment's time: latest sample or flush
    state_time: int | None = None
    reason: str | None = None
    reason_time: int | None = None
    phase: str = UP
    start: int | None = None  # downtime start (t0)
    start_state: str | None = None
    period_reason: str | None = None
    up_time: int | None = None  # candidate end (t1)
    up_state: str | None = None


class Downtime:
    def __init__(self, spec: DowntimeRule, *, plant: str | None = None) -> None:
        self.spec, self.name, self.plant = spec, spec.name, plant
        self._min_down = micros(spec.min_duration)
        self._min_up = micros(spec.min_up if spec.min_up is not None else spec.min_duration)
        self._downtime = {str(state) for state in spec.downtime_states}
        self._reason_signal = spec.reason.signal if spec.reason is not None else None
        self._ignore = set(spec.reason.ignore) if spec.reason is not None else set()
        self._machines: dict[str, _Machine] = {}
        self.stats = Stats()

    def wants(self, sample: Sample) -> bool:
        known = sample.signal in (self.spec.state.signal, self._reason_signal)
        return known and equipment_matches(self.spec.equipment, sample.equipment)

    def feed(self, sample: Sample) -> list[Output]:
        machine = self._machines.setdefault(sample.equipment, _Machine())
        out = self._advance(sample.equipment, machine, sample.time)
        if not sample.usable:
            self.stats.add("bad_quality")
        elif sample.signal == self.spec.state.signal:
            self._state(machine, sample)
        elif machine.reason_time is not None and sample.time <= machine.reason_time:
            self.stats.add("stale")
        else:
            code = as_text(sample.value)
            machine.reason = None if code is None or code in self._ignore else code
            machine.reason_time = sample.time
            if machine.reason is not None and machine.phase != UP:
                machine.period_reason = machine.reason
        return out + self._confirm(sample.equipment, machine)

    def flush(self, until: int) -> list[Output]:
        out: list[Output] = []
        for equipment in sorted(self._machines):
            out.extend(self._advance(equipment, self._machines[equipment], until))
        return out

    def _state(self, machine: _Machine, sample: Sample) -> None:
        if machine.state_time is not None and sample.time <= machine.state_time:
            self.stats.add("stale")
            return
        state = self._status(sample.value)
        if state is None:
            self.stats.add("unknown_state")
            return
        machine.state_time = sample.time
        down = state in self._downtime
        if machine.phase == UP and down:
            machine.phase, machine.start, machine.start_state = PENDING_DOWN, sample.time, state
            machine.period_reason = machine.reason
        elif machine.phase == PENDING_DOWN and not down:
            machine.phase = UP
            self.stats.add("flickers")
        elif machine.phase == DOWN and not down:
            machine.phase, machine.up_time, machine.up_state = PENDING_UP, sample.time, state
        elif machine.phase == PENDING_UP:
            if down:
                machine.phase = DOWN
                self.stats.add("short_runs_absorbed")
            else:
                machine.up_state = state

    def _status(self, value: Any) -> str | None:
        text = as_text(value)
        if text is None:
            return None
        if text in self.spec.state.map:
            return str(self.spec.state.map[text])
        return text.lower() if text.lower() in EquipmentStatus.__members__ else None

    def _advance(self, equipment: str, machine: _Machine, time: int) -> list[Output]:
        if machine.time is None or time > machine.time:
            machine.time = time
        return self._confirm(equipment, machine)

    def _confirm(self, equipment: str, machine: _Machine) -> list[Output]:
        now = machine.time
        if now is None:
            return []
        if (
            machine.phase == PENDING_DOWN
            and machine.start is not None
            and now - machine.start >= self._min_down
        ):
            machine.phase = DOWN
            return [self._event(equipment, machine.start, machine.start_state, machine.period_reason)]
        if (
            machine.phase == PENDING_UP
            and machine.up_time is not None
            and now - machine.up_time >= self._min_up
        ):
            machine.phase = UP
            start, end = machine.start or 0, machine.up_time
            return [self._event(equipment, end, machine.up_state, machine.period_reason, start)]
        return []

    def _event(
        self, equipment: str, time: int, state: str | None, reason: str | None, start: int | None = None
    ) -> EquipmentState:
        return EquipmentState(
            time=to_datetime(time),
            plant=self.plant,
            equipment=equipment,
            state=EquipmentStatus(state or "down"),
            reason=reason,
            periodStart=to_datetime(start) if start is not None else None,
            durationSeconds=(time - start) / 1_000_000 if start is not None else None,
        )

    def to_state(self) -> dict[str, Any]:
        machines = {name: asdict(machine) for name, machine in self._machines.items()}
        return {"machines": machines, "stats": dict(self.stats)}

    def restore(self, state: Mapping[str, Any]) -> Self:
        self._machines = {name: _Machine(**raw) for name, raw in state.get("machines", {}).items()}
        self.stats = Stats(state.get("stats", {}))
        return self
