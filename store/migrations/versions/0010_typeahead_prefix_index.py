"""Typeahead: an index for "the group's name starts with …" on PostgreSQL, whatever the
database's collation (LIKE 'x%' can use a B-tree index only under the C collation; the
`varchar_pattern_ops` operator class orders by bytes, as SQLite's default collation does).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tenants_search_prefix",
        "tenants",
        ["search_text"],
        postgresql_ops={"search_text": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_tenants_search_prefix", table_name="tenants")
