"""Requests scheduled for the renewal (when they run, when their requester was reminded) and the
daily digest's once-a-day claim.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "requests", sa.Column("run_at", store.models.UtcDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "requests",
        sa.Column("reminded_at", store.models.UtcDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_requests_run_at", "requests", ["run_at"])
    op.create_table(
        "digests",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("digests")
    op.drop_index("ix_requests_run_at", table_name="requests")
    # not a batch: recreating requests on SQLite would cascade to its children
    op.drop_column("requests", "reminded_at")
    op.drop_column("requests", "run_at")
