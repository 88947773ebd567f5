"""The pure capture stage: one EPCIS event in, a row-ready `PreparedEvent` out (or the issues found).

validate (GS1 schema + EPCIS rules) -> identify (identity keys for every EPC, location and party)
-> event hash (CBV 2.0) -> the indexed columns. No I/O: the store writes what this returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from lotline.epcis.hashing import event_hash
from lotline.epcis.identifiers import identity_key, known_identity_key
from lotline.epcis.timefmt import format_time, parse_time
from lotline.epcis.validation import validate_event
from lotline.epcis.vocab import short_cbv
from lotline.errors import IdentifierError, Issue
from lotline.store import schema as s

_EPC_LISTS = (
    ("epcList", s.ROLE_EPC),
    ("childEPCs", s.ROLE_CHILD),
    ("inputEPCList", s.ROLE_INPUT),
    ("outputEPCList", s.ROLE_OUTPUT),
)
_QTY_LISTS = (
    ("quantityList", s.ROLE_QTY),
    ("childQuantityList", s.ROLE_CHILD_QTY),
    ("inputQuantityList", s.ROLE_INPUT_QTY),
    ("outputQuantityList", s.ROLE_OUTPUT_QTY),
)
_REF_LISTS = (
    ("bizTransactionList", "bizTransaction", s.REF_BIZ_TRANSACTION, "bizTransactionType"),
    ("sourceList", "source", s.REF_SOURCE, "sourceDestType"),
    ("destinationList", "destination", s.REF_DESTINATION, "sourceDestType"),
)


# A prepared event as a plain tuple, in this order: event_id, event_hash, event_type, event_time, action,
# biz_step, disposition, read_point, biz_location, transformation_id, error_declared, body (JSON text with
# its recordTime), epcs [(role, key, raw)], refs [(kind, type, value, raw)]. Worker processes hand these
# back: a tuple of strings and ints pickles and unpickles in C, a dataclass instance does not.
EventRow = tuple[
    str,
    str,
    str,
    int,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    bool,
    str,
    list[tuple[str, str, str | None]],
    list[tuple[str, str, str, str | None]],
]


@dataclass(slots=True)
class PreparedEvent:
    """An event ready to store: the event as it will be served back, its identity and its index rows."""

    event: dict[str, Any]
    event_id: str
    event_hash: str
    event_type: str
    event_time: int
    action: str | None
    biz_step: str | None
    disposition: str | None
    read_point: str | None
    biz_location: str | None
    transformation_id: str | None
    error_declared: bool
    epcs: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # (role, identity key, raw if different)
    refs: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # (kind, type, value, raw)
    body: str | None = None  # the stored JSON, once `serialise` has run
    record_time: int | None = None

    def row(self, record_time: int) -> EventRow:
        """The event as a plain tuple (cheap to move between processes and to bind): see `EventRow`."""
        return (
            self.event_id,
            self.event_hash,
            self.event_type,
            self.event_time,
            self.action,
            self.biz_step,
            self.disposition,
            self.read_point,
            self.biz_location,
            self.transformation_id,
            self.error_declared,
            self.serialise(record_time),
            self.epcs,
            self.refs,
        )

    def serialise(self, record_time: int) -> str:
        """The event as stored and served: with its recordTime, as JSON text. Drops the dict afterwards
        (the text is what a worker process hands back)."""
        if self.body is None or self.record_time != record_time:
            self.event["recordTime"] = format_time(record_time)  # (last, as `_index` took it out)
            self.body = orjson.dumps(self.event).decode()
            self.record_time = record_time
            self.event = {}
        return self.body


def prepare_event(
    event: Any, context: Mapping[str, str] | None = None, extra_context: Sequence[Any] = ()
) -> PreparedEvent | list[Issue]:
    """Validate and index one event. `context` holds the document's namespace prefixes (for the hash),
    `extra_context` the document's non-standard @context entries, kept with the event so it can be served
    back on its own."""
    if not isinstance(event, dict):
        return [Issue("", f"an event must be a JSON object, got {type(event).__name__}")]
    issues = validate_event(event)
    if issues:
        return issues
    try:
        return _index(event, context, extra_context)
    except IdentifierError as exc:
        return [Issue("", str(exc))]


def _index(event: dict[str, Any], context: Mapping[str, str] | None, extra: Sequence[Any]) -> PreparedEvent:
    stored = dict(event)
    stored.pop("recordTime", None)
    if extra and "@context" not in stored:
        stored = {"@context": list(extra), **stored}
    digest = event_hash(stored, context)
    event_id = stored.get("eventID") or digest
    stored["eventID"] = event_id

    return PreparedEvent(
        event=stored,
        event_id=event_id,
        event_hash=digest,
        event_type=stored["type"],
        event_time=parse_time(stored["eventTime"]),
        action=stored.get("action"),
        biz_step=_cbv("bizStep", stored.get("bizStep")),
        disposition=_cbv("disposition", stored.get("disposition")),
        read_point=_location(stored.get("readPoint")),
        biz_location=_location(stored.get("bizLocation")),
        transformation_id=stored.get("transformationID"),
        error_declared="errorDeclaration" in stored,
        epcs=identifiers_of(stored),
        refs=references_of(stored),
    )


def identifiers_of(event: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """(role, identity key, form captured if different) of every identifier in an event's EPC fields;
    one named twice in the same field is indexed once."""
    found: dict[tuple[str, str], str] = {}
    known = known_identity_key  # the keys the event hash has just worked out (the common case, inline)
    for name, role in _EPC_LISTS:
        if epcs := event.get(name):
            for epc in epcs:
                found.setdefault((role, known(epc) or identity_key(epc)), epc)
    if parent := event.get("parentID"):
        found.setdefault((s.ROLE_PARENT, identity_key(parent)), parent)
    for name, role in _QTY_LISTS:
        if elements := event.get(name):
            for element in elements:
                epc_class = element["epcClass"]
                found.setdefault((role, known(epc_class) or identity_key(epc_class)), epc_class)
    return [(role, key, None if raw == key else raw) for (role, key), raw in found.items()]


def references_of(event: Mapping[str, Any]) -> list[tuple[str, str, str, str | None]]:
    """(kind, CBV type, identity key, form captured if different) of business transactions, sources and
    destinations."""
    found: dict[tuple[str, str, str], str] = {}
    known = known_identity_key
    for name, value_key, kind, vocab in _REF_LISTS:
        if refs := event.get(name):
            for ref in refs:
                kind_type = short_cbv(vocab, ref["type"]) if ref.get("type") else ""
                value = ref[value_key]
                found.setdefault((kind, kind_type, known(value) or identity_key(value)), value)
    return [
        (kind, kind_type, value, None if raw == value else raw)
        for (kind, kind_type, value), raw in found.items()
    ]


def _cbv(kind: str, value: str | None) -> str | None:
    return short_cbv(kind, value) if value else None


def _location(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("id"):
        return identity_key(value["id"])
    return None
