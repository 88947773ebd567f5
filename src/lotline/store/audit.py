"""The audit log: who did what to which thing, and when. Every DLQ replay and discard writes here.

Entries are written in the same transaction as the change they describe, so there is never a change
without its audit entry (nor an entry for a change that rolled back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from lotline.connectors.base import now_us
from lotline.store.engine import writer
from lotline.store.schema import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: int
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def record_on(
    conn: Connection, actor: str, action: str, target: str, detail: Mapping[str, Any] | None = None
) -> None:
    """Add an entry inside the caller's transaction."""
    conn.execute(
        audit_log.insert().values(
            at=now_us(), actor=actor, action=action, target=target, detail=orjson.dumps(detail or {}).decode()
        )
    )


def record(
    engine: Engine, actor: str, action: str, target: str, detail: Mapping[str, Any] | None = None
) -> None:
    with writer(engine).begin() as conn:
        record_on(conn, actor, action, target, detail)


def entries(
    engine: Engine, *, action: str | None = None, target: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The newest entries first, optionally only one action (e.g. `dlq.discard`) or one target."""
    stmt = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(audit_log.c.action == action)
    if target is not None:
        stmt = stmt.where(audit_log.c.target == target)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, orjson.loads(r.detail)) for r in rows]
