"""The telemetry stage: rules behind the runner's mapper signature, `stage(message) -> events`.

    stage = TelemetryStage(load_rules("rules.yaml"), state_path=Path("var/telemetry-state.json"))
    runner = Runner(engine, {"line-2": sparkplug, "tick": TickSource(10)}, stage)

A data message (Sparkplug, OPC UA or plain JSON, see `lotline.telemetry.adapters`) is turned into samples
and fed to the rules; the stage returns the business events that closed: EPCIS events as JSON-LD dicts,
operational events in their CloudEvents envelope (as `lotline.mapping` mappers do; `is_operational` tells
them apart). A *tick* message (`tick_message(t)`, sent by `TickSource`) closes what time has closed without
new samples: `flush(t - lateness)`.

Restarts. With `state_path`, the state is loaded at start and saved atomically (write, then rename) after
every message, before its events are handed back. The state also keeps the events of the recent messages
that produced any (the last `replay_window` calls). With the runner this counts every sample once: the
runner marks an inbox row done only after the batch's events are written, so a crash before that leaves the
row pending and the message comes again after the restart. If the state was saved after it, its samples are
stale (skipped) and the remembered events are handed back again (the store recognises them by their hash);
if not, the message is processed for the first time. `save_every=n` saves every n-th message only (and
after every message that produced events): faster, but a crash loses the last n-1 messages' samples from
the state (a counter rule recovers them from the next reading; other rules see a later transition).
`fsync=True` also survives a power loss, at the price of a disk flush per save.

Ids: an operational event's envelope id derives from its business key (rule, type, subject and period), so
an event emitted again for the same order and interval, or the same downtime, keeps its id.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from lotline.connectors.base import Message
from lotline.epcis.timefmt import format_time, parse_time
from lotline.mapping.mapper import is_operational
from lotline.model.envelope import CloudEvent
from lotline.model.operational import OperationalEvent, event_data
from lotline.telemetry.adapters import samples_of
from lotline.telemetry.rule import Output
from lotline.telemetry.ruleset import RuleSet
from lotline.telemetry.spec import micros

__all__ = ["TICK_HEADER", "TelemetryStage", "tick_message"]

TICK_HEADER = "lotline-telemetry-tick"


def tick_message(time: int, source: str = "telemetry-tick") -> Message:
    """A tick: "close what time `time` (microseconds since the epoch) has closed". Its id is its time, so a
    redelivered tick is the same message."""
    stamp = format_time(time)
    payload = orjson.dumps({"tick": stamp, "micros": time})
    return Message(source, f"tick/{time}", payload, topic="telemetry/tick", headers={TICK_HEADER: stamp})


class TelemetryStage:
    """Feeds messages to a RuleSet; callable with the runner's mapper signature."""

    def __init__(
        self,
        rules: RuleSet,
        *,
        state_path: Path | None = None,
        save_every: int = 1,
        replay_window: int = 5000,
        fsync: bool = False,
        operational: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        """`operational`, when given, receives the operational events and the stage returns only the EPCIS
        events (for a pipeline that stores only EPCIS); otherwise the stage returns both."""
        self.rules = rules
        self.state_path = state_path
        self.save_every = max(1, save_every)
        self.replay_window = replay_window
        self.fsync = fsync
        self._operational = operational
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, tuple[int, list[dict[str, Any]]]] = OrderedDict()
        self._seq = 0  # messages processed, for the replay window
        self._unsaved = 0
        if state_path is not None and state_path.is_file():
            self.restore(orjson.loads(state_path.read_bytes()))

    def __call__(self, message: Message) -> list[dict[str, Any]]:
        key = f"{message.source}\n{message.message_id}"
        with self._lock:
            events = self._process(message)  # fed even when seen: its samples are stale then, or missing
            seen = self._recent.get(key)
            if seen is not None:
                events = seen[1]
            elif events:
                self._recent[key] = (self._seq, events)
            self._seq += 1
            while self._recent and next(iter(self._recent.values()))[0] < self._seq - self.replay_window:
                self._recent.popitem(last=False)
            self._unsaved += 1
            if self.state_path is not None and (events or self._unsaved >= self.save_every):
                self._save(self.state_path)
        return self._route(events)

    def _process(self, message: Message) -> list[dict[str, Any]]:
        if TICK_HEADER in message.headers:
            until = int(
                orjson.loads(message.payload).get("micros") or parse_time(message.headers[TICK_HEADER])
            )
            return self._wrap(self.rules.flush(until - micros(self.rules.spec.lateness)))
        outputs: list[tuple[str, Output]] = []
        for sample in samples_of(message, self.rules.spec.inputs):
            outputs.extend(self.rules.feed(sample))
        return self._wrap(outputs)

    def flush(self, until: int) -> list[dict[str, Any]]:
        """Close what `until` (microseconds, exactly: no lateness) has closed; the events, routed as by a call."""
        with self._lock:
            events = self._wrap(self.rules.flush(until))
            if self.state_path is not None:
                self._save(self.state_path)
        return self._route(events)

    def _route(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self._operational is None:
            return events
        operational = [e for e in events if is_operational(e)]
        if operational:
            self._operational(operational)
        return [e for e in events if not is_operational(e)]

    def _wrap(self, outputs: Sequence[tuple[str, Output]]) -> list[dict[str, Any]]:
        return [self._envelope(rule, o) if isinstance(o, OperationalEvent) else o for rule, o in outputs]

    def _envelope(self, rule: str, event: OperationalEvent) -> dict[str, Any]:
        data = event_data(event)
        confirmation = "orderId" in data  # one per order, equipment and interval, whatever its quantities
        when = None if confirmation else data["time"]
        business_key = [
            rule,
            event.EVENT_TYPE,
            event.subject(),
            data.get("equipment"),
            data.get("periodStart"),
            when,
        ]
        digest = hashlib.sha256(orjson.dumps(business_key)).hexdigest()[:32]
        return CloudEvent(
            id=digest,
            source=f"lotline/telemetry/{self.rules.name}/{rule}",
            type=event.EVENT_TYPE,
            time=data["time"],
            subject=event.subject(),
            data=data,
            plant=event.plant,
            correlationid=data.get("orderId"),
        ).to_json()

    # --- state -------------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        recent = [[key, seq, events] for key, (seq, events) in self._recent.items()]
        return {**self.rules.to_state(), "seq": self._seq, "recent": recent}

    def restore(self, state: dict[str, Any]) -> TelemetryStage:
        self.rules.restore(state)
        self._seq = int(state.get("seq", 0))
        recent = state.get("recent", []) if state.get("version") == self.rules.spec.version else []
        self._recent = OrderedDict((key, (seq, events)) for key, seq, events in recent)
        return self

    def save(self, path: Path) -> None:
        with self._lock:
            self._save(path)

    def _save(self, path: Path) -> None:
        """Write the state atomically: a crash leaves the old file or the new one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("wb") as out:
            out.write(orjson.dumps(self._state()))
            if self.fsync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, path)
        self._unsaved = 0
