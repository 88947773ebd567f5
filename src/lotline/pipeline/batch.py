"""The runner's processing step for one batch of inbox rows: pure stages, then one write.

Synchronous and blocking (the runner calls it in a worker thread). Events are written with
`lotline.store.events.write_events`; then, in one more transaction, every row is settled (done or dead)
and the dead letters are parked. A crash between the two transactions leaves rows pending: they are
processed again on restart, and their events are then recognised by hash as duplicates, so every event
is still stored exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from lotline.connectors.wrappers.deadletter import DeadLetter
from lotline.epcis.timefmt import now_micros
from lotline.pipeline.counters import Counters
from lotline.pipeline.prepare import PreparedEvent
from lotline.pipeline.stages import STORE, Failed, Mapper, run_stages
from lotline.store.dlq import park_on
from lotline.store.engine import writer
from lotline.store.events import Provenance, write_events
from lotline.store.inbox import InboxItem, settle_on

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


def process_batch(engine: Engine, items: Sequence[InboxItem], mapper: Mapper) -> BatchOutcome:
    """Map, validate, identify, dedupe and store a batch; park each message that fails, keep going."""
    outcome = BatchOutcome()
    events: list[PreparedEvent] = []
    owner: list[int] = []  # for each event, the position of its message in `items`
    failed: dict[int, Failed] = {}
    for position, item in enumerate(items):
        result = run_stages(item.message, mapper)
        if isinstance(result, Failed):
            failed[position] = result
            continue
        events.extend(result)
        owner.extend([position] * len(result))
    if events:
        written = write_events(engine, events, PROVENANCE, now_micros(), all_or_nothing=False)
        for index in written.stored:
            source = items[owner[index]].message.source
            outcome.stored[source] = outcome.stored.get(source, 0) + 1
        for index in written.duplicates:
            source = items[owner[index]].message.source
            outcome.duplicates[source] = outcome.duplicates.get(source, 0) + 1
        for index, conflict in written.conflicts:
            failed.setdefault(owner[index], Failed(STORE, conflict))
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
