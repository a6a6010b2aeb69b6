"""Typeahead on PostgreSQL: indexes for "the group's name starts with …" and "… contains …".

LIKE 'x%' can use a B-tree index only under the C collation, so the prefix index uses the
`varchar_pattern_ops` operator class (byte order, as SQLite's default collation); LIKE '%x%'
uses a trigram index (the pg_trgm extension, trusted since PostgreSQL 13: a database owner may
create it). Where pg_trgm cannot be created, the trigram index is left out and "contains"
stays a scan of the groups. SQLite gets neither: its ranges use `ix_tenants_search`.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.create_index(
        "ix_tenants_search_prefix",
        "tenants",
        ["search_text"],
        postgresql_ops={"search_text": "varchar_pattern_ops"},
    )
    if not _trigrams_available(bind):
        log.warning("pg_trgm could not be created: typeahead's 'contains' stays a scan")
        return
    op.create_index(
        "ix_tenants_search_trigrams",
        "tenants",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def _trigrams_available(bind: sa.engine.Connection) -> bool:
    if bind.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    if not bind.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")):
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return False
    return True


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_tenants_search_trigrams")
    op.drop_index("ix_tenants_search_prefix", table_name="tenants")
