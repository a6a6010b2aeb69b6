"""Add-on eligibility: the licences each main subscription may take as add-ons, as OVHcloud's
`…/subscription/{id}/availableAddonLicenses` says at the last sync (null: not read yet).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "subscriptions", sa.Column("available_addon_licenses", sa.JSON(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("subscriptions", "available_addon_licenses")
