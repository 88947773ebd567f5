"""`lotline serve` builds the trace index in the background as it starts, so the first trace after a
restart does not wait for the whole build, and says so on the console."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lotline.api.app import create_app, log_to_console
from lotline.api.settings import Settings
from lotline.store.engine import open_engine
from tests.trace.builders import RAW, SUPPLIER, at, index_of, receive, serial, transform


def test_the_index_is_built_at_start_up_without_a_trace(tmp_path: Path) -> None:
    engine: sa.Engine = open_engine(f"sqlite:///{tmp_path / 'lotline.db'}")
    index_of(engine, receive([RAW], SUPPLIER, at(1)), transform([RAW], [serial("000030", 1)], at(2)))
    app = create_app(engine, Settings(warm_trace_index=True))
    with TestClient(app) as client:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # no trace asked for: the start-up build alone
            health = client.get("/health").json()
            if health["trace_index"]["state"] == "ready":
                break
            assert health["trace_index"]["state"] == "building"
            time.sleep(0.05)
        else:
            raise AssertionError("the trace index was not built in the background")
        assert health == {"status": "ok", "database": "ok", "trace_index": {"state": "ready", "events": 2}}
    engine.dispose()


def test_apps_made_for_embedding_build_the_index_on_the_first_trace(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'lotline.db'}")
    with TestClient(create_app(engine)) as client:
        assert client.get("/health").json()["trace_index"] == {"state": "not built", "events": 0}
        assert getattr(client.app.state, "trace_index", None) is None  # type: ignore[attr-defined]
    engine.dispose()


def test_serve_shows_lotlines_own_messages_on_the_console(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("lotline")
    saved = logger.handlers[:], logger.level
    logger.handlers.clear()
    try:
        log_to_console()
        log_to_console()  # once is enough
        assert len(logger.handlers) == 1
        logging.getLogger("lotline.trace").info("trace index: ready, %s events in %.1f s", "1,000", 0.5)
        assert "INFO:     trace index: ready, 1,000 events in 0.5 s" in capsys.readouterr().err
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
