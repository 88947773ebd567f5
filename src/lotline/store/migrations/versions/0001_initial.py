"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:57:58.675909
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "capture_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("error_behaviour", sa.String(length=16), nullable=False),
        sa.Column("events_total", sa.Integer(), nullable=False),
        sa.Column("events_stored", sa.Integer(), nullable=False),
        sa.Column("events_duplicate", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("interface", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_jobs")),
    )
    with op.batch_alter_table("capture_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capture_jobs_created_at"), ["created_at"], unique=False)

    op.create_table(
        "events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=512), nullable=False),
        sa.Column("event_hash", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("event_time", sa.BigInteger(), nullable=False),
        sa.Column("record_time", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=True),
        sa.Column("biz_step", sa.String(length=512), nullable=True),
        sa.Column("disposition", sa.String(length=512), nullable=True),
        sa.Column("read_point", sa.String(length=512), nullable=True),
        sa.Column("biz_location", sa.String(length=512), nullable=True),
        sa.Column("transformation_id", sa.String(length=512), nullable=True),
        sa.Column("error_declared", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("capture_id", sa.String(length=64), nullable=True),
        sa.Column("interface", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("source_message_id", sa.String(length=512), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("event_hash", "error_declared", name=op.f("uq_events_event_hash_error_declared")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_biz_location"), ["biz_location"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_biz_step"), ["biz_step"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_disposition"), ["disposition"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_event_time"), ["event_time"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_event_type_event_time"), ["event_type", "event_time"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_read_point"), ["read_point"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_record_time"), ["record_time"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_events_transformation_id"),
            ["transformation_id"],
            unique=False,
            sqlite_where=sa.text("transformation_id IS NOT NULL"),
            postgresql_where=sa.text("transformation_id IS NOT NULL"),
        )

    op.create_table(
        "event_epcs",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("role", sa.String(length=1), nullable=False),
        sa.Column(
            "event", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("raw", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(["event"], ["events.id"], name=op.f("fk_event_epcs_event_events")),
        sa.PrimaryKeyConstraint("key", "role", "event", name=op.f("pk_event_epcs")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "event_refs",
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("type", sa.String(length=256), nullable=False),
        sa.Column(
            "event", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("raw", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(["event"], ["events.id"], name=op.f("fk_event_refs_event_events")),
        sa.PrimaryKeyConstraint("kind", "value", "type", "event", name=op.f("pk_event_refs")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("event_refs")
    op.drop_table("event_epcs")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_events_transformation_id"),
            sqlite_where=sa.text("transformation_id IS NOT NULL"),
            postgresql_where=sa.text("transformation_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_events_record_time"))
        batch_op.drop_index(batch_op.f("ix_events_read_point"))
        batch_op.drop_index(batch_op.f("ix_events_event_type_event_time"))
        batch_op.drop_index(batch_op.f("ix_events_event_time"))
        batch_op.drop_index(batch_op.f("ix_events_event_id"))
        batch_op.drop_index(batch_op.f("ix_events_disposition"))
        batch_op.drop_index(batch_op.f("ix_events_biz_step"))
        batch_op.drop_index(batch_op.f("ix_events_biz_location"))

    op.drop_table("events")
    with op.batch_alter_table("capture_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_jobs_created_at"))

    op.drop_table("capture_jobs")
    op.drop_table("api_keys")
