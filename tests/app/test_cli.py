"""The command line as an operator uses it: serve, check, db upgrade."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from datetime import timedelta

import aiohttp
import pytest
from click.testing import CliRunner

from bot.app.cli import main
from bot.provider.cart_config import Requirement
from bot.provider.sandbox import ITEMS_SHAPE, SandboxProvider
from bot.provider.sandbox_conventions import VARIANTS
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3
from bot.provider.sandbox_server import create_sandbox_app, start_sandbox_server
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack_emulator import SlackDriver

CLEAN_ENV = {k: "" for k in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")}


def run_cli(args, env, cwd):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)  # no stray .env is read
    try:
        return runner.invoke(main, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


def test_serve_with_some_credentials_says_what_to_set(tmp_path, monkeypatch):
    # (With none at all, serve runs the playground: tests/playground/test_cli.py.)
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "SLACK_BOT_TOKEN": BOT_TOKEN}
    result = run_cli(["serve"], env, tmp_path)
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output
    assert "SLACK_SIGNING_SECRET" in result.output
    assert "Traceback" not in result.output


def test_check_reports_problems_with_a_fix_and_fails(tmp_path, monkeypatch):
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "CSP_ADMINS": "",
           "CSP_APPROVALS_CHANNEL": ""}
    result = run_cli(["check"], env, tmp_path)
    assert result.exit_code == 1
    assert "Slack: not configured: set SLACK_BOT_TOKEN" in result.output
    assert "set CSP_APPROVALS_CHANNEL" in result.output
    assert "run `csp-bot db upgrade`" in result.output  # empty database


def test_check_offline_never_calls_a_missing_token_ok(tmp_path, monkeypatch):
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    result = run_cli(["check", "--offline"], env, tmp_path)
    assert "Slack: not configured" in result.output
    for line in result.output.splitlines():
        assert not (line.startswith("ok") and "needs" in line), line
    # in HTTP mode, Socket Mode is a note, neither fine nor a problem
    http = {**env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    result = run_cli(["check", "--offline"], http, tmp_path)
    assert "--  Socket Mode: not used; it would need SLACK_APP_TOKEN" in result.output


def test_the_playground_banner_names_a_command_that_runs():
    from bot.app.cli import PLAYGROUND_READY

    assert "`make check`" in PLAYGROUND_READY and "`.venv/bin/csp-bot check`" in PLAYGROUND_READY
    makefile = open(os.path.join(os.path.dirname(__file__), "..", "..", "Makefile")).read()
    assert "\ncheck: $(STAMP)\n\t$(BIN)/csp-bot check --offline\n" in makefile


def test_the_package_licence_is_an_spdx_expression():
    """setuptools ≥ 77 prints a deprecation box for a `license = {text = …}` table or a
    `License ::` classifier; the SPDX string form is quiet."""
    import tomllib

    with open(os.path.join(os.path.dirname(__file__), "..", "..", "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    assert isinstance(project["license"], str)
    assert not any(c.startswith("License ::") for c in project.get("classifiers", []))


def test_check_reads_the_terms(tmp_path, monkeypatch):
    for name in CLEAN_ENV:
        monkeypatch.delenv(name, raising=False)
    terms = tmp_path / "terms.yaml"
    terms.write_text("10021: P1Y/annual\nOffice 365 E1: P3Y\n", encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "CSP_TERMS": str(terms),
           "CSP_PROVIDER": "ovh"}
    result = run_cli(["check", "--offline"], env, tmp_path)
    assert "Terms: 2 licence(s) configured; any other is assumed P1M" in result.output
    terms.write_text("10021: P1M/annual\n", encoding="utf-8")
    result = run_cli(["check", "--offline"], env, tmp_path)
    assert result.exit_code == 1
    assert "!!  Terms: The licences' terms cannot be read (CSP_TERMS, 10021: a P1M term cannot " \
           "be billed annual)" in result.output


async def test_db_upgrade_then_check_passes_against_the_emulator(tmp_path, emulator):
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.api_url, "CSP_ADMINS": "U0ADA",
        "CSP_APPROVALS_CHANNEL": "C0APPROVALS", "CSP_PROVIDER": "sandbox",
    }
    upgraded = await asyncio.to_thread(run_cli, ["db", "upgrade"], env, tmp_path)
    assert "Database at revision" in upgraded.output
    # in a thread: the emulator answers on this test's event loop
    result = await asyncio.to_thread(run_cli, ["check"], env, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Slack auth.test: bot csp-bot in CSP Reseller" in result.output
    assert "Provider: answers:" in result.output
    assert BOT_TOKEN not in result.output


async def test_check_names_a_bad_token(tmp_path, emulator):
    emulator.fail("auth.test", "invalid_auth")
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.api_url, "CSP_ADMINS": "U0ADA",
        "CSP_APPROVALS_CHANNEL": "C0APPROVALS",
    }
    result = await asyncio.to_thread(run_cli, ["check"], env, tmp_path)
    assert result.exit_code == 1
    assert "invalid_auth: check SLACK_BOT_TOKEN" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until_ready(http: aiohttp.ClientSession, base: str) -> None:
    """Polls `/readyz` of a bot starting in another process (15 s at most)."""
    for _ in range(150):
        try:
            async with http.get(base + "/readyz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the bot did not become ready")


async def test_serve_in_http_mode_answers_and_stops_cleanly_on_sigterm(tmp_path, emulator):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/serve.db",
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "", "SLACK_API_URL": emulator.api_url, "HOST": "127.0.0.1",
        "PORT": str(port), "CSP_PROVIDER": "sandbox", "CSP_SYNC_INTERVAL": "3600",
    }
    env.pop("SLACK_APP_TOKEN")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", cwd=os.getcwd(), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            await wait_until_ready(http, base)
            async with http.get(base + "/healthz") as r:
                assert r.status == 200
        driver = SlackDriver(emulator, base + "/slack/events", SIGNING_SECRET)
        started = time.perf_counter()
        reply = await driver.command("help")
        elapsed = time.perf_counter() - started
        assert reply.status == 200 and "/csp help" in reply.text
        assert elapsed < 1.0
        stale = await driver.command("help", timestamp=int(time.time()) - 400)
        assert stale.status == 401
        await driver.close()
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, output.decode()
        assert b"stopped cleanly" in output
        assert BOT_TOKEN.encode() not in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_bot_on_the_ovh_provider_talks_to_the_sandbox_server(tmp_path, emulator):
    """`csp-bot sandbox` in one process; `csp-bot check` with CSP_PROVIDER=ovh against it."""
    port = free_port()
    keys = {"OVH_APPLICATION_KEY": "ak-test", "OVH_APPLICATION_SECRET": "as-test-secret",
            "OVH_CONSUMER_KEY": "ck-test-consumer"}
    sandbox = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.app.cli", "sandbox", "--port", str(port),
        "--cart-shape", "items",
        cwd=os.getcwd(),
        env={**os.environ, **keys}, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        # 60 s: a cold start of the CLI on a busy machine
        line = await asyncio.wait_for(sandbox.stdout.readline(), 60)
        assert f"127.0.0.1:{port}" in line.decode()
        env = {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emulator.api_url, "CSP_ADMINS": "U0ADA",
            "CSP_APPROVALS_CHANNEL": "C0APPROVALS", "CSP_PROVIDER": "ovh",
            "OVH_ENDPOINT": f"http://127.0.0.1:{port}/1.0", **keys,
        }
        await asyncio.to_thread(run_cli, ["db", "upgrade"], env, tmp_path)
        result = await asyncio.to_thread(run_cli, ["check"], env, tmp_path)
        assert result.exit_code == 0, result.output
        assert "Provider: ovh (http://127.0.0.1:" in result.output
        assert "Provider: answers: 5 license groups" in result.output

        wrong = {**env, "OVH_APPLICATION_SECRET": "not-the-secret"}
        result = await asyncio.to_thread(run_cli, ["check"], wrong, tmp_path)
        assert result.exit_code == 1
        assert "INVALID_SIGNATURE" in result.output
        assert "not-the-secret" not in result.output
    finally:
        sandbox.send_signal(signal.SIGINT)
        await asyncio.wait_for(sandbox.wait(), 10)


# --- csp-bot check --provider-details ----------------------------------------------------------


@pytest.mark.parametrize("name", ["ovhcloud", "legacy", "degraded"])
async def test_provider_details_reads_the_account_and_changes_nothing(tmp_path, clock, name):
    """Against the sandbox server over HTTP, in each variant of OVHcloud's conventions."""
    box = SandboxProvider(clock=clock.now, task_duration=timedelta(hours=1),
                          conventions=VARIANTS[name])
    await box.change_quantity(NORDWIND, NORDWIND_E3, 13)  # one task running
    box.clear_calls()
    app = create_sandbox_app(box, "ak-details", "as-details", "ck-details")
    runner, url = await start_sandbox_server(app)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "CSP_PROVIDER": "ovh",
           "OVH_ENDPOINT": url, "OVH_APPLICATION_KEY": "ak-details",
           "OVH_APPLICATION_SECRET": "as-details", "OVH_CONSUMER_KEY": "ck-details"}
    try:
        result = await asyncio.to_thread(run_cli, ["check", "--provider-details"], env, tmp_path)
    finally:
        await runner.cleanup()
    out = result.output
    assert result.exit_code == 0, out
    assert f"Provider details (read only), ovh ({url})" in out
    assert "License groups: 5 (statuses: ok ×4, suspended ×1)" in out
    assert "Subscriptions: 14" in out
    assert "Licence types: NON-SPECIFIC ×9, ADDON ×2" in out
    idle = {"ovhcloud": "0 ×13", "legacy": "null ×13", "degraded": "0 ×13"}[name]
    assert f"taskPendingId: {idle}, non-zero ×1" in out
    if name == "legacy":
        assert "Subscription statuses: active ×14" in out
        assert "taskPendingId is null or missing" in out
    else:
        assert "Subscription statuses: ok ×11" in out and "inService ×1" in out
        assert "statuses the bot has no word for: inService" in out
    if name == "degraded":
        assert "Batch reads: refused (Batch mode is not available on this call" in out
        assert "the bot reads one by one" in out
    else:
        assert "Batch reads: accepted" in out
    assert "Order cart (ovhSubsidiary FR, from GET /me): 1 csp2 offer(s)" in out
    assert "csp2-license-group — Microsoft 365 license group (CSP2) (item added as P1M, " \
           "default)" in out
    assert "options: csp2-m365-business-basic, csp2-m365-business-standard" in out
    assert "required configuration: mpnId (String, required), adminContact (/me/contact, " \
           "required)" in out
    assert "the csp2 cart offers options under: csp2-license-group" in out
    assert "cannot fill" not in out  # every required label is one the order form fills
    # read only: no provider write, one cart created and deleted, nothing checked out
    ops = {c.op for c in box.call_log}
    assert not ops & {"changeQuantity", "addSubscription", "deleteSubscription", "orderAddon",
                      "updateTenant", "orderTenant", "checkoutCart", "configureCartItem"}
    assert len(box.calls("createCart")) == len(box.calls("deleteCart")) == 1
    assert "as-details" not in out


async def test_provider_details_name_a_required_label_the_bot_cannot_fill(tmp_path, clock):
    box = SandboxProvider(clock=clock.now, cart_shape=ITEMS_SHAPE)
    box.order_requirements.append(Requirement(label="tenantGuid", type="String"))
    app = create_sandbox_app(box, "ak", "as", "ck")
    runner, url = await start_sandbox_server(app)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "CSP_PROVIDER": "ovh",
           "OVH_ENDPOINT": url, "OVH_APPLICATION_KEY": "ak", "OVH_APPLICATION_SECRET": "as",
           "OVH_CONSUMER_KEY": "ck", "OVH_SUBSIDIARY": "NL"}
    try:
        result = await asyncio.to_thread(run_cli, ["check", "--provider-details"], env, tmp_path)
    finally:
        await runner.cleanup()
    assert result.exit_code == 0, result.output
    assert "Order cart (ovhSubsidiary NL, from OVH_SUBSIDIARY): 7 csp2 offer(s)" in result.output
    assert ("required cart labels the bot cannot fill: “tenantGuid” (the order form does not "
            "ask for it)") in result.output
    assert len(box.calls("createCart")) == len(box.calls("deleteCart")) == 1


def test_provider_details_need_the_ovh_provider(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "CSP_PROVIDER": "sandbox"}
    result = run_cli(["check", "--provider-details"], env, tmp_path)
    assert result.exit_code == 1
    assert "need CSP_PROVIDER=ovh" in result.output
