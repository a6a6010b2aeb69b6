"""The operator's side: settings, `csp-bot check` on Partner Center, `csp-bot pc-sandbox`."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from bot.app.check import partner_center_findings
from bot.app.config import Settings, SoftwareProviderName
from bot.app.runtime import build_software_provider
from bot.partner_center.auth import PartnerCenterAuth
from bot.partner_center.client import PartnerCenterClient
from bot.partner_center.sandbox import PartnerCenterSandbox
from bot.partner_center.sandbox_rules import Caller
from bot.partner_center.sandbox_service import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT_ID
from tests.app.test_cli import free_port, run_cli
from tests.partner_center.conftest import CLIENT_ID, CLIENT_SECRET, PARTNER_TENANT, serving

CREDENTIALS = {
    "partner_center_tenant_id": PARTNER_TENANT,
    "partner_center_client_id": CLIENT_ID,
    "partner_center_client_secret": CLIENT_SECRET,
}


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_partner_center_is_the_default_once_its_credentials_are_set(clock) -> None:
    assert _settings().software_provider is SoftwareProviderName.SANDBOX
    assert isinstance(build_software_provider(_settings(), clock), PartnerCenterSandbox)
    configured = _settings(**CREDENTIALS)
    assert configured.software_provider is SoftwareProviderName.PARTNER_CENTER
    client = build_software_provider(configured, clock)
    assert isinstance(client, PartnerCenterClient)
    assert client.transport.base_url == "https://api.partnercenter.microsoft.com"
    assert client.auth.authority == f"https://login.microsoftonline.com/{PARTNER_TENANT}"
    assert client.auth.scope == client.auth.app_scope == (
        "https://api.partnercenter.microsoft.com/.default"
    )
    forced = _settings(csp_software_provider="sandbox", **CREDENTIALS)
    assert forced.software_provider is SoftwareProviderName.SANDBOX
    with pytest.raises(ValueError, match="PARTNER_CENTER_CLIENT_SECRET"):
        build_software_provider(_settings(csp_software_provider="partner_center"), clock)


def test_the_sandbox_takes_the_perpetual_window_setting(clock) -> None:
    box = build_software_provider(_settings(csp_perpetual_cancellation_window_days=60), clock)
    assert box.behaviour.perpetual_window.days == 60


def test_findings_say_what_partner_center_lacks() -> None:
    def problems(**values) -> list[str]:
        return [f.detail for f in partner_center_findings(_settings(**values)) if not f.ok]

    assert problems() == []
    assert "needs PARTNER_CENTER_TENANT_ID" in problems(csp_software_provider="partner_center")[0]
    (no_user,) = problems(**CREDENTIALS)
    assert "no PARTNER_CENTER_REFRESH_TOKEN" in no_user
    (http,) = problems(**CREDENTIALS, partner_center_refresh_token="rt",
                       partner_center_authority_url="http://127.0.0.1:9")  # fmt: skip
    assert "must be https" in http
    (windows,) = problems(csp_perpetual_cancellation_window_days=90)
    assert "CSP_REFUND_WINDOW_PERPETUAL_DAYS" in windows


@pytest.mark.parametrize("mfa", [True, False])
async def test_check_probes_partner_center_and_the_mfa_of_the_consent(
    tmp_path, sandbox, tls_material, trust_stand_in, mfa: bool
) -> None:
    async with serving(sandbox, tls_material) as server:
        token = server.entra.add_user(Caller(mfa=mfa, name="ada@partner.example"))
        env = {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
            "SSL_CERT_FILE": str(tls_material.ca_file),
            "PARTNER_CENTER_TENANT_ID": PARTNER_TENANT,
            "PARTNER_CENTER_CLIENT_ID": CLIENT_ID,
            "PARTNER_CENTER_CLIENT_SECRET": CLIENT_SECRET,
            "PARTNER_CENTER_REFRESH_TOKEN": token,
            "PARTNER_CENTER_API_URL": server.url,
            "PARTNER_CENTER_AUTHORITY_URL": server.url,
        }
        # in a thread: the server answers on this test's event loop
        result = await asyncio.to_thread(run_cli, ["check"], env, tmp_path)
    out = result.output
    assert f"Software: Partner Center at {server.url}" in out
    assert "Partner Center: answers: 5 customers" in out
    if mfa:
        assert "ok  Partner Center sign-in: App+User as ada@partner.example, with MFA" in out
    else:
        assert "!!  Partner Center sign-in: ada@partner.example consented without MFA" in out
        assert "(900421)" in out
    assert CLIENT_SECRET not in out and token not in out


async def test_pc_sandbox_serves_partner_center_over_https(tmp_path, monkeypatch) -> None:
    port, ca = free_port(), tmp_path / "ca.pem"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNER_CENTER_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.app.cli", "pc-sandbox", "--port", str(port), "--ca-out", str(ca),
        env=env, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        url = f"https://127.0.0.1:{port}"
        assert f"Partner Center sandbox on {url}" in line.decode()
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        auth = PartnerCenterAuth(tenant_id=DEMO_TENANT_ID, client_id=DEMO_CLIENT_ID,
                                 client_secret=DEMO_CLIENT_SECRET, authority_url=url)
        client = PartnerCenterClient(auth, url)
        try:
            assert len(await client.list_customers()) == 5
        finally:
            await client.close()
    finally:
        process.terminate()
        await process.wait()
