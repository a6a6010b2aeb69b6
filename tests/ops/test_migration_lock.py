"""Replicas starting together on a fresh PostgreSQL database: the migrations run once, the
other replicas wait for them and find nothing left to do."""

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
