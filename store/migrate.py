"""Alembic, driven from code: `csp-bot db upgrade` and start-up call `upgrade()`."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revision() -> str | None:
    return _scripts().get_current_head()


def is_newer(revision: str | None) -> bool:
    """A revision this version of the code does not know: a newer release migrated the
    database. Migrations are expand-then-contract (docs/deploy.md), so this code still works
    on it: that is what lets an old replica run, and restart, during a rolling upgrade."""
    if revision is None:
        return False
    try:
        return _scripts().get_revision(revision) is None
    except Exception:  # alembic: "Can't locate revision identified by …"
        return True


#: pg_advisory_xact_lock key (namespace, object) that serialises migrations: replicas starting
#: together on a fresh database take turns, and the later ones find nothing left to do.
_MIGRATION_LOCK = (0x0C5B, 2)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations on the engine's database (runs Alembic in a worker thread)."""

    def run(sync_connection: Connection) -> None:
        if sync_connection.dialect.name == "postgresql":
            sync_connection.execute(
                text("SELECT pg_advisory_xact_lock(:a, :b)"),
                {"a": _MIGRATION_LOCK[0], "b": _MIGRATION_LOCK[1]},
            )
        found = MigrationContext.configure(sync_connection).get_current_revision()
        if is_newer(found):
            log.warning(
                "the database is at revision %s, newer than this version's %s: running on it "
                "unchanged", found, head_revision(),
            )
            return
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )


async def is_current(engine: AsyncEngine) -> bool:
    """The schema is what this code needs: at its head, or migrated by a newer release."""
    current = await current_revision(engine)
    return current == head_revision() or is_newer(current)


def upgrade_sync(engine: AsyncEngine) -> None:
    asyncio.run(upgrade(engine))
