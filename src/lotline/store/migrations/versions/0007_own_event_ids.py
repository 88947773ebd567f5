"""Index only the eventIDs that are not the event's own hash

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00

Events captured without an eventID get their hash as eventID, and the (event_hash, error_declared)
constraint indexes that already. Indexing the same random key twice made each batch of a bulk import
rewrite most of both indexes' pages once the store held a million events. Lookups by eventID use
`lotline.store.schema.event_id_in`, which asks both indexes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_OWN_ID = sa.text("event_id <> event_hash")


def upgrade() -> None:
    op.drop_index("ix_events_event_id", table_name="events")
    op.create_index(
        "ix_events_event_id",
        "events",
        ["event_id"],
        unique=False,
        sqlite_where=_OWN_ID,
        postgresql_where=_OWN_ID,
    )


def downgrade() -> None:
    op.drop_index("ix_events_event_id", table_name="events")
    op.create_index("ix_events_event_id", "events", ["event_id"], unique=False)
