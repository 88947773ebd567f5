"""The runner's processing step for one batch of inbox rows: pure stages, then one write.

Synchronous and blocking (the runner calls it in a worker thread). EPCIS events and operational events
are written in one transaction (`lotline.store.events.write_rows_on`, `lotline.store.operational.store_on`),
each with its own provenance (connector, message id, plant, received time, mapping, correlation id);
then, in one more transaction, every row is settled (done or dead) and the dead letters are parked. A crash between the two transactions leaves rows pending: they are
processed again on restart, and their events are then recognised by hash as duplicates, so every event
is still stored exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from lotline.connectors.wrappers.deadletter import DeadLetter
from lotline.epcis.timefmt import now_micros
from lotline.pipeline.counters import Counters
from lotline.pipeline.prepare import PreparedEvent
from lotline.pipeline.stages import STORE, Failed, Mapper, Staged, stage
from lotline.store.dlq import park_on
from lotline.store.engine import writer
from lotline.store.events import Provenance, write_rows_on
from lotline.store.inbox import InboxItem, settle_on
from lotline.store.operational import store_on

PROVENANCE = Provenance(interface="connector")


@dataclass(slots=True)
class BatchOutcome:
    done: list[int] = field(default_factory=list)  # inbox ids
    dead: list[DeadLetter] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)  # per source
    duplicates: dict[str, int] = field(default_factory=dict)

    def count_into(self, counters: Counters, items: Sequence[InboxItem]) -> None:
        for item in items:
            counters.of(item.message.source).processed += 1
        for source, n in self.stored.items():
            counters.of(source).stored += n
        for source, n in self.duplicates.items():
            counters.of(source).duplicates += n
        for letter in self.dead:
            counters.of(letter.source).dead_lettered += 1


def provenance_of(item: InboxItem, staged: Staged) -> Provenance:
    """The provenance shared by every event of one message. The plant is the one the mapping was loaded
    for, else the message's `plant` header (set by `lotline.config` from the connector's plant); the
    correlation id is the message's `correlationid` header, else the first one its operational events
    carry (so the EPCIS events of an order confirmation follow the order too)."""
    message = item.message
    correlation = message.headers.get("correlationid")
    if correlation is None:
        correlation = next((e["correlationid"] for e in staged.operational if "correlationid" in e), None)
    return Provenance(
        interface=PROVENANCE.interface,
        source_message_id=message.message_id,
        source=message.source,
        plant=staged.plant or message.headers.get("plant"),
        received_time=message.received_at,
        mapping=staged.mapping,
        correlation_id=correlation,
    )


def process_batch(engine: Engine, items: Sequence[InboxItem], mapper: Mapper) -> BatchOutcome:
    """Map, validate, identify, dedupe and store a batch; park each message that fails, keep going."""
    outcome = BatchOutcome()
    events: list[PreparedEvent] = []
    owner: list[int] = []  # for each event, the position of its message in `items`
    per_event: list[Provenance] = []
    operational: list[tuple[int, dict[str, Any], Provenance]] = []
    failed: dict[int, Failed] = {}
    for position, item in enumerate(items):
        result = stage(item.message, mapper)
        if isinstance(result, Failed):
            failed[position] = result
            continue
        provenance = provenance_of(item, result)
        events.extend(result.events)
        owner.extend([position] * len(result.events))
        per_event.extend([provenance] * len(result.events))
        operational.extend((position, envelope, provenance) for envelope in result.operational)
    if events or operational:
        record_time = now_micros()
        rows = [p.row(record_time) for p in events]
        with writer(engine).begin() as conn:
            written = write_rows_on(
                conn, rows, PROVENANCE, record_time, all_or_nothing=False, per_row=per_event
            )
            for index, conflict in written.conflicts:
                failed.setdefault(owner[index], Failed(STORE, conflict))
            # a message with a conflicting event is parked whole: none of its operational events either
            kept = [entry for entry in operational if entry[0] not in failed]
            ops = store_on(conn, [e for _, e, _ in kept], [p for _, _, p in kept], record_time)
        for index in written.stored:
            _add(outcome.stored, items[owner[index]].message.source)
        for index in written.duplicates:
            _add(outcome.duplicates, items[owner[index]].message.source)
        for index in ops.stored:
            _add(outcome.stored, items[kept[index][0]].message.source)
        for index in ops.duplicates:
            _add(outcome.duplicates, items[kept[index][0]].message.source)
    for position, item in enumerate(items):
        if position in failed:
            why = failed[position]
            outcome.dead.append(DeadLetter.inbound(item.message, why.stage, why.error, item.attempts + 1))
        else:
            outcome.done.append(item.id)
    dead_ids = [items[position].id for position in failed]
    with writer(engine).begin() as conn:
        settle_on(conn, outcome.done, dead_ids)
        park_on(conn, outcome.dead)
    return outcome


def _add(counts: dict[str, int], source: str) -> None:
    counts[source] = counts.get(source, 0) + 1
