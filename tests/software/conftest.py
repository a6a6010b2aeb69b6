"""The whole bot on loopback with software through Partner Center: the Slack emulator in
front, the CSP2 sandbox for licenses, and for software either the in-process Partner Center
sandbox or PartnerCenterClient (msal + aiohttp) over HTTPS to the sandbox server, which checks
every token (`tests/partner_center/conftest.py`'s server, a throwaway CA trusted through
SSL_CERT_FILE)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
import trustme

from bot.app.runtime import Runtime
from bot.app.server import Server
from bot.partner_center.sandbox import PartnerCenterSandbox
from bot.software.sync import sync_software
from tests.partner_center.conftest import Tls, serving


@pytest.fixture(scope="session")
def software_tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    path = tmp_path_factory.mktemp("software-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return Tls(path, context)


@pytest.fixture
def pc(clock) -> PartnerCenterSandbox:
    """The Partner Center sandbox, on the test's clock (its seeded purchases are dated from
    it: some inside their cancellation windows, some past)."""
    return PartnerCenterSandbox(clock=clock)


@pytest.fixture(params=["sandbox", "http"])
async def bot(request, settings, sandbox, clock, pc, software_tls, monkeypatch
              ) -> AsyncIterator[Server]:
    async with AsyncExitStack() as stack:
        software = pc
        if request.param == "http":
            monkeypatch.setenv("SSL_CERT_FILE", str(software_tls.ca_file))
            server = await stack.enter_async_context(serving(pc, software_tls))
            software = server.client(timeout=10)
        runtime = Runtime(settings, provider=sandbox, software=software, clock=clock)
        bot = Server(settings, runtime)
        await bot.start(background=False)
        stack.push_async_callback(bot.stop)
        yield bot


@pytest.fixture
async def software_synced(bot):
    report = await sync_software(bot.runtime)
    assert report.error is None and not report.failed, report
    return report
