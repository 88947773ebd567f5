"""The pure stages between the inbox and the store: map, then validate + identify + hash.

`run_stages(message, mapper)` is a function of its inputs only, so it can be tested from golden files and
run in a worker thread. The failing stage is named in the result; the runner parks such a message in
the dead-letter store. Dedupe (same event hash) and the write are the store stage, done by the runner
for the whole batch in one transaction.
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


def run_stages(message: Message, mapper: Mapper) -> list[PreparedEvent] | Failed:
    """Map the message and prepare every event it yields; the first failure fails the whole message (its
    events are one unit: a half-mapped message would be a hole in the genealogy)."""
    try:
        produced = mapper(message)
    except Exception as exc:
        return Failed(MAP, describe(exc))
    prepared: list[PreparedEvent] = []
    for position, event in enumerate(produced):
        body: Any = dict(event) if isinstance(event, Mapping) else event
        context = body.pop("@context", None) if isinstance(body, dict) else None
        result = prepare_event(body, context_prefixes(context), extra_context(context) if context else ())
        if not isinstance(result, PreparedEvent):
            where = f"event {position}: " if len(produced) > 1 else ""
            return Failed(VALIDATE, where + "; ".join(str(issue) for issue in result))
        prepared.append(result)
    return prepared


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
