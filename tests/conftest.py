"""Fixtures: the Slack emulator, the sandbox, the bot served over HTTP, and databases."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from bot.app.config import Settings
from bot.app.runtime import Runtime
from bot.app.server import EVENTS_PATH, Server
from bot.core.clock import FakeClock
from bot.core.i18n import set_default_language
from tests.slack_emulator import BOT_TOKEN, SlackDriver, SlackEmulator

ALICE, BOB = "U0ALICE", "U0BOB"  # staff
SAM, SUE = "U0SAM", "U0SUE"  # support agents
ADA = "U0ADA"  # admin
STAFF_CHANNEL, APPROVALS_CHANNEL = "C0STAFF", "C0APPROVALS"
SIGNING_SECRET = "test-signing-secret-5b1c"

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def make_settings(emulator: SlackEmulator | None, database_url: str, **overrides) -> Settings:
    values = dict(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url if emulator else "http://127.0.0.1:9/api/",
        host="127.0.0.1",
        port=0,
        database_url=database_url,
        csp_provider="sandbox",
        csp_approvals_channel=APPROVALS_CHANNEL,
        csp_admins=ADA,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def workspace_language() -> Iterator[None]:
    """A bot started with `CSP_LANGUAGE` sets the process's default language: each test
    starts from English again."""
    yield
    set_default_language(None)


#: "done.." — a text whose placeholder already ended its sentence (an ellipsis is fine).
DOUBLED_STOP = re.compile(r"(?<![.…])\.\.(?![./])")


@pytest.fixture
async def emulator(clock) -> AsyncIterator[SlackEmulator]:
    """The Slack fake, on the test's clock (trigger_ids expire 3 s after they are issued)."""
    emulator = await SlackEmulator(clock).start()
    yield emulator
    await emulator.stop()
    doubled = [t for t in emulator.sent_texts() if DOUBLED_STOP.search(t)]
    assert not doubled, f"a sentence ends twice in what the bot sent: {doubled[:3]}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/csp-bot.db"


@pytest.fixture
def settings(emulator, database_url) -> Settings:
    return make_settings(emulator, database_url)


@pytest.fixture
def sandbox(clock):
    from bot.provider.sandbox import SandboxProvider

    return SandboxProvider(clock=clock.now, task_duration=timedelta(0))


@pytest.fixture
async def bot(settings, sandbox, clock) -> AsyncIterator[Server]:
    """The whole app served over HTTP on loopback; background loops are driven by tests."""
    server = Server(settings, Runtime(settings, provider=sandbox, clock=clock))
    await server.start(background=False)
    yield server
    await server.stop()


@pytest.fixture
async def slack(emulator, bot) -> AsyncIterator[SlackDriver]:
    driver = SlackDriver(emulator, f"http://127.0.0.1:{bot.port}{EVENTS_PATH}", SIGNING_SECRET)
    yield driver
    await driver.close()


# --- PostgreSQL -----------------------------------------------------------------------------


async def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not (for the skip message)."""
    import asyncpg

    url = make_url(POSTGRES_ADMIN_URL)
    try:
        conn = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, password=url.password,
            database=url.database, timeout=3,
        )
    except Exception as exc:
        return f"PostgreSQL at {url.host}:{url.port} unreachable ({exc.__class__.__name__})"
    await conn.close()
    return None


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    import asyncpg

    reason = await postgres_reachable()
    if reason:
        pytest.skip(reason + "; set TEST_DATABASE_URL to run the PostgreSQL tests")
    url = make_url(POSTGRES_ADMIN_URL)
    name = f"csp_test_{uuid.uuid4().hex[:12]}"
    params = dict(host=url.host, port=url.port or 5432, user=url.username,
                  password=url.password, database=url.database)
    conn = await asyncpg.connect(**params)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(**params)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
async def any_database_url(request, tmp_path) -> AsyncIterator[str]:
    """Runs a store test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/store.db"
    else:
        async with postgres_database() as url:
            yield url
