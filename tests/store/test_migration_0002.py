"""Migration 0002 (inbox, dead letters, audit log) goes down and up again cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from lotline.store.engine import writer
from lotline.store.migrate import alembic_config, upgrade

TABLES = {"inbox", "dead_letters", "audit_log"}


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = alembic_config()
    with writer(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_down_to_0001_and_up_again(engine: sa.Engine) -> None:
    _downgrade(engine, "0001")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    upgrade(engine)
    assert set(sa.inspect(engine).get_table_names()) >= TABLES
