"""The Alembic migrations create exactly the tables the code uses, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from lotline.store.engine import open_engine
from lotline.store.migrate import alembic_config
from lotline.store.schema import metadata


def test_migrated_schema_matches_the_code(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"write a migration for: {diff}"


def test_opening_twice_is_a_no_op(db_url: str) -> None:
    first = open_engine(db_url)
    first.dispose()
    second = open_engine(db_url)
    with second.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    second.dispose()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    engine = open_engine(f"sqlite:///{tmp_path}/wal.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
