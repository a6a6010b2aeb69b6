"""Migrations with several replicas: started together on a fresh PostgreSQL database, they take
turns; during a rolling upgrade, an older release runs on the schema a newer one migrated."""

from __future__ import annotations

import asyncio

import pytest

from store.db import Database
from store.migrate import is_current, upgrade


@pytest.mark.postgres
async def test_concurrent_upgrades_take_turns(postgres_url):
    databases = [Database(postgres_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(db.engine) for db in databases))
        assert all([await is_current(db.engine) for db in databases])
    finally:
        for db in databases:
            await db.close()


async def test_an_older_release_runs_and_restarts_on_a_database_a_newer_one_migrated(
    any_database_url,
):
    """During a rolling upgrade the new release migrates first (expand only): the replicas of
    the old release keep serving, are ready, and start again without touching the schema."""
    from sqlalchemy import text

    db = Database(any_database_url)
    try:
        await upgrade(db.engine)
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
        assert await is_current(db.engine)
        await upgrade(db.engine)  # an old replica restarting: no "can't locate revision"
        async with db.engine.connect() as conn:
            found = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        assert found == "0099_future"
    finally:
        await db.close()


async def test_a_database_behind_the_code_is_not_ready(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    try:
        await upgrade(db.engine, "0001")
        assert not await is_current(db.engine)
        await upgrade(db.engine)
        assert await is_current(db.engine)
    finally:
        await db.close()
