"""The local state cache: tenants, licenses, subscriptions, provider tasks, seat batches.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("service_name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("mpn_id", sa.String(length=64), nullable=True),
        sa.Column("mpn_issue_flag", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("zip_code", sa.String(length=32), nullable=True),
        sa.Column("creation_date", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("has_accepted_new_mca", sa.Boolean(), nullable=True),
        sa.Column("service_info", sa.JSON(), nullable=True),
        sa.Column("usage_peaks", sa.JSON(), nullable=True),
        sa.Column("search_text", sa.String(length=600), nullable=False),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("sync_error_at", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_name"),
    )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tenants_search",
            ["search_text", "service_name", "display_name", "status"],
            unique=False,
        )

    op.create_table(
        "licenses",
        sa.Column("service_name", sa.String(length=255), nullable=False),
        sa.Column("license_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("licence_type", sa.String(length=32), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("new_seats_allowed", sa.Boolean(), nullable=False),
        sa.Column("new_subscriptions_allowed", sa.Boolean(), nullable=False),
        sa.Column("synced_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_name"], ["tenants.service_name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("service_name", "license_id"),
    )
    with op.batch_alter_table("licenses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licenses_license_id"), ["license_id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("service_name", sa.String(length=255), nullable=False),
        sa.Column("license_id", sa.BigInteger(), nullable=False),
        sa.Column("license_name", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("creation_date", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_update", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("task_pending_id", sa.BigInteger(), nullable=True),
        sa.Column("search_text", sa.String(length=600), nullable=False),
        sa.Column("batched_seats", sa.Integer(), nullable=False),
        sa.Column("synced_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_name"], ["tenants.service_name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_search_text"), ["search_text"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscriptions_service_name"), ["service_name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscriptions_license_id"), ["license_id"], unique=False
        )
        batch_op.create_index(
            "ix_subscriptions_tenant_license", ["service_name", "license_id"], unique=False
        )

    op.create_table(
        "provider_tasks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("service_name", sa.String(length=255), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.Column("function", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("todo_date", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finish_date", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("provider_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_tasks_service_name"), ["service_name"], unique=False
        )

    op.create_table(
        "seat_batches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("added_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("seat_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seat_batches_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "sync_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("started_at", store.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", store.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenants_ok", sa.Integer(), nullable=False),
        sa.Column("tenants_failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("sync_runs")
    op.drop_table("seat_batches")
    op.drop_table("provider_tasks")
    op.drop_table("subscriptions")
    op.drop_table("licenses")
    op.drop_table("tenants")
