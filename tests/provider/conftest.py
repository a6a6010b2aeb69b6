"""Fixtures for the provider contract: the same tests run against two backends, each in every
variant of what OVHcloud does not publish (`sandbox_conventions.VARIANTS`).

- "sandbox": the in-process SandboxProvider, as the bot uses it by default;
- "http": OvhProvider speaking real HTTP over 127.0.0.1 to sandbox_server, which checks every
  signature — this is what keeps the production client honest.

Both share one SandboxProvider on a ManualClock, exposed for fault injection and assertions.
Tasks take TASK_DURATION of sandbox time; tests step the clock, never sleep for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.core.domain import ProviderTask
from bot.provider.base import CspProvider, NotFound
from bot.provider.ovh import OvhProvider
from bot.provider.sandbox import ManualClock, SandboxProvider
from bot.provider.sandbox_conventions import OVHCLOUD, VARIANTS, Conventions
from bot.provider.sandbox_server import (
    STATE,
    SeenRequest,
    create_sandbox_app,
    start_sandbox_server,
)

TASK_DURATION = timedelta(minutes=5)
APP_KEY = "test-application-key"
APP_SECRET = "test-application-secret"
CONSUMER_KEY = "test-consumer-key"
#: Loopback answers take milliseconds, but a loaded 2-core machine can hold one for a few
#: hundred: the client waits long enough for that, and the timeout tests stay quick.
CLIENT_TIMEOUT = 1.5


@dataclass
class Backend:
    kind: str
    provider: CspProvider
    sandbox: SandboxProvider
    clock: ManualClock
    #: Every HTTP request the sandbox server received (HTTP backend only).
    requests: list[SeenRequest] | None = None

    @property
    def http(self) -> bool:
        return self.kind == "http"

    @property
    def conventions(self) -> Conventions:
        return self.sandbox.conventions

    def finish_tasks(self) -> None:
        """Let sandbox time pass until every task started so far is over."""
        self.clock.advance(TASK_DURATION)

    async def finished(self, service_name: str, task_id: int) -> ProviderTask | None:
        """A finished task as the contract promises it: readable and finished, or gone (404)
        in conventions that forget finished tasks — never still running."""
        try:
            task = await self.provider.get_task(service_name, task_id)
        except NotFound:
            assert not self.conventions.keep_finished_tasks
            return None
        assert task.status.finished and task.finish_date is not None
        return task


@dataclass
class HttpSandbox:
    url: str
    sandbox: SandboxProvider
    requests: list[SeenRequest]
    client: Callable[..., OvhProvider]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_sandbox(clock: ManualClock, conventions: Conventions = OVHCLOUD) -> SandboxProvider:
    box = SandboxProvider(clock=clock, task_duration=TASK_DURATION, conventions=conventions)
    box.faults.set(hang_seconds=CLIENT_TIMEOUT * 2)
    return box


@pytest.fixture
def sandbox(clock: ManualClock) -> SandboxProvider:
    return make_sandbox(clock)


@asynccontextmanager
async def serving(sandbox: SandboxProvider) -> AsyncIterator[HttpSandbox]:
    """The sandbox behind sandbox_server on an ephemeral loopback port, with a client factory
    whose clients are closed on exit."""
    app = create_sandbox_app(sandbox, APP_KEY, APP_SECRET, CONSUMER_KEY)
    runner, url = await start_sandbox_server(app, "127.0.0.1", 0)
    clients: list[OvhProvider] = []

    def client(**overrides) -> OvhProvider:
        options = {
            "application_key": APP_KEY,
            "application_secret": APP_SECRET,
            "consumer_key": CONSUMER_KEY,
            "timeout": CLIENT_TIMEOUT,
            "retries": 2,
            "backoff_base": 0.001,
            "backoff_max": 0.005,
        }
        options.update(overrides)
        made = OvhProvider(url, **options)
        clients.append(made)
        return made

    try:
        yield HttpSandbox(url, sandbox, app[STATE].requests, client)
    finally:
        for made in clients:
            await made.close()
        await runner.cleanup()


@pytest.fixture
async def http_sandbox(sandbox: SandboxProvider) -> AsyncIterator[HttpSandbox]:
    async with serving(sandbox) as server:
        yield server


BACKENDS = [(kind, name) for name in VARIANTS for kind in ("sandbox", "http")]


@pytest.fixture(params=BACKENDS, ids=[f"{kind}-{name}" for kind, name in BACKENDS])
async def backend(request: pytest.FixtureRequest, clock: ManualClock) -> AsyncIterator[Backend]:
    kind, name = request.param
    sandbox = make_sandbox(clock, VARIANTS[name])
    if kind == "sandbox":
        yield Backend("sandbox", sandbox, sandbox, clock)
        return
    async with serving(sandbox) as server:
        yield Backend("http", server.client(), sandbox, clock, server.requests)
