"""Source positions: where a polling source (SQL polling, ...) has got to, kept in lotline's own store.

One row per source name in `source_positions` (migration 0005): the position is a JSON object the source
defines (for SQL polling, the watermark and key values of the last acknowledged row, with their types),
so a restarted source resumes right after the last row lotline kept.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Engine

from lotline.connectors.base import now_us
from lotline.store.engine import writer
from lotline.store.schema import source_positions

__all__ = ["delete_position", "load_position", "save_position"]


def load_position(engine: Engine, source: str) -> dict[str, Any] | None:
    """The stored position of `source`, or None when it has none yet."""
    query = sa.select(source_positions.c.position).where(source_positions.c.source == source)
    with engine.connect() as conn:
        raw = conn.execute(query).scalar_one_or_none()
    if raw is None:
        return None
    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"the stored position of source {source!r} is not a JSON object: {raw!r}")
    return value


def save_position(engine: Engine, source: str, position: dict[str, Any]) -> None:
    """Store `position` for `source` (insert or replace). One writer per source name."""
    body = orjson.dumps(position).decode()
    now = now_us()
    table = source_positions
    with writer(engine).begin() as conn:
        updated = conn.execute(
            sa.update(table).where(table.c.source == source).values(position=body, updated_at=now)
        )
        if updated.rowcount == 0:
            conn.execute(sa.insert(table).values(source=source, position=body, updated_at=now))


def delete_position(engine: Engine, source: str) -> bool:
    """Forget the position of `source` (it then starts from the beginning). True if there was one."""
    table = source_positions
    with writer(engine).begin() as conn:
        return conn.execute(sa.delete(table).where(table.c.source == source)).rowcount > 0
