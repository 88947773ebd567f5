"""EPCIS 2.0 query subscriptions delivered by the outbound machinery: stream and schedule, GS1-Signature,
reportIfEmpty, windows without gaps or overlaps."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import orjson

from lotline.connectors.webhook import verify_gs1_signature
from lotline.store import subscriptions as subs
from tests.outbound.conftest import Store, capture, event, run
from tests.outbound.receiver import Receiver

TOKEN = "13df38d8275b13f05704629e5f1cf3d45d6132d5"


def _subscribe(store: Store, dest: str, **options: Any) -> subs.Subscription:
    if not subs.list_queries(store.engine):
        subs.create_query(store.engine, "received", {"EQ_bizStep": ["receiving"]}, "k1")
    settings: dict[str, Any] = {
        "dest": dest,
        "signature_token": TOKEN,
        "stream": False,
        "schedule": None,
        "report_if_empty": False,
        "initial_record_time": None,
        "epc_format": "No_Preference",
        "owner": "k1",
        **options,
    }
    return subs.create_subscription(store.engine, "received", **settings)


def _documents(receiver: Receiver) -> list[dict[str, Any]]:
    docs = []
    for post in receiver.posts:
        assert verify_gs1_signature(TOKEN, post.body, post.headers["gs1-signature"]), "GS1-Signature is wrong"
        docs.append(orjson.loads(post.body))
    return docs


def _event_times(doc: dict[str, Any]) -> list[str]:
    results = doc["epcisBody"]["queryResults"]
    return [e["eventTime"] for e in results["resultsBody"]["eventList"]]


def _contiguous(windows: list[subs.Window]) -> None:
    for earlier, later in itertools.pairwise(windows):
        assert later.from_event >= earlier.to_event, "windows overlap"


def test_a_stream_subscription_delivers_each_new_match_once_signed(store: Store) -> None:
    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            sub = _subscribe(store, receiver.url, stream=True)
            async with store.outbound() as outbound:
                capture(
                    store.engine, [event(1, biz_step="receiving"), event(2), event(3, biz_step="receiving")]
                )
                outbound.poke()
                await receiver.until(1)
                capture(store.engine, [event(4, biz_step="receiving")])
                outbound.poke()
                await receiver.until(2)
                await asyncio.sleep(0.3)
        finally:
            await receiver.stop()
        docs = _documents(receiver)
        times = [t for doc in docs for t in _event_times(doc)]
        assert sorted(times) == ["2026-03-01T10:00:01Z", "2026-03-01T10:00:03Z", "2026-03-01T10:00:04Z"]
        assert len(receiver.posts) == 2
        assert {doc["epcisBody"]["queryResults"]["subscriptionID"] for doc in docs} == {sub.id}
        assert receiver.keys() == [f"sub:{sub.id}:1", f"sub:{sub.id}:2"]
        assert all(doc["type"] == "EPCISQueryDocument" for doc in docs)
        windows = subs.list_windows(store.engine, sub.id)
        assert [w.state for w in windows] == ["done", "done"]
        _contiguous(windows)
        assert subs.get_subscription(store.engine, sub.id).last_notified_at is not None

    run(body)


def test_a_scheduled_subscription_reports_empty_windows_when_asked_and_never_repeats_an_event(
    sqlite_store: Store,
) -> None:
    store = sqlite_store

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            sub = _subscribe(store, receiver.url, schedule={"second": "[0-59]"}, report_if_empty=True)
            async with store.outbound() as outbound:
                await receiver.until(1, timeout=5)  # an empty report within a second or two
                capture(store.engine, [event(1, biz_step="receiving"), event(2, biz_step="receiving")])
                outbound.poke()
                for _ in range(100):
                    if sum(len(_event_times(d)) for d in _documents(receiver)) >= 2:
                        break
                    await asyncio.sleep(0.1)
                await receiver.until(len(receiver.applied) + 1, timeout=5)  # one more (empty) run
        finally:
            await receiver.stop()
        docs = _documents(receiver)
        times = [t for doc in docs for t in _event_times(doc)]
        assert sorted(times) == ["2026-03-01T10:00:01Z", "2026-03-01T10:00:02Z"], "each event exactly once"
        assert any(not _event_times(doc) for doc in docs), "reportIfEmpty sends empty documents"
        windows = subs.list_windows(store.engine, sub.id)
        _contiguous(windows)
        for earlier, later in itertools.pairwise(windows):
            assert later.from_event == earlier.to_event, "a gap between windows"

    run(body)


def test_a_scheduled_subscription_without_report_if_empty_stays_quiet_until_there_is_a_match(
    sqlite_store: Store,
) -> None:
    store = sqlite_store

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            _subscribe(store, receiver.url, schedule={"second": "[0-59]"})
            async with store.outbound() as outbound:
                await asyncio.sleep(1.3)
                assert receiver.posts == [], "reportIfEmpty=false: no empty reports"
                capture(store.engine, [event(1, biz_step="receiving"), event(2)])
                outbound.poke()
                await receiver.until(1, timeout=5)
                await asyncio.sleep(1.1)  # the next runs find nothing new
        finally:
            await receiver.stop()
        docs = _documents(receiver)
        assert [_event_times(d) for d in docs] == [["2026-03-01T10:00:01Z"]]

    run(body)


def test_initial_record_time_in_the_past_delivers_history_first(sqlite_store: Store) -> None:
    store = sqlite_store
    capture(store.engine, [event(1, biz_step="receiving")])

    async def body() -> None:
        receiver = Receiver()
        await receiver.start()
        try:
            _subscribe(store, receiver.url, stream=True, initial_record_time=0)
            async with store.outbound():
                await receiver.until(1)
        finally:
            await receiver.stop()
        assert [_event_times(d) for d in _documents(receiver)] == [["2026-03-01T10:00:01Z"]]

    run(body)


def test_a_refused_window_is_dead_lettered_and_replayed_with_the_same_key(sqlite_store: Store) -> None:
    from lotline.store import dlq

    store = sqlite_store

    async def body() -> None:
        receiver = Receiver()
        receiver.refuse = {b"EPCISQueryDocument"}
        await receiver.start()
        try:
            sub = _subscribe(store, receiver.url, stream=True)
            async with store.outbound() as outbound:
                capture(store.engine, [event(1, biz_step="receiving")])
                outbound.poke()
                deadline = asyncio.get_running_loop().time() + 30  # bounded, with room for a busy machine
                while not (letters := dlq.list_letters(store.engine, stage="deliver")):
                    assert asyncio.get_running_loop().time() < deadline, "no dead letter within 30 s"
                    await asyncio.sleep(0.05)
                [letter] = letters
                assert letter.source == f"subscription:{sub.id}" and letter.message_id == f"sub:{sub.id}:1"
                assert [w.state for w in subs.list_windows(store.engine, sub.id)] == ["dead"]
                receiver.refuse = set()
                dlq.replay(store.engine, [letter.id], "test")
                outbound.poke()
                await receiver.until(1)
                deadline = asyncio.get_running_loop().time() + 30
                while [w.state for w in subs.list_windows(store.engine, sub.id)] != ["done"]:
                    assert asyncio.get_running_loop().time() < deadline, "the window is not done within 30 s"
                    await asyncio.sleep(0.05)
        finally:
            await receiver.stop()
        assert receiver.keys() == [f"sub:{sub.id}:1", f"sub:{sub.id}:1"]
        assert [w.state for w in subs.list_windows(store.engine, sub.id)] == ["done"]

    run(body)
