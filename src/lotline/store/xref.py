"""The identifier cross-reference in the database: `lotline.mapping.Xref` on tables `xref_identities` and
`xref_source_ids` (migration 0003).

(system, source id) is the primary key of `xref_source_ids`, so a source id belongs to one enterprise
identity for good, and an identity keeps every source id any system gave it. `link` is idempotent and
safe under concurrent writers: an insert that loses a race (PostgreSQL) is retried and reads back the
winner.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Engine

from lotline.connectors.base import now_us
from lotline.store.engine import writer
from lotline.store.schema import xref_identities, xref_source_ids

__all__ = ["SqlXref"]


class SqlXref:
    """The xref stored in lotline's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def resolve(self, system: str, source_id: str) -> str | None:
        query = sa.select(xref_source_ids.c.identity).where(
            xref_source_ids.c.system == system.lower(), xref_source_ids.c.source_id == source_id
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def source_ids(self, enterprise_id: str) -> dict[str, list[str]]:
        query = (
            sa.select(xref_source_ids.c.system, xref_source_ids.c.source_id)
            .where(xref_source_ids.c.identity == enterprise_id)
            .order_by(xref_source_ids.c.system, xref_source_ids.c.source_id)
        )
        out: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for system, source_id in conn.execute(query):
                out.setdefault(system, []).append(source_id)
        return out

    def link(self, enterprise_id: str, system: str, source_id: str) -> str:
        for attempt in (1, 2):
            try:
                return self._link(enterprise_id, system.lower(), source_id)
            except sa.exc.IntegrityError:
                if attempt == 2:  # pragma: no cover - only under a concurrent writer on PostgreSQL
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _link(self, enterprise_id: str, system: str, source_id: str) -> str:
        with writer(self.engine).begin() as conn:
            linked = conn.execute(
                sa.select(xref_source_ids.c.identity).where(
                    xref_source_ids.c.system == system, xref_source_ids.c.source_id == source_id
                )
            ).scalar_one_or_none()
            if linked is not None:
                return str(linked)
            now = now_us()
            known = conn.execute(
                sa.select(xref_identities.c.id).where(xref_identities.c.id == enterprise_id)
            ).scalar_one_or_none()
            if known is None:
                conn.execute(xref_identities.insert().values(id=enterprise_id, created_at=now))
            conn.execute(
                xref_source_ids.insert().values(
                    system=system, source_id=source_id, identity=enterprise_id, created_at=now
                )
            )
        return enterprise_id
