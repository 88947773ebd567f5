"""While lotline serves, SQLite's WAL is checkpointed by a background thread, never inside a commit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from lotline.store import checkpoint
from lotline.store.engine import open_engine


def _autocheckpoint(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_connections_leave_checkpoints_to_the_thread_while_it_runs(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert _autocheckpoint(engine) == checkpoint.AUTOMATIC and checkpoint.checkpoints_done(engine) is None
    release = checkpoint.hold(engine, interval=0.02)
    again = checkpoint.hold(engine, interval=0.02)  # a second holder shares the thread
    assert _autocheckpoint(engine) == 0
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    deadline = time.monotonic() + 5
    while (checkpoint.checkpoints_done(engine) or 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (checkpoint.checkpoints_done(engine) or 0) >= 2
    release()
    release()  # releasing twice counts once
    assert checkpoint.checkpoints_done(engine) is not None  # still held by the other holder
    again()
    assert checkpoint.checkpoints_done(engine) is None
    assert _autocheckpoint(engine) == checkpoint.AUTOMATIC
    engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
def test_nothing_to_do_for_memory_databases_and_postgresql(url: str) -> None:
    engine = sa.create_engine(url)
    release = checkpoint.hold(engine)
    assert checkpoint.checkpoints_done(engine) is None
    release()


def test_the_app_checkpoints_while_it_serves(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from lotline.api.app import create_app

    engine = open_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with TestClient(create_app(engine)) as client:
        assert client.get("/health").status_code == 200
        assert checkpoint.checkpoints_done(engine) is not None
    assert checkpoint.checkpoints_done(engine) is None
    engine.dispose()
