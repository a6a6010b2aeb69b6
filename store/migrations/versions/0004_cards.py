"""Cards: the version of the request each status or approval card last showed, so the card
repair can redraw a card whose update Slack refused; and room in the card ts columns for a
claim that names the process posting it, so a restarted bot can take over its dead
predecessor's claim at once.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS_COLUMNS = ("card_ts", "approval_ts")
SHOWN_COLUMNS = ("card_shown_at", "approval_shown_at")


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        for name in SHOWN_COLUMNS:
            batch.add_column(
                sa.Column(name, store.models.UtcDateTime(timezone=True), nullable=True)
            )
        for name in TS_COLUMNS:
            batch.alter_column(
                name, type_=sa.String(length=64), existing_type=sa.String(length=32)
            )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        for name in TS_COLUMNS:
            batch.alter_column(
                name, type_=sa.String(length=32), existing_type=sa.String(length=64)
            )
        for name in reversed(SHOWN_COLUMNS):
            batch.drop_column(name)
