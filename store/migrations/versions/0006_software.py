"""Software through Partner Center: the customers, the software catalogue (one row per SKU) and
the purchases (one row per order line) that the software sync fills, with who bought each
through the bot and when its buyer was reminded of the cancellation window.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _utc() -> store.models.UtcDateTime:
    return store.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "software_customers",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("license_group", sa.String(length=255), nullable=True),
        sa.Column("search_text", sa.String(length=600), nullable=False),
        sa.Column("synced_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "software_products",
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("product_title", sa.String(length=255), nullable=False),
        sa.Column("sku_title", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("billing_cycles", sa.JSON(), nullable=False),
        sa.Column("minimum_quantity", sa.Integer(), nullable=False),
        sa.Column("maximum_quantity", sa.Integer(), nullable=True),
        sa.Column("synced_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "sku_id"),
    )
    op.create_table(
        "software_purchases",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.String(length=128), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("term_duration", sa.String(length=16), nullable=True),
        sa.Column("billing_cycle", sa.String(length=16), nullable=True),
        sa.Column("order_status", sa.String(length=32), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("subscription_status", sa.String(length=32), nullable=True),
        sa.Column("purchased_at", _utc(), nullable=True),
        sa.Column("cancellable_until", _utc(), nullable=True),
        sa.Column("bought_by", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.Column("reminded_at", _utc(), nullable=True),
        sa.Column("synced_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "order_id", "line_number"),
    )
    op.create_index(
        "ix_software_purchases_cancellable_until", "software_purchases", ["cancellable_until"]
    )


def downgrade() -> None:
    op.drop_index("ix_software_purchases_cancellable_until", table_name="software_purchases")
    op.drop_table("software_purchases")
    op.drop_table("software_products")
    op.drop_table("software_customers")
