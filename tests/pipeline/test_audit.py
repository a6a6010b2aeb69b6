"""The audit trail: `/csp audit` for a request or a subscription, page by page, for those who may
read it; and `csp-bot audit export` writing CSV for an auditor."""

from __future__ import annotations

import asyncio
import csv
import io
import os
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from bot.app.cli import main
from bot.app.runtime import Runtime
from bot.core.domain import RequestState, Role
from bot.core.ids import PipelineAction
from bot.pipeline.transitions import confirm, load
from bot.provider.sandbox_data import BELLAVISTA_E5
from bot.roles.admin import RoleChange, apply
from tests.conftest import ADA, ALICE, BOB, SAM, make_settings
from tests.pipeline.scenario import approval_card, confirmed_cancellation, draft_cancellation
from tests.slack_emulator import Message

S = RequestState


async def test_the_trail_of_a_request_says_who_did_what_and_when(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    await bot.runtime.worker.run_once()
    await bot.runtime.worker.run_once()
    await bot.runtime.notifier.settle()
    assert (await load(bot.runtime.db, request.id)).state is S.DONE

    reply = await slack.command(f"audit {request.ref}", user=ALICE)
    text = reply.text
    assert f"Audit trail · {request.ref}" in text
    assert f"<@{ALICE}> · *drafted*" in text  # an action in words, not its stored name
    assert "*sent to the provider*" in text and "*step done*" in text
    assert f"<@{ALICE}> · *draft → waiting for approval*" in text
    assert f"<@{SAM}> · *waiting for approval → queued*" in text
    assert "*running → done*" in text
    assert "<!date^" in text  # when, in the reader's time zone
    async with bot.runtime.db.session() as session:
        from store import requests as repo

        tasks = [e.provider_task_id for e in await repo.audit_events(
            session, request_id=request.id) if e.provider_task_id]
    assert tasks and all(f"task {t}" in text for t in tasks)


async def test_who_may_read_which_trail(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)

    refused = await slack.command(f"audit {request.ref}", user=BOB)
    assert "Only support agents, admins and the requester" in refused.text
    for ref in (f"#{request.ref}", str(request.id), f"r{request.id}"):
        reply = await slack.command(f"audit {ref}", user=SAM)
        assert f"Audit trail · {request.ref}" in reply.text, ref

    bare = await slack.command(f"audit {request.id}", user=SAM)
    assert f"use `/csp audit sub {request.id}`" in bare.text
    sub = await slack.command(f"audit sub {BELLAVISTA_E5}", user=SAM)
    assert f"Audit trail · subscription {BELLAVISTA_E5}" in sub.text
    assert f"· {request.ref}" in sub.text
    refused = await slack.command(f"audit sub {BELLAVISTA_E5}", user=ALICE)
    assert "Only support agents and admins can read a subscription's trail" in refused.text

    missing = await slack.command("audit R999", user=SAM)
    assert "There is no request R999" in missing.text
    usage = await slack.command("audit", user=SAM)
    assert "/csp audit R42" in usage.text


async def test_a_long_trail_is_paged_within_slacks_limits(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    for _ in range(12):  # 24 events on one subscription
        request, _view = await draft_cancellation(bot.runtime)
        await confirm(bot.runtime.db, request.id, ALICE, bot.runtime.roles)

    first = await slack.command(f"audit sub {BELLAVISTA_E5}", user=SAM)
    assert len(first.json["blocks"]) <= 50
    assert "Page 1 of 2 · 24 events" in first.text
    pager = next(b for b in first.json["blocks"] if b["type"] == "actions")
    (later,) = pager["elements"]
    assert later["action_id"] == PipelineAction.AUDIT_LATER

    shown = Message(channel="C0STAFF", ts="1.0", text="", blocks=first.json["blocks"])
    await slack.action(PipelineAction.AUDIT_LATER, value=later["value"], user=SAM,
                       message=shown)
    (page,) = emulator.calls_of("response_url")
    assert page["replace_original"] is True
    page_text = str(page["blocks"])
    assert "Page 2 of 2 · 24 events" in page_text
    assert PipelineAction.AUDIT_EARLIER in page_text and PipelineAction.AUDIT_LATER not in (
        page_text
    )

    await slack.action(PipelineAction.AUDIT_LATER, value=later["value"], user=ALICE,
                       message=shown)
    assert "Only support agents and admins" in emulator.calls_of("response_url")[-1]["text"]


# --- csp-bot audit export -------------------------------------------------------------------


def export(tmp_path, database_url: str, *args: str):
    runner = CliRunner()
    env = {"DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "", "CSP_ADMINS": ADA}
    old = os.getcwd()
    os.chdir(tmp_path)  # no stray .env
    try:
        return runner.invoke(main, ["audit", "export", *args], env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


def test_audit_export_writes_csv_of_the_events_since_a_day(tmp_path, clock):
    database_url = f"sqlite+aiosqlite:///{tmp_path}/audit.db"

    async def history() -> int:
        runtime = Runtime(make_settings(None, database_url), clock=clock)
        await runtime.start(background=False)
        try:
            draft, _view = await draft_cancellation(runtime)
            request = await confirm(runtime.db, draft.id, ALICE, runtime.roles)
            await apply(runtime, RoleChange(True, SAM, Role.SUPPORT), ADA)
            return request.id
        finally:
            await runtime.stop()

    request_id = asyncio.run(history())
    today = datetime.now(UTC).date()
    out = tmp_path / "audit.csv"
    result = export(tmp_path, database_url, "--since", f"{today:%Y-%m-%d}", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "3 audit event(s)" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["action"], r["before_state"], r["after_state"], r["actor"]) for r in rows] == [
        ("draft", "", "draft", ALICE),
        ("transition", "draft", "awaiting_approval", ALICE),
        ("role_grant", "", "", ADA),
    ]
    assert rows[1]["request_id"] == str(request_id)
    assert rows[1]["subscription_id"] == str(BELLAVISTA_E5)
    assert datetime.fromisoformat(rows[0]["created_at"]).tzinfo is not None
    assert '"role": "support"' in rows[2]["data"]

    tomorrow = today + timedelta(days=1)
    result = export(tmp_path, database_url, "--since", f"{tomorrow:%Y-%m-%d}")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("id,created_at,request_id")
    assert "0 audit event(s)" in result.output


def test_audit_export_on_an_empty_database_says_to_upgrade(tmp_path):
    result = export(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/empty.db", "--since", "2026-01-01")
    assert result.exit_code == 1
    assert "csp-bot db upgrade" in result.output
    bad = export(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/empty.db", "--since", "yesterday")
    assert bad.exit_code == 2 and "does not match the format '%Y-%m-%d'" in bad.output


async def test_a_note_is_said_again_in_the_language_of_whoever_reads_the_trail(
        bot, slack, emulator):
    """Alice confirms in French; read later in German, the trail says "confirmed" in German."""
    from bot.core.i18n import _, using

    await slack.command("language fr", user=ALICE)
    request = await confirmed_cancellation(bot, slack, emulator)
    await slack.command("language de", user=ALICE)
    text = (await slack.command(f"audit {request.ref}", user=ALICE)).text
    with using("fr"):
        french = _("confirmed")
    with using("de"):
        german = _("confirmed")
    assert french != german
    assert f"_{german}_" in text and f"_{french}_" not in text
