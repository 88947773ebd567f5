"""EPCIS named queries, subscriptions, subscription windows and outbound requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PENDING = sa.text("state = 'pending'")
_UNTAKEN = sa.text("taken_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "epcis_queries",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_epcis_queries")),
    )
    op.create_table(
        "epcis_subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("query_name", sa.String(length=200), nullable=False),
        sa.Column("dest", sa.Text(), nullable=False),
        sa.Column("signature_token", sa.Text(), nullable=True),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=True),
        sa.Column("report_if_empty", sa.Boolean(), nullable=False),
        sa.Column("initial_record_time", sa.BigInteger(), nullable=False),
        sa.Column("epc_format", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_notified_at", sa.BigInteger(), nullable=True),
        sa.Column("last_event", sa.BigInteger(), nullable=False),
        sa.Column("last_fire", sa.BigInteger(), nullable=True),
        sa.Column("next_window", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_name"],
            ["epcis_queries.name"],
            name=op.f("fk_epcis_subscriptions_query_name_epcis_queries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_subscriptions")),
    )
    op.create_index(
        op.f("ix_epcis_subscriptions_query_name"), "epcis_subscriptions", ["query_name"], unique=False
    )
    op.create_table(
        "subscription_windows",
        sa.Column("subscription", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_event", sa.BigInteger(), nullable=False),
        sa.Column("to_event", sa.BigInteger(), nullable=False),
        sa.Column("fire_time", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("events", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subscription", "seq", name=op.f("pk_subscription_windows")),
    )
    op.create_index(
        op.f("ix_subscription_windows_state"),
        "subscription_windows",
        ["state"],
        unique=False,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.create_table(
        "outbound_requests",
        sa.Column("id", PK, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("letter", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_requests")),
    )
    op.create_index(
        op.f("ix_outbound_requests_id"),
        "outbound_requests",
        ["id"],
        unique=False,
        sqlite_where=_UNTAKEN,
        postgresql_where=_UNTAKEN,
    )


def downgrade() -> None:
    op.drop_table("outbound_requests")
    op.drop_table("subscription_windows")
    op.drop_table("epcis_subscriptions")
    op.drop_table("epcis_queries")
