"""Usage against seats: OVHcloud's usageStatistics kept per group, licence and day, and when a
group's usage figures were last read (they are read at most every CSP_USAGE_REFRESH_HOURS).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("usage_read_at", store.models.UtcDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "usage_days",
        sa.Column("service_name", sa.String(length=255), nullable=False),
        sa.Column("license_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("license_name", sa.String(length=255), nullable=False),
        sa.Column("peak_count", sa.Integer(), nullable=False),
        sa.Column("end_of_day_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["service_name"], ["tenants.service_name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("service_name", "license_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("usage_days")
    # not a batch: recreating tenants on SQLite would cascade to its children
    op.drop_column("tenants", "usage_read_at")
