"""identifier cross-reference

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xref_identities",
        sa.Column("id", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xref_identities")),
    )
    op.create_table(
        "xref_source_ids",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=512), nullable=False),
        sa.Column("identity", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity"],
            ["xref_identities.id"],
            name=op.f("fk_xref_source_ids_identity_xref_identities"),
        ),
        sa.PrimaryKeyConstraint("system", "source_id", name=op.f("pk_xref_source_ids")),
    )
    with op.batch_alter_table("xref_source_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xref_source_ids_identity"), ["identity"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("xref_source_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xref_source_ids_identity"))
    op.drop_table("xref_source_ids")
    op.drop_table("xref_identities")
