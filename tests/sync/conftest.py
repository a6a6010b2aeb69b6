"""Shared by the sync tests: a runtime on the sandbox, on SQLite and PostgreSQL or SQLite only,
and a read of the cache."""

from __future__ import annotations

import pytest

from bot.app.runtime import Runtime
from tests.conftest import make_settings

ALL_GROUPS = 5


async def make_runtime(url, provider, clock, **settings) -> Runtime:
    runtime = Runtime(make_settings(None, url, **settings), provider=provider, clock=clock)
    await runtime.start(background=False)
    return runtime


@pytest.fixture
async def runtime(any_database_url, sandbox, clock):
    """On SQLite and on PostgreSQL."""
    runtime = await make_runtime(any_database_url, sandbox, clock)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def lite(database_url, sandbox, clock):
    """On SQLite only: behaviour that does not depend on the database."""
    runtime = await make_runtime(database_url, sandbox, clock)
    yield runtime
    await runtime.stop()


async def read(runtime, fn, *args, **kwargs):
    async with runtime.db.session() as session:
        return await fn(session, *args, **kwargs)
