"""per-event provenance and operational events

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:00:00

Plain ADD COLUMN (no batch mode): SQLite adds nullable columns in place, so a large event table is not
copied.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NOT_NULL = sa.text("correlation_id IS NOT NULL")


def upgrade() -> None:
    op.add_column("events", sa.Column("source", sa.String(length=200), nullable=True))
    op.add_column("events", sa.Column("plant", sa.String(length=64), nullable=True))
    op.add_column("events", sa.Column("received_time", sa.BigInteger(), nullable=True))
    op.add_column("events", sa.Column("mapping", sa.String(length=200), nullable=True))
    op.add_column("events", sa.Column("correlation_id", sa.String(length=512), nullable=True))
    op.create_index(
        op.f("ix_events_correlation_id"),
        "events",
        ["correlation_id"],
        unique=False,
        sqlite_where=_NOT_NULL,
        postgresql_where=_NOT_NULL,
    )
    op.create_table(
        "operational_events",
        sa.Column("id", PK, autoincrement=True, nullable=False),
        sa.Column("envelope_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=True),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("plant", sa.String(length=64), nullable=True),
        sa.Column("correlation_id", sa.String(length=512), nullable=True),
        sa.Column("traceparent", sa.String(length=64), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("source_message_id", sa.String(length=512), nullable=True),
        sa.Column("mapping", sa.String(length=200), nullable=True),
        sa.Column("received_time", sa.BigInteger(), nullable=True),
        sa.Column("record_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operational_events")),
        sa.UniqueConstraint("envelope_id", name=op.f("uq_operational_events_envelope_id")),
    )
    op.create_index(op.f("ix_operational_events_time"), "operational_events", ["time"], unique=False)
    op.create_index(
        op.f("ix_operational_events_type_time"), "operational_events", ["type", "time"], unique=False
    )
    op.create_index(
        op.f("ix_operational_events_plant_time"), "operational_events", ["plant", "time"], unique=False
    )
    op.create_index(
        op.f("ix_operational_events_correlation_id"),
        "operational_events",
        ["correlation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("operational_events")
    op.drop_index(op.f("ix_events_correlation_id"), table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        for column in ("correlation_id", "mapping", "received_time", "plant", "source"):
            batch_op.drop_column(column)
