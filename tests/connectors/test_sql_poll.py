"""SQL polling against the real PostgreSQL and MariaDB: no gap and no repeat across restarts, also for
rows that share a watermark value; rows inserted while polling; rewinds; the lookback window; checks.

The conformance suite runs in tests/conformance/test_sql_poll.py (imported below so that the registry
test sees it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import tests.conformance.test_sql_poll  # noqa: F401  (registers the conformance test of kind "sql")
from lotline.connectors import Message, Registry
from lotline.connectors.base import Ack
from lotline.connectors.sql_poll import SPEC, SqlPollConfig, SqlPollSource
from lotline.connectors.sql_poll_query import decode_position, encode_position, window_start
from lotline.pipeline.runner import Runner, RunnerSettings
from lotline.pipeline.stages import epcis_json
from lotline.store.engine import open_engine
from lotline.store.events import count_events
from lotline.store.inbox import counts
from lotline.store.positions import load_position
from tests.connectors.sql_support import SERVERS, Rows, poller, server_url
from tests.pipeline.helpers import event_payload, run_until

QUIET = 0.3  # seconds: a read that gets nothing in this time means "nothing more to read"


@pytest.fixture(params=SERVERS)
def rows(request: pytest.FixtureRequest) -> Iterator[Rows]:
    """A throw-away table on PostgreSQL, then on MariaDB."""
    table = Rows(server_url(request.param))
    try:
        yield table
    finally:
        table.drop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sa.Engine]:
    """lotline's own store (SQLite, migrated), where positions are kept."""
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


async def take(source: SqlPollSource, count: int) -> list[tuple[Message, Ack]]:
    return [await asyncio.wait_for(source.read(), 5) for _ in range(count)]


async def nothing_more(source: SqlPollSource) -> bool:
    try:
        await asyncio.wait_for(source.read(), QUIET)
    except TimeoutError:
        return True
    return False


def ids(got: Sequence[tuple[Message, Ack]]) -> list[int]:
    return [json.loads(m.payload)["id"] for m, _ in got]


def test_restart_mid_stream_with_shared_watermarks_has_no_gap_and_no_repeat(
    rows: Rows, store: sa.Engine
) -> None:
    rows.insert(wm=1, count=3)  # ids 1-3 share wm 1
    rows.insert(wm=2, count=3)  # ids 4-6 share wm 2
    rows.insert(wm=3)  # id 7

    async def scenario() -> tuple[list[int], list[int]]:
        first = poller(rows, store, batch_size=2)  # small batches: the position falls inside a tie
        await first.connect()
        got = await take(first, 5)
        for _, ack in got[:4]:  # 1-4 acknowledged, 5 read but not settled: "crash"
            await ack()
        await first.close()
        second = poller(rows, store, batch_size=2)
        await second.connect()
        try:
            again = await take(second, 3)
            for _, ack in again:
                await ack()
            assert await nothing_more(second)
        finally:
            await second.close()
        return ids(got), ids(again)

    before, after = asyncio.run(scenario())
    assert before == [1, 2, 3, 4, 5]
    assert after == [5, 6, 7], "resumes right after the last acknowledged row: no gap, no repeat"
    stored = load_position(store, f"sql-{rows.name}")
    assert stored == {"columns": ["wm", "id"], "values": [["int", 3], ["int", 7]]}


def test_rows_inserted_while_polling_are_read_in_order(rows: Rows, store: sa.Engine) -> None:
    rows.insert(wm=5, count=2)

    async def scenario() -> list[int]:
        source = poller(rows, store)
        await source.connect()
        try:
            got = await take(source, 2)
            reading = asyncio.ensure_future(take(source, 3))
            await asyncio.sleep(0.15)  # the source is polling an empty result now
            await asyncio.to_thread(rows.insert, 5, key=10)  # same watermark as the last row, higher key
            await asyncio.to_thread(rows.insert, 6, 2)
            got += await reading
            for _, ack in got:
                await ack()
            assert await nothing_more(source)
        finally:
            await source.close()
        return ids(got)

    assert asyncio.run(scenario()) == [1, 2, 10, 3, 4]


def test_ack_error_rewinds_and_out_of_order_acks_keep_the_prefix(rows: Rows, store: sa.Engine) -> None:
    rows.insert(wm=1, count=4)

    async def scenario() -> tuple[list[int], list[int]]:
        source = poller(rows, store)
        await source.connect()
        try:
            got = await take(source, 3)
            await got[0][1]()
            await got[2][1]()  # acknowledged before row 2: the position waits for row 2
            await got[1][1](RuntimeError("inbox write failed"))
            again = await take(source, 3)
            for _, ack in again:
                await ack()
        finally:
            await source.close()
        return ids(got), ids(again)

    _, again = asyncio.run(scenario())
    assert again == [2, 3, 4], "row 2 and everything after it are read again"
    assert load_position(store, f"sql-{rows.name}")["values"] == [["int", 1], ["int", 4]]  # type: ignore[index]


def test_a_late_commit_is_missed_without_lookback_and_found_with_it(rows: Rows, store: sa.Engine) -> None:
    rows.insert(wm=10, key=1)
    rows.insert(wm=20, key=2)

    async def scenario(lookback: float, first: int, late_key: int) -> list[int]:
        source = poller(rows, store, name=f"late-{lookback}", lookback=lookback)
        await source.connect()
        try:
            got = await take(source, first)
            await asyncio.to_thread(rows.insert, 15, key=late_key)  # committed after wm 20 was read
            late = [await source.read()] if lookback else []
            if late:  # asking for redelivery of a late row: the next lookback finds it again
                await late[0][1](RuntimeError("inbox write failed"))
                again = await source.read()
                assert again[0].message_id == late[0][0].message_id
                late = [again]
            assert await nothing_more(source), "a late row is delivered once"
            for _, ack in got + late:
                await ack()
        finally:
            await source.close()
        return ids(got + late)

    assert asyncio.run(scenario(0, 2, late_key=3)) == [1, 2]
    # a new source name starts over: 1, 3 (the row the first source missed), 2; then the late row 4
    assert asyncio.run(scenario(10, 3, late_key=4)) == [1, 3, 2, 4]


def test_time_watermarks_and_versioned_ids(rows: Rows, store: sa.Engine) -> None:
    stamp = dt.datetime(2026, 12, 1, 9, 30, 15, 123456)
    rows.insert(wm=1, key=1, ts=stamp)
    rows.insert(wm=1, key=2, ts=stamp)

    async def scenario() -> list[Message]:
        source = poller(rows, store, watermark=["ts"], versioned=True)
        await source.connect()
        try:
            got = await take(source, 2)
            for _, ack in got:
                await ack()
        finally:
            await source.close()
        return [m for m, _ in got]

    first, second = asyncio.run(scenario())
    assert first.message_id == f"{rows.name}/1@2026-12-01T09:30:15.123456"
    assert second.headers["watermark"] == "2026-12-01T09:30:15.123456"
    assert json.loads(first.payload)["ts"] == "2026-12-01T09:30:15.123456"
    stored = load_position(store, f"sql-{rows.name}")
    assert stored == {
        "columns": ["ts", "id"],
        "values": [["datetime", "2026-12-01T09:30:15.123456"], ["int", 2]],
    }


def test_a_query_is_polled_like_a_table(rows: Rows, store: sa.Engine) -> None:
    rows.insert(wm=1, count=4)
    query = f"SELECT id, wm, body FROM {rows.name} WHERE id <> 2"

    async def scenario() -> list[Message]:
        source = poller(rows, store, table=None, query=query, name="q")
        await source.connect()
        try:
            got = await take(source, 3)
            assert await nothing_more(source)
        finally:
            await source.close()
        return [m for m, _ in got]

    messages = asyncio.run(scenario())
    assert [m.message_id for m in messages] == ["q/1", "q/3", "q/4"]
    assert json.loads(messages[0].payload) == {"id": 1, "wm": 1, "body": "row 1"}


def test_check_says_what_is_wrong(rows: Rows, store: sa.Engine) -> None:
    async def scenario() -> None:
        ok = await poller(rows, store).check()
        assert ok.ok, ok
        refused = await poller(rows, store, url=sa.make_url(rows.url).set(port=1).render_as_string()).check()
        assert not refused.ok and "127.0.0.1" in refused.detail and ":1" in refused.detail, refused
        missing = await poller(rows, store, table="no_such_table").check()
        assert not missing.ok and "no_such_table" in missing.detail, missing
        column = await poller(rows, store, watermark=["updated"]).check()
        assert not column.ok and "updated" in column.detail, column

    asyncio.run(scenario())


def test_config_is_validated_and_registered() -> None:
    with pytest.raises(ValueError, match="exactly one of `table` or `query`"):
        SqlPollConfig(name="x", url="postgresql://h/db", watermark=["id"])
    config = SqlPollConfig.model_validate(
        {"name": "x", "url": "mariadb://h/db", "table": "t", "watermark": "updated", "key": ["id", "wm"]}
    )
    assert config.columns == ["updated", "id", "wm"]
    assert Registry.discover().get("sql") is SPEC


def test_through_the_runner_a_restart_stores_every_row_once(rows: Rows, store: sa.Engine) -> None:
    """The done-when of issue #5: rows sharing watermarks, the runner stopped mid-stream and started again
    (the inbox write, the ack and the position all real): every row stored once, none redelivered."""
    rows.insert_payloads(1, [event_payload(i) for i in range(1, 26)])  # 25 rows, one watermark

    def runner() -> Runner:
        return Runner(
            store,
            {"orders": poller(rows, store, payload_column="payload", batch_size=10)},
            epcis_json,
            RunnerSettings(batch_size=7, batch_wait=0.001, rescan_interval=0.02),
        )

    first = runner()
    asyncio.run(run_until(first, lambda: first.counters.total.stored >= 8))
    rows.insert_payloads(1, [event_payload(i) for i in range(26, 31)])  # the same watermark, later keys
    rows.insert_payloads(2, [event_payload(i) for i in range(31, 36)])
    second = runner()
    asyncio.run(run_until(second, lambda: first.counters.total.stored + second.counters.total.stored >= 35))
    assert count_events(store) == 35
    assert counts(store) == {"pending": 0, "done": 35, "dead": 0}
    assert first.counters.total.received + second.counters.total.received == 35, "no row read twice"
    assert second.counters.total.redelivered == 0


def test_positions_keep_their_types_and_refuse_other_columns() -> None:
    values = (
        dt.datetime(2026, 12, 1, 8, 0, 0, 5),
        dt.date(2026, 12, 1),
        Decimal("12.340"),
        "B-7",
        3,
        uuid.UUID(int=7),
        b"\x00\xff",
        True,
        1.5,
    )
    stored = json.loads(json.dumps(encode_position(["c"] * len(values), values)))  # as the store keeps it
    assert decode_position(["c"] * len(values), stored, "s") == values
    with pytest.raises(ValueError, match=r"source 's' is for columns \['wm', 'id'\].*now orders by \['ts'\]"):
        decode_position(["ts"], {"columns": ["wm", "id"], "values": []}, "s")
    assert window_start(dt.datetime(2026, 12, 1, 8, 0, 10), 10) == dt.datetime(2026, 12, 1, 8, 0, 0)
    assert (window_start(100, 2.5), window_start(Decimal("1.5"), 1)) == (97, Decimal("0.5"))
    with pytest.raises(TypeError, match="numeric or time watermark"):
        window_start("B-7", 10)
