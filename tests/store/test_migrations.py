"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store.db import Database
from store.migrate import current_revision, head_revision, is_current, upgrade
from store.models import Base


async def test_migrations_match_the_models(any_database_url):
    db = Database(any_database_url)
    try:
        assert not await is_current(db.engine)
        await upgrade(db.engine)
        assert await current_revision(db.engine) == head_revision()

        def diff(sync_conn):
            dialect = sync_conn.dialect.name

            def include_object(obj, _name, _type, reflected, _compare_to):
                # indexes the models make on one database only (`info["only_on"]`)
                only_on = getattr(obj, "info", {}).get("only_on")
                return reflected or only_on in (None, dialect)

            opts = {"compare_type": True, "include_object": include_object}
            context = MigrationContext.configure(sync_conn, opts=opts)
            return compare_metadata(context, Base.metadata)

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
        await upgrade(db.engine)  # a second upgrade is a no-op
    finally:
        await db.close()


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    from sqlalchemy import text

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/wal.db")
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    finally:
        await db.close()
