"""Reading the worker's SQLite file from the test process (WAL: readers never block the writer)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StoreState:
    events: int  # rows in the events table
    distinct_hashes: int
    distinct_message_ids: int  # distinct source_message_id over the events
    inbox: dict[str, int]  # rows per state
    inbox_distinct: int  # distinct (source, message_id) in the inbox
    dead_letters: int


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db, timeout=30)) as con:
        con.execute("PRAGMA busy_timeout=30000")
        return con.execute(sql).fetchall()


def state(db: Path) -> StoreState:
    (events, hashes, ids) = query(
        db, "SELECT count(*), count(DISTINCT event_hash), count(DISTINCT source_message_id) FROM events"
    )[0]
    inbox = {"pending": 0, "done": 0, "dead": 0}
    inbox.update({str(s): int(n) for s, n in query(db, "SELECT state, count(*) FROM inbox GROUP BY state")})
    distinct = query(db, "SELECT count(*) FROM (SELECT DISTINCT source, message_id FROM inbox)")[0][0]
    dead = query(db, "SELECT count(*) FROM dead_letters")[0][0]
    return StoreState(int(events), int(hashes), int(ids), inbox, int(distinct), int(dead))


def stored_ids(db: Path) -> set[str]:
    return {str(r[0]) for r in query(db, "SELECT source_message_id FROM events")}


def inbox_ids(db: Path) -> set[str]:
    return {str(r[0]) for r in query(db, "SELECT message_id FROM inbox")}


def done_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return int(query(db, "SELECT count(*) FROM inbox WHERE state = 'done'")[0][0])
    except sqlite3.OperationalError:  # the worker has not created the schema yet
        return 0


def wait_for(condition: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not done after {timeout:.0f} s: {what()}"
        time.sleep(0.25)
