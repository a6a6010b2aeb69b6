"""Fixtures for the Partner Center contract: the same tests run against two backends.

- "sandbox": the in-process PartnerCenterSandbox, as the bot uses it by default;
- "http": PartnerCenterClient (msal for tokens, aiohttp for the API) over HTTPS on 127.0.0.1 to
  sandbox_server, which checks every bearer token; the Entra ID stand-in is on the same origin.

TLS is real: a throwaway CA (trustme) signs the server's certificate, and the client trusts it
only because SSL_CERT_FILE names it, as an operator would do for a stand-in. Business time is a
FakeClock the tests step; token lifetimes run on the wall clock.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

from bot.core.clock import FakeClock
from bot.partner_center.auth import PartnerCenterAuth
from bot.partner_center.client import PartnerCenterClient
from bot.partner_center.entra_standin import EntraStandIn
from bot.partner_center.provider import SoftwareProvider
from bot.partner_center.sandbox import PartnerCenterSandbox
from bot.partner_center.sandbox_rules import ADMIN_AGENT, Caller
from bot.partner_center.sandbox_server import (
    STATE,
    SeenRequest,
    ServerOptions,
    create_partner_center_app,
    start_partner_center_server,
)

PARTNER_TENANT = "0f3e5a1c-partner-tenant"
CLIENT_ID = "6a1d2c3b-csp-bot-app"
CLIENT_SECRET = "test-client-secret-value"
#: Loopback answers take milliseconds; a short timeout keeps timeout tests quick.
CLIENT_TIMEOUT = 0.5


@dataclass
class Tls:
    ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    path = tmp_path_factory.mktemp("ca") / "stand-in-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return Tls(path, context)


@pytest.fixture
def trust_stand_in(tls_material: Tls, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The operator names the stand-in's CA in SSL_CERT_FILE (REQUESTS_CA_BUNDLE may still
    name the system bundle, as it does on many machines)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_material.ca_file))
    return tls_material.ca_file


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> PartnerCenterSandbox:
    return PartnerCenterSandbox(clock=clock)


@dataclass
class HttpPartnerCenter:
    url: str
    sandbox: PartnerCenterSandbox
    entra: EntraStandIn
    options: ServerOptions
    requests: list[SeenRequest]
    refresh_token: str
    client: Callable[..., PartnerCenterClient]
    sleeps: list[float] = field(default_factory=list)

    def seen(self, method: str, fragment: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.method == method and fragment in r.path]


@asynccontextmanager
async def serving(
    sandbox: PartnerCenterSandbox, tls: Tls, options: ServerOptions | None = None
) -> AsyncIterator[HttpPartnerCenter]:
    """The sandbox and the token stand-in on one ephemeral HTTPS port, with a client factory
    (an Admin agent's refresh token by default); clients are closed on exit."""
    entra = EntraStandIn(PARTNER_TENANT, CLIENT_ID, CLIENT_SECRET)
    refresh_token = entra.add_user(ADMIN_AGENT)
    options = options or ServerOptions(hang_seconds=CLIENT_TIMEOUT * 4)
    app = create_partner_center_app(sandbox, entra, options)
    runner, url = await start_partner_center_server(app, ssl_context=tls.server_context)
    clients: list[PartnerCenterClient] = []
    sleeps: list[float] = []

    async def no_wait(seconds: float) -> None:
        sleeps.append(seconds)

    def client(
        *, caller: Caller | None = None, user: bool = True, **overrides
    ) -> PartnerCenterClient:
        token = refresh_token if caller is None else entra.add_user(caller)
        auth = PartnerCenterAuth(
            tenant_id=PARTNER_TENANT,
            client_id=CLIENT_ID,
            client_secret=overrides.pop("client_secret", CLIENT_SECRET),
            refresh_token=token if user else None,
            authority_url=url,
        )
        options = {"timeout": CLIENT_TIMEOUT, "retries": 2, "sleep": no_wait}
        options.update(overrides)
        made = PartnerCenterClient(auth, url, **options)
        clients.append(made)
        return made

    try:
        yield HttpPartnerCenter(
            url, sandbox, entra, options, app[STATE].requests, refresh_token, client, sleeps
        )
    finally:
        for made in clients:
            await made.close()
        await runner.cleanup()


@pytest.fixture
async def http_pc(
    sandbox: PartnerCenterSandbox, tls_material: Tls, trust_stand_in: Path
) -> AsyncIterator[HttpPartnerCenter]:
    async with serving(sandbox, tls_material) as server:
        yield server


@dataclass
class Backend:
    kind: str
    provider: SoftwareProvider
    sandbox: PartnerCenterSandbox
    clock: FakeClock
    server: HttpPartnerCenter | None = None

    @property
    def http(self) -> bool:
        return self.server is not None

    def as_caller(self, caller: Caller) -> SoftwareProvider:
        """The same backend, acting as another partner user."""
        if self.server is not None:
            return self.server.client(caller=caller)
        self.sandbox.caller = caller
        return self.sandbox


@pytest.fixture(params=["sandbox", "http"])
async def backend(
    request: pytest.FixtureRequest,
    sandbox: PartnerCenterSandbox,
    clock: FakeClock,
    tls_material: Tls,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Backend]:
    if request.param == "sandbox":
        yield Backend("sandbox", sandbox, sandbox, clock)
        return
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_material.ca_file))
    async with serving(sandbox, tls_material) as server:
        yield Backend("http", server.client(), sandbox, clock, server)
