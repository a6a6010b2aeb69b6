"""Alembic, driven from code: `csp-bot db upgrade` and start-up call `upgrade()`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


#: pg_advisory_xact_lock key (namespace, object) that serialises migrations: replicas starting
#: together on a fresh database take turns, and the later ones find nothing left to do.
_MIGRATION_LOCK = (0x0C5B, 2)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations on the engine's database (runs Alembic in a worker thread)."""

    def run(sync_connection) -> None:
        if sync_connection.dialect.name == "postgresql":
            sync_connection.execute(
                text("SELECT pg_advisory_xact_lock(:a, :b)"),
                {"a": _MIGRATION_LOCK[0], "b": _MIGRATION_LOCK[1]},
            )
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
    return await current_revision(engine) == head_revision()


def upgrade_sync(engine: AsyncEngine) -> None:
    asyncio.run(upgrade(engine))
