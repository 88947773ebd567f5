"""Opening a database: SQLite (WAL) by default, PostgreSQL with a `postgresql://` URL; migrations on open."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from lotline.store import checkpoint

DEFAULT_URL = "sqlite:///var/lotline.db"

# Execution option marking a transaction that will write (`engine.execution_options(**{WRITE: True})`).
WRITE = "lotline_write"


def writer(engine: Engine) -> Engine:
    """The same engine, marked so that its transactions take the write lock at BEGIN on SQLite."""
    return engine.execution_options(**{WRITE: True})


def default_url() -> str:
    return os.environ.get("LOTLINE_DB", DEFAULT_URL)


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use the psycopg 3 driver; pass everything else on."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """An engine for `url`, with the schema brought up to date unless `migrate` is False."""
    url = normalise_url(url or default_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        if parsed.get_backend_name() == "postgresql":
            _require_psycopg()
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    if migrate:
        from lotline.store.migrate import upgrade

        upgrade(engine)
    return engine


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the install
        raise SystemExit("PostgreSQL support needs psycopg: pip install 'lotline[postgres]'") from None


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=NullPool if database in (None, "", ":memory:") else None)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, manage transactions so that BEGIN IMMEDIATE below is honoured.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    checkpoint.install(engine)  # the automatic checkpoint, off while a background checkpointer runs

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so two writers never deadlock upgrading a read lock;
        # readers use a plain (deferred) transaction and never wait for a writer under WAL.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_sqlite_file(engine: Engine) -> bool:
    """A SQLite database in a file, which every connection shares (in memory, each has its own)."""
    return is_sqlite(engine) and engine.url.database not in (None, "", ":memory:")
