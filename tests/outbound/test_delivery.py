"""Outbound delivery through DBOS to a real HTTP receiver on loopback that fails on demand."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from lotline.connectors.webhook import verify_lotline_signature
from lotline.outbound import delivery_key
from lotline.store import dlq
from lotline.store.dlq import LetterState
from tests.outbound.conftest import Store, capture, event, run, webhook_route
from tests.outbound.receiver import Receiver


async def _letters(store: Store, count: int, timeout: float = 15.0) -> list[dlq.DeadLetterRecord]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        letters = dlq.list_letters(store.engine, stage="deliver", state=LetterState.OPEN)
        if len(letters) >= count:
            return letters
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} dead letters")


def test_every_event_is_delivered_once_with_a_valid_signature(store: Store) -> None:
    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            async with store.outbound(webhook_route(receiver.url)) as outbound:
                capture(store.engine, [event(n) for n in range(5)])
                outbound.poke()
                await receiver.until(5)
                await asyncio.sleep(0.3)  # nothing more arrives
        finally:
            await receiver.stop()
        assert len(receiver.posts) == 5, receiver.keys()
        assert len(set(receiver.keys())) == 5
        for post in receiver.posts:
            assert post.key.startswith("deliver:hook:")
            stamp, signature = post.headers["x-lotline-timestamp"], post.headers["x-lotline-signature"]
            assert verify_lotline_signature("route-secret", stamp, post.body, signature)
            assert not verify_lotline_signature("wrong", stamp, post.body, signature)

    run(body)


def test_only_matching_events_are_routed(sqlite_store: Store) -> None:
    store = sqlite_store
    route = webhook_route("http://127.0.0.1:9/unused", match={"biz_steps": ["receiving"]})

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            route2 = route.model_copy(update={"target": webhook_route(receiver.url).target})
            async with store.outbound(route2) as outbound:
                capture(store.engine, [event(1), event(2, biz_step="receiving"), event(3)])
                outbound.poke()
                await receiver.until(1)
                await asyncio.sleep(0.5)
        finally:
            await receiver.stop()
        assert len(receiver.posts) == 1
        assert b"receiving" in receiver.posts[0].body

    run(body)


def test_target_down_for_a_while_then_back_every_delivery_lands_exactly_once(sqlite_store: Store) -> None:
    store = sqlite_store
    route = webhook_route("http://placeholder", breaker={"failure_threshold": 2, "reset_after": 0.5})

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        await receiver.stop()  # the port is known, nobody listens on it
        hook = route.model_copy(update={"target": webhook_route(receiver.url).target})
        async with store.outbound(hook) as outbound:
            capture(store.engine, [event(n, lot=f"L{n % 3}") for n in range(6)])
            outbound.poke()
            for _ in range(200):  # deliveries fail until the circuit opens; then they wait
                if outbound.breaker_states() == {receiver.url: "open"}:
                    break
                await asyncio.sleep(0.05)
            assert outbound.breaker_states() == {receiver.url: "open"}
            assert receiver.posts == []
            await receiver.start()
            try:
                await receiver.until(6, timeout=20)
                await asyncio.sleep(0.3)
            finally:
                await receiver.stop()
        assert len(receiver.applied) == 6
        assert len(receiver.posts) == 6, "a delivery landed more than once"

    run(body)


def test_429_with_retry_after_and_5xx_are_retried_with_the_same_key(sqlite_store: Store) -> None:
    store = sqlite_store

    async def body() -> None:
        receiver = Receiver()
        receiver.answers = [(429, {"Retry-After": "1"}), (500, {}), (503, {})]
        await receiver.start()
        try:
            retry = {"max_attempts": 5, "base_delay": 0.01, "max_delay": 2.0}  # Retry-After is capped here
            async with store.outbound(webhook_route(receiver.url, retry=retry)) as outbound:
                capture(store.engine, [event(1)])
                outbound.poke()
                await receiver.until(1)
        finally:
            await receiver.stop()
        assert len(receiver.posts) == 4
        assert len(set(receiver.keys())) == 1, "every retry carries the same Idempotency-Key"
        assert receiver.posts[1].at - receiver.posts[0].at >= 0.9, "Retry-After was not honoured"

    run(body)


def test_a_4xx_is_dead_lettered_at_once_and_replays_after_the_fix(store: Store) -> None:
    async def body() -> None:
        receiver = Receiver()
        receiver.refuse = {b"BAD"}
        await receiver.start()
        try:
            async with store.outbound(webhook_route(receiver.url)) as outbound:
                capture(store.engine, [event(1, lot="BAD"), event(2)])
                outbound.poke()
                await receiver.until(1)
                [letter] = await _letters(store, 1)
                assert len([p for p in receiver.posts if b"BAD" in p.body]) == 1, "4xx is not retried"
                assert letter.source == "route:hook" and letter.stage == "deliver"
                assert letter.error.startswith("HTTP 422"), letter.error
                assert letter.attempts == 1
                assert b"BAD" in letter.payload
                receiver.refuse = set()  # the partner fixed their side
                dlq.replay(store.engine, [letter.id], "test")
                outbound.poke()
                await receiver.until(2)
        finally:
            await receiver.stop()
        bad = [p for p in receiver.posts if b"BAD" in p.body]
        assert len(bad) == 2 and bad[0].key == bad[1].key == letter.message_id
        assert dlq.get_letter(store.engine, letter.id).state is LetterState.REPLAYED

    run(body)


def test_retries_exhausted_dead_letter_the_delivery(sqlite_store: Store) -> None:
    store = sqlite_store
    route = webhook_route(
        "http://placeholder", retry={"max_attempts": 3, "base_delay": 0.01, "max_delay": 0.05}
    )

    async def body() -> None:
        receiver = Receiver()
        receiver.answers = [(500, {})] * 3
        await receiver.start()
        try:
            hook = route.model_copy(update={"target": webhook_route(receiver.url).target})
            async with store.outbound(hook) as outbound:
                capture(store.engine, [event(1)])
                outbound.poke()
                [letter] = await _letters(store, 1)
        finally:
            await receiver.stop()
        assert letter.attempts == 3 and letter.error.startswith("HTTP 500")
        assert receiver.applied == {}

    run(body)


def test_per_key_ordering_holds_a_later_event_until_the_earlier_is_delivered(sqlite_store: Store) -> None:
    store = sqlite_store
    """Lot L1's first delivery fails twice; L1's later events must still arrive after it, in capture
    order, while lot L2 is not held up."""

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        receiver.answers = [(503, {}), (503, {})]
        try:
            async with store.outbound(webhook_route(receiver.url, ordering="lot")) as outbound:
                capture(store.engine, [event(1, "L1")])
                outbound.poke()
                while not receiver.posts:  # the first L1 delivery has been tried (and failed)
                    await asyncio.sleep(0.02)
                capture(store.engine, [event(2, "L1"), event(3, "L2"), event(4, "L1")])
                outbound.poke()
                await receiver.until(4)
        finally:
            await receiver.stop()
        applied_l1 = [p.body for p in receiver.posts if b".L1" in p.body and p.key in receiver.applied]
        times = [b'"2026-03-01T10:00:0' + str(n).encode() for n in (1, 2, 4)]
        first_ok = [next(i for i, body in enumerate(applied_l1) if t in body) for t in times]
        assert first_ok == sorted(first_ok), "lot L1 was delivered out of capture order"

    run(body)


def test_the_idempotency_key_derives_from_the_event() -> None:
    assert delivery_key("r", "ni:///sha-256;abc?ver=CBV2.0") == delivery_key(
        "r", "ni:///sha-256;abc?ver=CBV2.0"
    )
    assert delivery_key("r", "ni:///a") != delivery_key("s", "ni:///a")
    assert delivery_key("r", "ni:///a", True) != delivery_key("r", "ni:///a")


def test_any_registered_sink_can_be_a_target(sqlite_store: Store) -> None:
    from lotline.connectors.memory import DEFAULT_BROKER
    from lotline.outbound import RouteConfig

    channel = f"out-{id(sqlite_store)}"
    route = RouteConfig.model_validate(
        {"name": "mem", "target": {"kind": "memory", "config": {"channel": channel}}, "payload": "document"}
    )

    async def body() -> None:
        async with sqlite_store.outbound(route) as outbound:
            capture(sqlite_store.engine, [event(1), event(2)])
            outbound.poke()
            for _ in range(200):
                if len(DEFAULT_BROKER.published(channel)) >= 2:
                    break
                await asyncio.sleep(0.05)
        published = DEFAULT_BROKER.published(channel)
        assert len(published) == 2 and all(b'"EPCISDocument"' in p for p in published)

    run(body)


def test_postgresql_a_capture_still_committing_holds_the_watermark_it_is_never_skipped(store: Store) -> None:
    """Ids come from a sequence: an event committed after a later id must still be delivered (in order)."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes ids under the write lock: they always commit in order")

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            route = webhook_route(receiver.url, ordering="lot")
            async with store.outbound(route, gap_grace=0.2) as outbound:
                slow, transaction = _capture_left_uncommitted(store.engine)  # takes the lower id
                capture(store.engine, [event(2)])  # a higher id, committed first
                outbound.poke()
                await asyncio.sleep(1.0)
                assert receiver.posts == [], "the watermark passed an id still being committed"
                transaction.commit()
                slow.close()
                outbound.poke()
                await receiver.until(2)
        finally:
            await receiver.stop()
        assert b"10:00:01Z" in receiver.posts[0].body and b"10:00:02Z" in receiver.posts[1].body

    run(body)


def test_postgresql_a_gap_filled_between_the_scan_and_its_check_is_read_again_never_skipped(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dispatcher reads the new rows, then asks which transactions still run: one that commits in
    between filled the gap after the read. The gap is passed by a later scan only, which reads what filled
    it, so the earlier event is delivered, and first."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes ids under the write lock: they always commit in order")
    from lotline.outbound import dispatcher as dispatching
    from lotline.outbound.routes import OutboundConfig

    async def enqueue(job: dict[str, object], key: str, partition: str | None) -> None:
        raise AssertionError("only scans here")

    config = OutboundConfig(routes=[webhook_route("http://127.0.0.1:9/")], gap_grace=0.0)
    dispatcher = dispatching.Dispatcher(store.engine, config, enqueue)
    dispatcher._cut(0, 0, True)  # (the watermark at 0: deliver everything)
    slow, transaction = _capture_left_uncommitted(store.engine)  # takes the lower id
    capture(store.engine, [event(2)])  # a higher id, committed first
    assert dispatcher._scan()[1] == []  # the gap is seen, with the capture still running
    running = dispatching._in_progress

    def committing_meanwhile(conn: sa.Connection) -> frozenset[str]:
        if transaction.is_active:
            transaction.commit()
        return running(conn)

    monkeypatch.setattr(dispatching, "_in_progress", committing_meanwhile)
    seen = [row.id for row in dispatcher._scan()[1]]  # read before the commit, checked after it
    scanned = [row.id for row in dispatcher._scan()[1]]
    slow.close()
    assert len(scanned) == 2 and scanned[1] == scanned[0] + 1
    assert seen in ([], scanned), "the watermark passed an id whose event was committing"


def _capture_left_uncommitted(engine: sa.Engine) -> tuple[sa.Connection, sa.RootTransaction]:
    """event(1) written in a transaction left open (its id taken, not yet committed): (connection, it)."""
    from lotline.connectors.base import now_us
    from lotline.pipeline.capture import prepare_rows, split_document
    from lotline.store.engine import writer
    from lotline.store.events import Provenance, write_rows_on
    from tests.outbound.conftest import CONTEXT

    document = {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"eventList": [event(1)]},
    }
    record_time = now_us()
    rows = [row for _, row in prepare_rows(split_document(document), record_time)[0]]
    slow = writer(engine).connect()
    transaction = slow.begin()
    write_rows_on(slow, rows, Provenance("rest"), record_time)
    return slow, transaction
