"""The pure stages between the inbox and the store: map, then validate + identify + hash.

`stage(message, mapper)` is a function of its inputs only, so it can be tested from golden files and
run in a worker thread. The failing stage is named in the result; the runner parks such a message in
the dead-letter store. Dedupe (same event hash) and the write are the store stage, done by the runner
for the whole batch in one transaction.

A mapper may return EPCIS events and CloudEvents-wrapped operational events (`lotline.mapping`): they
are split here, EPCIS events prepared, envelopes checked. A mapper that can say which mapping takes a
message (`mapper_for(message)`, like `lotline.mapping.MappingSet`) or that is one mapping (`name` and
`version`, like `lotline.mapping.Mapper`) has its `name@version` kept in the provenance of every event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from lotline.connectors.base import Message
from lotline.connectors.wrappers.deadletter import describe
from lotline.epcis.document import document_events, extra_context
from lotline.epcis.hashing import context_prefixes
from lotline.model.envelope import CloudEvent
from lotline.pipeline.prepare import PreparedEvent, prepare_event

# Turns one source message into EPCIS 2.0 event objects (JSON-LD dicts). `lotline.mapping` provides them;
# a message that means nothing for traceability (a heartbeat) maps to no events.
Mapper = Callable[[Message], Sequence[Mapping[str, Any]]]

MAP = "map"
VALIDATE = "validate"
STORE = "store"


@dataclass(frozen=True, slots=True)
class Failed:
    """Why a message cannot go on: the stage that refused it and the error, as the dead letter keeps it."""

    stage: str
    error: str


@dataclass(frozen=True, slots=True)
class Staged:
    """What one message became: prepared EPCIS events, operational envelopes (JSON objects), the mapping
    that made them (`name@version`, None for a plain function) and the plant it was loaded for."""

    events: list[PreparedEvent]
    operational: list[dict[str, Any]]
    mapping: str | None = None
    plant: str | None = None


def run_stages(message: Message, mapper: Mapper) -> list[PreparedEvent] | Failed:
    """The prepared EPCIS events of `stage` (operational events are left out: use `stage` for them)."""
    result = stage(message, mapper)
    return result if isinstance(result, Failed) else result.events


def stage(message: Message, mapper: Mapper) -> Staged | Failed:
    """Map the message and prepare every event it yields; the first failure fails the whole message (its
    events are one unit: a half-mapped message would be a hole in the genealogy)."""
    label: str | None = None
    plant: str | None = None
    try:
        chosen: Any = mapper
        mapper_for = getattr(mapper, "mapper_for", None)
        if callable(mapper_for):
            chosen = mapper_for(message)
        if isinstance(getattr(chosen, "name", None), str) and hasattr(chosen, "version"):
            label = f"{chosen.name}@{chosen.version}"
            plant = getattr(chosen, "plant", None)
        produced = chosen(message)
    except Exception as exc:
        return Failed(MAP, describe(exc))
    prepared: list[PreparedEvent] = []
    operational: list[dict[str, Any]] = []
    for position, event in enumerate(produced):
        where = f"event {position}: " if len(produced) > 1 else ""
        if isinstance(event, Mapping) and "specversion" in event:  # a CloudEvents envelope
            try:
                operational.append(CloudEvent.model_validate(event).to_json())
            except ValueError as exc:
                return Failed(VALIDATE, where + f"invalid CloudEvents envelope: {exc}")
            continue
        body: Any = dict(event) if isinstance(event, Mapping) else event
        context = body.pop("@context", None) if isinstance(body, dict) else None
        result = prepare_event(body, context_prefixes(context), extra_context(context) if context else ())
        if not isinstance(result, PreparedEvent):
            return Failed(VALIDATE, where + "; ".join(str(issue) for issue in result))
        prepared.append(result)
    return Staged(prepared, operational, label, plant)


def epcis_json(message: Message) -> list[dict[str, Any]]:
    """The mapper for sources that already speak EPCIS 2.0 JSON-LD: a payload that is one event, a list of
    events, or an EPCISDocument. A document's @context travels with each of its events, so the event
    hash (which depends on the namespace prefixes) is the one the document would give."""
    data = orjson.loads(message.payload)
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object or array, got {type(data).__name__}")
    if data.get("type") in ("EPCISDocument", "EPCISQueryDocument"):
        context = data.get("@context")
        return [
            {"@context": context, **e} if context and isinstance(e, dict) and "@context" not in e else e
            for e in document_events(data)
        ]
    return [data]
