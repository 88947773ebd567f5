"""Checkpointing SQLite's write-ahead log in the background while lotline serves.

SQLite's automatic checkpoint runs inside the commit that takes the WAL past `wal_autocheckpoint` pages:
that one commit then copies the whole WAL into the database file (70-90 ms at a few thousand events per
second), and it is what the slowest messages wait for. A long-running writer (the API server, the
pipeline runner) instead turns the automatic checkpoint off on its connections and runs a PASSIVE
checkpoint every second from a thread of its own: commits stay short, the WAL stays small (about a second
of writes), and a PASSIVE checkpoint never waits for readers or writers, nor makes them wait.

`hold(engine)` starts the checkpointer of an engine (shared by everyone who holds it in the process) and
returns the function that releases it; the last release stops the thread and gives the connections their
automatic checkpoint back. Nothing of this persists: a crash leaves an ordinary WAL that the next open
checkpoints as usual. PostgreSQL engines are left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

from lotline.store import engine as engines  # (it imports this module: its functions are read at call time)

log = logging.getLogger("lotline.store")

INTERVAL = 1.0  # seconds between checkpoints
AUTOMATIC = 10_000  # pages: the automatic checkpoint of connections when no checkpointer runs

_lock = threading.Lock()
_running: dict[int, _Checkpointer] = {}  # id(engine) -> its checkpointer, while held


class _Checkpointer:
    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine, self.interval = engine, interval
        self.holders = 0
        self.done = 0  # checkpoints run
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lotline-wal-checkpoint", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                connection = self.engine.raw_connection()  # no BEGIN: a checkpoint runs outside transactions
                try:
                    connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
                finally:
                    connection.close()
                self.done += 1
            except Exception as exc:  # keep checkpointing; a missed one only lets the WAL grow a little
                log.warning("WAL checkpoint failed: %s", exc)


def checkpoints_done(engine: Engine) -> int | None:
    """How many background checkpoints ran for this engine, or None when no checkpointer runs for it."""
    running = _running.get(id(engine))
    return None if running is None else running.done


def hold(engine: Engine, interval: float = INTERVAL) -> Callable[[], None]:
    """Checkpoint `engine`'s WAL in the background until the returned function is called."""
    if not engines.is_sqlite_file(engine):
        return lambda: None
    with _lock:
        checkpointer = _running.get(id(engine))
        if checkpointer is None:
            checkpointer = _running[id(engine)] = _Checkpointer(engine, interval)
            checkpointer.thread.start()
        checkpointer.holders += 1
    released = threading.Event()

    def release() -> None:
        if released.is_set():
            return
        released.set()
        with _lock:
            checkpointer.holders -= 1
            if checkpointer.holders:
                return
            del _running[id(engine)]
        checkpointer.stop.set()
        checkpointer.thread.join(timeout=5)

    return release


def install(engine: Engine) -> None:
    """Give each checked-out connection the automatic checkpoint that fits: off while a checkpointer runs
    for the engine, `AUTOMATIC` pages otherwise (called once, where the SQLite engine is made)."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        wanted = 0 if id(engine) in _running else AUTOMATIC
        if record.info.get("wal_autocheckpoint") != wanted:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={wanted}")
            record.info["wal_autocheckpoint"] = wanted
