"""The runner on SQLite and PostgreSQL: stored once, duplicates counted, failures parked, crash recovery,
replay after a fix, bounded queues and fair draining."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from lotline.connectors import Message
from lotline.connectors.memory import MemoryBroker, MemoryConfig, MemorySource
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.pipeline.stages import epcis_json, run_stages
from lotline.store.audit import entries
from lotline.store.dlq import LetterState, list_letters, replay
from lotline.store.engine import writer
from lotline.store.events import Provenance, count_events, write_events
from lotline.store.inbox import admit, counts
from tests.pipeline.helpers import event_payload, run_until

FAST = RunnerSettings(batch_size=50, batch_wait=0.001, rescan_interval=0.02)


def source(broker: MemoryBroker, name: str = "line-1", channel: str = "c") -> MemorySource:
    return MemorySource(MemoryConfig(channel=channel, name=name), broker)


def test_messages_are_stored_acknowledged_and_counted(engine: sa.Engine) -> None:
    broker = MemoryBroker()
    broker.publish("c", [event_payload(i) for i in range(30)])
    runner = Runner(engine, {"line-1": source(broker)}, epcis_json, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.stored == 30))
    assert count_events(engine) == 30
    assert counts(engine) == {"pending": 0, "done": 30, "dead": 0}
    channel = broker.channel("c")
    assert not channel.ready and not channel.inflight, "every message was acknowledged"
    total = runner.counters.snapshot()["sources"]["line-1"]  # type: ignore[index]
    assert total == {
        "received": 30,
        "redelivered": 0,
        "processed": 30,
        "stored": 30,
        "duplicates": 0,
        "dead_lettered": 0,
    }


def test_a_redelivered_message_is_stored_once(engine: sa.Engine) -> None:
    first = MemoryBroker()
    first.publish("c", [event_payload(1)])
    runner = Runner(engine, {"line-1": source(first)}, epcis_json, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.stored == 1))
    # the broker lost its acknowledgement state: c/1 comes again, with c/2
    again = MemoryBroker()
    again.publish("c", [event_payload(1), event_payload(2)])
    runner = Runner(engine, {"line-1": source(again)}, epcis_json, FAST)
    asyncio.run(
        run_until(runner, lambda: runner.counters.total.received == 2 and runner.counters.total.stored == 1)
    )
    assert count_events(engine) == 2
    assert runner.counters.total.redelivered == 1 and runner.counters.total.processed == 1


def test_the_same_event_under_another_message_id_is_a_counted_duplicate(engine: sa.Engine) -> None:
    broker = MemoryBroker()
    broker.publish("c", [event_payload(7), event_payload(7)])
    runner = Runner(engine, {"line-1": source(broker)}, epcis_json, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.processed == 2))
    assert count_events(engine) == 1
    assert (runner.counters.total.stored, runner.counters.total.duplicates) == (1, 1)
    assert counts(engine)["done"] == 2


def test_failures_are_parked_whole_and_the_batch_goes_on(engine: sa.Engine) -> None:
    broker = MemoryBroker()
    bad = b'{"type": "ObjectEvent", "action": "OBSERVE"}'
    broker.publish("c", [event_payload(1), b"\xff not json", bad, event_payload(2)], topic="plant/l1")
    runner = Runner(engine, {"line-1": source(broker)}, epcis_json, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.processed == 4))
    assert count_events(engine) == 2
    letters = sorted(list_letters(engine), key=lambda r: r.message_id)
    assert [(r.message_id, r.stage, r.attempts) for r in letters] == [
        ("c/2", "map", 1),
        ("c/3", "validate", 1),
    ]
    assert letters[0].payload == b"\xff not json" and letters[0].topic == "plant/l1"
    assert "eventTime" in letters[1].error
    assert counts(engine) == {"pending": 0, "done": 2, "dead": 2}
    assert runner.counters.total.dead_lettered == 2


def test_replay_after_fixing_the_cause_stores_the_message(engine: sa.Engine) -> None:
    broker = MemoryBroker()
    broker.publish("c", [b'{"serial": 5}'])

    def strict(message: Message) -> Sequence[dict[str, Any]]:
        return epcis_json(message)  # the native payload is not EPCIS: the mapping is missing

    def fixed(message: Message) -> Sequence[dict[str, Any]]:
        from tests.api.test_capture import object_event

        return [object_event(int(__import__("orjson").loads(message.payload)["serial"]))]

    runner = Runner(engine, {"line-1": source(broker)}, strict, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.dead_lettered == 1))
    [letter] = list_letters(engine)
    assert letter.stage == "validate"
    replay(engine, [letter.id], actor="test")
    runner = Runner(engine, {"line-1": source(broker)}, fixed, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.total.stored == 1))
    assert count_events(engine) == 1
    assert list_letters(engine)[0].state is LetterState.REPLAYED
    assert counts(engine) == {"pending": 0, "done": 1, "dead": 0}
    assert [e.action for e in entries(engine)] == ["dlq.replay"]


def test_after_a_crash_unfinished_rows_are_processed_once(engine: sa.Engine) -> None:
    """The state a kill -9 leaves: messages acknowledged and in the inbox, some of their events already
    written (the crash came between the event write and the inbox update), and the source redelivering
    what it had not seen acknowledged."""
    crashed = [Message("line-1", f"c/{i}", event_payload(i)) for i in range(1, 41)]
    admit(engine, crashed)
    half = [run_stages(m, epcis_json) for m in crashed[:20]]
    write_events(engine, [e for events in half for e in events], Provenance("connector"), 1)  # type: ignore[union-attr]
    broker = MemoryBroker()
    broker.publish("c", [event_payload(i) for i in range(1, 51)])  # c/1..c/40 again, and c/41..c/50
    runner = Runner(engine, {"line-1": source(broker)}, epcis_json, FAST)
    asyncio.run(run_until(runner, lambda: counts(engine) == {"pending": 0, "done": 50, "dead": 0}))
    assert count_events(engine) == 50
    with engine.connect() as conn:
        hashes = conn.execute(sa.text("SELECT COUNT(DISTINCT event_hash) FROM events")).scalar_one()
    assert hashes == 50
    total = runner.counters.total
    assert (total.received, total.redelivered + total.processed - 40) == (50, 50)
    assert total.stored == 30 and total.duplicates == 20


def test_a_full_queue_stops_reading_the_source(engine: sa.Engine) -> None:
    broker = MemoryBroker()
    broker.publish("c", [event_payload(i) for i in range(200)])
    gate = threading.Event()

    def slow(message: Message) -> Sequence[dict[str, Any]]:
        gate.wait(10)
        return epcis_json(message)

    settings = RunnerSettings(batch_size=5, batch_wait=0, queue_size=5, rescan_interval=0.02)
    runner = Runner(engine, {"line-1": source(broker)}, slow, settings)

    async def scenario() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await asyncio.sleep(0.2)  # the first batch is stuck in the mapper
        unread = broker.backlog("c")
        gate.set()
        try:
            while runner.counters.total.stored < 200:
                await asyncio.sleep(0.005)
        finally:
            stop.set()
            await task
        return unread

    unread = asyncio.run(scenario())
    assert unread >= 200 - (5 + 5 + 1), "one batch in work, a full queue and one read waiting; no more"
    assert count_events(engine) == 200


def test_a_backlog_does_not_starve_live_messages(engine: sa.Engine) -> None:
    admit(engine, [Message("old", f"o{i}", event_payload(i)) for i in range(1000)])
    order: list[str] = []

    def recording(message: Message) -> Sequence[dict[str, Any]]:
        order.append(message.source)
        return epcis_json(message)

    broker = MemoryBroker()
    broker.publish("c", [event_payload(5000 + i) for i in range(20)])
    runner = Runner(engine, {"live": source(broker, "live")}, recording, FAST)
    asyncio.run(run_until(runner, lambda: runner.counters.of("live").stored == 20))
    live_positions = [i for i, name in enumerate(order) if name == "live"]
    assert max(live_positions) < 200, "live messages go in the first batches, not after the 1,000 old ones"
    assert order.count("old") < 1000, "live data was done while the backlog was still draining"


def test_a_flooding_source_does_not_starve_another(engine: sa.Engine) -> None:
    flood, trickle = MemoryBroker(), MemoryBroker()
    flood.publish("c", [event_payload(i) for i in range(400)])
    trickle.publish("c", [event_payload(9000 + i) for i in range(10)])
    order: list[str] = []

    def recording(message: Message) -> Sequence[dict[str, Any]]:
        order.append(message.source)
        return epcis_json(message)

    settings = RunnerSettings(batch_size=20, batch_wait=0.001, queue_size=500, rescan_interval=0.02)
    sources = {"flood": source(flood, "flood"), "trickle": source(trickle, "trickle")}
    runner = Runner(engine, sources, recording, settings)
    asyncio.run(run_until(runner, lambda: runner.counters.total.stored == 410))
    assert max(i for i, name in enumerate(order) if name == "trickle") < 60


def test_an_outage_of_the_source_is_ridden_out(engine: sa.Engine) -> None:
    broker = MemoryBroker()
    broker.down = True
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            broker.down = False
            broker.publish("c", [event_payload(1)])
        await asyncio.sleep(0)

    runner = Runner(engine, {"line-1": source(broker)}, epcis_json, FAST, sleep=sleep)
    asyncio.run(run_until(runner, lambda: runner.counters.total.stored == 1))
    assert len(slept) >= 3


def test_a_store_error_leaves_the_rows_for_the_next_scan(engine: sa.Engine) -> None:
    """A store error leaves the rows pending; the next scan takes them up."""
    broker = MemoryBroker()
    broker.publish("c", [event_payload(1)])
    calls = {"n": 0}

    def flaky(message: Message) -> Sequence[dict[str, Any]]:
        calls["n"] += 1
        if calls["n"] == 1:
            with writer(engine).begin() as conn:  # a broken database for this batch
                conn.exec_driver_sql("ALTER TABLE dead_letters RENAME TO dl_moved")
            return [{"not": "an event"}]
        return epcis_json(message)

    async def no_sleep(_: float) -> None:
        await asyncio.sleep(0)

    runner = Runner(engine, {"line-1": source(broker)}, flaky, FAST, sleep=no_sleep)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        while runner.counters.store_errors == 0:
            await asyncio.sleep(0.002)
        await asyncio.to_thread(_restore, engine)
        while runner.counters.total.stored == 0:
            await asyncio.sleep(0.002)
        stop.set()
        await task

    asyncio.run(asyncio.wait_for(scenario(), 10))
    assert count_events(engine) == 1 and counts(engine)["done"] == 1


def _restore(engine: sa.Engine) -> None:
    with writer(engine).begin() as conn:
        conn.exec_driver_sql("ALTER TABLE dl_moved RENAME TO dead_letters")
