"""Shared by the flow tests (orders, seats, cancellations, refunds): a cache synced from the
sandbox, support agents, the modal Slack is showing, and the worker run until it is idle.

Every flow test runs twice: with the bot on the in-process sandbox, and with the bot on
OvhProvider speaking signed HTTP to the sandbox server — the production client against
OVHcloud's conventions (`taskPendingId` 0 when idle, status `ok`, Paris-offset datetimes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from bot.app.runtime import Runtime
from bot.app.server import Server
from bot.core.domain import Role
from tests.conftest import ADA, SAM, SUE
from tests.provider.conftest import serving


@asynccontextmanager
async def serve_bot(settings, sandbox, clock, *, over_http: bool) -> AsyncIterator[Server]:
    """The whole app on loopback, on the sandbox itself or on OvhProvider talking to it over
    HTTP (the sandbox server, which checks every signature)."""
    async with AsyncExitStack() as stack:
        provider = sandbox
        if over_http:
            provider = (await stack.enter_async_context(serving(sandbox))).client(timeout=10)
        server = Server(settings, Runtime(settings, provider=provider, clock=clock))
        await server.start(background=False)
        stack.push_async_callback(server.stop)
        yield server


@pytest.fixture(params=["sandbox", "http"])
async def bot(request, settings, sandbox, clock) -> AsyncIterator[Server]:
    async with serve_bot(settings, sandbox, clock, over_http=request.param == "http") as server:
        yield server


def over_http(bot: Server) -> bool:
    """Whether this run's bot talks to the sandbox through OvhProvider over HTTP."""
    return not hasattr(bot.runtime.provider, "world")


@pytest.fixture
async def synced(bot):
    """The cache as a full sync leaves it, from the sandbox's seeded world."""
    report = await bot.runtime.syncer.sync_all()
    assert report.error is None and not report.failed, report.summary()
    return report


@pytest.fixture
async def agents(bot) -> tuple[str, str]:
    """SAM and SUE are support agents (granted by ADA, the admin)."""
    for user in (SAM, SUE):
        await bot.runtime.roles.grant(user, Role.SUPPORT, ADA)
    return SAM, SUE


def latest_view(emulator) -> dict:
    """The view opened or pushed last, as Slack stores it (with id and hash)."""
    return emulator.views[max(emulator.views)]


async def open_modal(slack, emulator, text: str, **kw) -> dict:
    """Runs `/csp …` (`text` with or without the command) that must open a modal; returns it."""
    before = len(emulator.calls_of("views.open"))
    reply = await slack.command(text.removeprefix("/csp").strip(), **kw)
    assert reply.status == 200, reply.body
    assert len(emulator.calls_of("views.open")) == before + 1, reply.text
    return latest_view(emulator)


async def settle(runtime, passes: int = 10) -> list:
    """Runs the worker until a pass does nothing, then lets the notifications finish."""
    reports = []
    for _ in range(passes):
        report = await runtime.worker.run_once()
        reports.append(report)
        await runtime.notifier.settle()
        if not report:
            break
    return reports
