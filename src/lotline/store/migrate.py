"""Schema migrations with Alembic, run in-process on open (`lotline.store.engine.open_engine`)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from lotline.store.engine import writer


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "lotline.store:migrations")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to `revision` (idempotent)."""
    config = alembic_config()
    with writer(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
