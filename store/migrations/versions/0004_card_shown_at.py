"""What each card shows: the version of the request a status or approval card last showed, so
the card repair can redraw a card whose update Slack refused.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        for name in ("card_shown_at", "approval_shown_at"):
            batch.add_column(
                sa.Column(name, store.models.UtcDateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("approval_shown_at")
        batch.drop_column("card_shown_at")
