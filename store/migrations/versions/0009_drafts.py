"""Drafts: a reviewed form waits in its own table until it is confirmed, so a draft takes no
request number and leaves no trace in the lists or the audit trail.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=255), nullable=True),
        sa.Column("subscription_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("deadline", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("origin_channel", sa.String(length=64), nullable=True),
        sa.Column("run_at", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=True),
        sa.Column("created_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_drafts_created_at", "drafts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_drafts_created_at", table_name="drafts")
    op.drop_table("drafts")
