"""The capture runner: the one impure step that turns a document into stored events.

Used by the REST capture endpoints and by `lotline import`. Pure work (validation, identity, hashing)
happens in `lotline.pipeline.prepare`; this module decides rollback versus proceed and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lotline.epcis.document import document_events, extra_context
from lotline.epcis.hashing import context_prefixes
from lotline.epcis.timefmt import now_micros
from lotline.epcis.validation import validate_document
from lotline.errors import Issue, ValidationError
from lotline.pipeline.prepare import EventRow, PreparedEvent, prepare_event
from lotline.store.events import OwnWrites, Provenance, write_rows

ROLLBACK = "rollback"
PROCEED = "proceed"


@dataclass
class CaptureOutcome:
    """What happened to each event of a capture: counts and, per rejected event, its index and reasons."""

    total: int = 0
    stored: int = 0
    duplicates: int = 0
    duplicate_indexes: list[int] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def add(self, other: CaptureOutcome, offset: int) -> None:
        self.total += other.total
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.duplicate_indexes.extend(i + offset for i in other.duplicate_indexes)
        self.stored_ids.extend(other.stored_ids)
        self.errors.extend({**e, "index": e["index"] + offset} for e in other.errors)


@dataclass(frozen=True)
class DocumentParts:
    """The events of a document with the context they need to be hashed and served on their own."""

    events: list[Any]
    prefixes: dict[str, str]
    extra_context: list[Any]


def split_document(doc: dict[str, Any]) -> DocumentParts:
    """Check the document envelope and take it apart; raises ValidationError for a bad envelope."""
    issues = validate_document(doc)
    if issues:
        raise ValidationError(issues)
    context = doc.get("@context")
    return DocumentParts(document_events(doc), context_prefixes(context), extra_context(context))


Prepared = tuple[list[tuple[int, PreparedEvent]], list[dict[str, Any]]]
# The same with the good events as rows (`PreparedEvent.row`): what worker processes hand back.
PreparedRows = tuple[list[tuple[int, EventRow]], list[dict[str, Any]]]


def prepare_all(parts: DocumentParts, record_time: int | None = None) -> Prepared:
    """Prepare every event; returns the good ones with their index and an error entry per bad one.

    With `record_time`, each good event's stored body is serialised here already (so this pure, CPU-bound
    step can run in a worker process and hand back compact rows)."""
    good: list[tuple[int, PreparedEvent]] = []
    errors: list[dict[str, Any]] = []
    for index, event in enumerate(parts.events):
        result = prepare_event(event, parts.prefixes, parts.extra_context)
        if isinstance(result, PreparedEvent):
            if record_time is not None:
                result.serialise(record_time)
            good.append((index, result))
        else:
            errors.append(_error(index, event, result))
    return good, errors


def prepare_rows(parts: DocumentParts, record_time: int) -> PreparedRows:
    """`prepare_all` with the good events as rows, ready to store with `store_rows`."""
    good, errors = prepare_all(parts)
    return [(index, p.row(record_time)) for index, p in good], errors


def capture_parts(
    engine: Any,
    parts: DocumentParts,
    provenance: Provenance,
    behaviour: str = ROLLBACK,
    record_time: int | None = None,
) -> CaptureOutcome:
    """Validate, hash and store the events of one document (one transaction).

    rollback: any rejected event means nothing is stored. proceed: valid events are stored, the rest
    reported. Duplicates (hash already stored) are never errors: they are counted and skipped.
    """
    return store_prepared(engine, len(parts.events), prepare_all(parts), provenance, behaviour, record_time)


def store_prepared(
    engine: Any,
    total: int,
    prepared_parts: Prepared,
    provenance: Provenance,
    behaviour: str = ROLLBACK,
    record_time: int | None = None,
) -> CaptureOutcome:
    """The storing half of `capture_parts`, for events prepared elsewhere (e.g. in a worker process)."""
    record_time = record_time or now_micros()
    good, errors = prepared_parts
    rows = [(index, p.row(record_time)) for index, p in good]
    return store_rows(engine, total, (rows, errors), provenance, behaviour, record_time)


def store_rows(
    engine: Any,
    total: int,
    prepared_rows: PreparedRows,
    provenance: Provenance,
    behaviour: str = ROLLBACK,
    record_time: int | None = None,
    own: OwnWrites | None = None,
) -> CaptureOutcome:
    """`store_prepared` for events in row form (`own`: see `write_rows`)."""
    good, errors = prepared_rows
    outcome = CaptureOutcome(total=total)
    outcome.errors.extend(errors)
    if errors and behaviour == ROLLBACK:
        return outcome
    rows = [row for _, row in good]
    written = write_rows(
        engine, rows, provenance, record_time or now_micros(), all_or_nothing=behaviour == ROLLBACK, own=own
    )
    for position, reason in written.conflicts:
        index = good[position][0]
        outcome.errors.append({"index": index, "eventID": rows[position][0], "reason": reason})
    outcome.errors.sort(key=lambda e: e["index"])
    if written.committed:
        outcome.stored = len(written.stored)
        outcome.stored_ids = [rows[i][0] for i in written.stored]
        outcome.duplicates = len(written.duplicates)
        outcome.duplicate_indexes = [good[i][0] for i in written.duplicates]
    return outcome


def _error(index: int, event: Any, issues: Sequence[Issue]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "index": index,
        "reason": "; ".join(str(i) for i in issues),
        "issues": [{"path": i.path, "message": i.message} for i in issues],
    }
    if isinstance(event, dict) and isinstance(event.get("eventID"), str):
        entry["eventID"] = event["eventID"]
    return entry
