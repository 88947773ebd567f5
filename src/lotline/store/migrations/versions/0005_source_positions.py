"""source positions for polling sources

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_positions",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_positions")),
    )


def downgrade() -> None:
    op.drop_table("source_positions")
