"""`/metrics`: scraped over HTTP as Prometheus does; every family is there and moves when its
event happens, driven through the Slack emulator, the pipeline and the sandbox."""

from __future__ import annotations

from datetime import timedelta

from bot.app.config import Settings
from bot.app.runtime import Runtime
from bot.app.server import Server
from bot.core.ids import OptionsAction
from bot.provider.base import ServerError
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, NORDWIND_E3
from bot.slack.access import anyone
from store import requests as repo
from tests.conftest import APPROVALS_CHANNEL, SAM, make_settings
from tests.flows.conftest import settle
from tests.flows.test_seats import form_values, review
from tests.ops.scrape import scrape

#: Every family the bot exports (counters without `_total`, as the parser names them).
FAMILIES = {
    "csp_slack_requests": "counter",
    "csp_slack_ack_seconds": "histogram",
    "csp_slack_api_calls": "counter",
    "csp_slack_api_rate_limited": "counter",
    "csp_provider_calls": "counter",
    "csp_provider_call_seconds": "histogram",
    "csp_requests": "gauge",
    "csp_worker_queue_depth": "gauge",
    "csp_worker_queue_deferred": "gauge",
    "csp_worker_oldest_waiting_seconds": "gauge",
    "csp_worker_oldest_running_seconds": "gauge",
    "csp_approvals_oldest_waiting_seconds": "gauge",
    "csp_approval_wait_seconds": "histogram",
    "csp_sync_age_seconds": "gauge",
    "csp_sync_failing": "gauge",
    "csp_sync_last_duration_seconds": "gauge",
    "csp_sync_interval_seconds": "gauge",
    "csp_sync_runs": "counter",
    "csp_sync_run_seconds": "histogram",
    "csp_sync_group_seconds": "histogram",
    "csp_metrics_refresh_failures": "counter",
    "process_resident_memory_bytes": "gauge",
}


async def test_every_family_is_served_in_the_text_format_and_in_openmetrics(bot):
    plain = await scrape(bot.port)
    assert plain.content_type.startswith("text/plain; version=0.0.4")
    for name, kind in FAMILIES.items():
        assert plain.families.get(name) == kind, name
    assert plain.value("csp_sync_interval_seconds") == 900
    assert plain.labels_of("csp_bot_info", "version")  # the running version
    open_metrics = await scrape(bot.port, accept="application/openmetrics-text; version=1.0.0")
    assert open_metrics.content_type.startswith("application/openmetrics-text")
    assert set(FAMILIES) <= set(open_metrics.families)


async def test_slack_requests_by_kind_and_outcome_with_ack_latency(slack, bot, synced):
    from handlers.router import Subcommand

    async def broken(call):
        raise RuntimeError("boom")

    bot.bolt.router.add(Subcommand("broken", "Breaks.", "/csp broken", broken,
                               access=anyone("a test subcommand")))
    before = await scrape(bot.port)
    assert (await slack.command("help")).status == 200
    assert (await slack.suggest(OptionsAction.TENANT, "nord")).status == 200
    assert (await slack.open_home()).status == 200
    assert (await slack.action("no_such_action")).status == 200  # answered: out of date
    assert (await slack.command("help", timestamp=1)).status == 401  # stale signature
    assert "reference" in (await slack.command("broken")).text
    after = await scrape(bot.port)

    def moved(kind: str, outcome: str) -> float:
        labels = {"kind": kind, "outcome": outcome}
        return after.value("csp_slack_requests_total", **labels) - before.value(
            "csp_slack_requests_total", **labels
        )

    assert moved("command", "ok") == 1
    assert moved("options", "ok") == 1
    assert moved("event", "ok") == 1
    assert moved("action", "unhandled") == 1
    assert moved("unknown", "rejected") == 1  # refused before its payload was read
    assert moved("command", "error") == 1  # a 200 with a reference, but a failure
    count = after.value("csp_slack_ack_seconds_count", kind="command")
    assert count - before.value("csp_slack_ack_seconds_count", kind="command") == 2
    assert after.value("csp_slack_ack_seconds_sum", kind="command") > 0
    slow = after.value("csp_slack_ack_seconds_bucket", kind="command", le="3.0")
    assert slow == count  # every command answered within Slack's 3 seconds


async def test_provider_calls_by_endpoint_and_outcome(slack, emulator, sandbox, bot, synced):
    before = await scrape(bot.port)
    assert before.value("csp_provider_calls_total", endpoint="getTenant", outcome="ok") == 5
    sandbox.faults.set(fail_next=[("changeQuantity", ServerError)])
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 13))
    await slack.submit(reply.view)
    await settle(bot.runtime)  # fails once (deferred), then…
    bot.runtime.clock.advance(timedelta(hours=1))
    await settle(bot.runtime)  # …succeeds on the retry
    after = await scrape(bot.port)
    change = {"endpoint": "changeQuantity"}
    assert after.value("csp_provider_calls_total", outcome="server_error", **change) == 1
    assert after.value("csp_provider_calls_total", outcome="ok", **change) == 1
    assert after.value("csp_provider_call_seconds_count", **change) == 2


async def test_requests_queue_and_approval_waits(slack, emulator, sandbox, bot, synced, agents):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 14))
    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()
    queued = await scrape(bot.port)
    assert queued.value("csp_requests", kind="seats", state="queued") == 1
    assert queued.value("csp_worker_queue_depth") == 1
    await settle(bot.runtime)
    done = await scrape(bot.port)
    assert done.value("csp_requests", kind="seats", state="queued") == 0
    assert done.value("csp_requests", kind="seats", state="done") == 1
    assert done.value("csp_worker_queue_depth") == 0

    bot.runtime.settings.csp_seat_decrease_approval_seats = 3
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_BASIC, 21))
    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()
    waiting = await scrape(bot.port)
    assert waiting.value("csp_requests", kind="seats", state="awaiting_approval") == 1
    assert waiting.value("csp_approval_wait_seconds_count") == 0
    async with bot.runtime.db.session() as session:
        (request, *_) = await repo.recent_requests(session)
    card = emulator.last_message(APPROVALS_CHANNEL)
    await slack.action("pipeline_approve", value=str(request.id), user=SAM, message=card)
    decided = await scrape(bot.port)
    labels = {"kind": "seats", "decision": "approved"}
    assert decided.value("csp_approval_wait_seconds_count", **labels) == 1
    assert decided.value("csp_approval_wait_seconds_bucket", le="60.0", **labels) == 1
    assert decided.value("csp_requests", kind="seats", state="awaiting_approval") == 0
    assert decided.value("csp_worker_queue_depth") == 1


async def test_sync_age_and_duration_per_license_group(bot, synced):
    first = await scrape(bot.port)
    groups = first.labels_of("csp_sync_age_seconds", "license_group")
    assert NORDWIND in groups and len(groups) == 5
    assert first.labels_of("csp_sync_last_duration_seconds", "license_group") == groups
    assert first.value("csp_sync_age_seconds", license_group=NORDWIND) == 0  # the test clock
    assert first.value("csp_sync_runs_total", outcome="ok") == 1
    assert first.value("csp_sync_group_seconds_count", outcome="ok") == 5
    bot.runtime.clock.advance(timedelta(minutes=20))
    later = await scrape(bot.port)
    assert later.value("csp_sync_age_seconds", license_group=NORDWIND) == 1200
    await bot.runtime.syncer.sync_all()
    again = await scrape(bot.port)
    assert again.value("csp_sync_age_seconds", license_group=NORDWIND) == 0
    assert again.value("csp_sync_runs_total", outcome="ok") == 2


async def test_web_api_calls_and_rate_limits(slack, emulator, bot, synced):
    before = await scrape(bot.port)
    emulator.rate_limit("views.open", retry_after=0)
    reply = await slack.command("seats nordwind")
    assert reply.status == 200
    after = await scrape(bot.port)
    opened = {"method": "views.open"}
    assert after.value("csp_slack_api_rate_limited_total", **opened) == 1
    assert after.value("csp_slack_api_calls_total", outcome="ratelimited", **opened) == 1
    ok = after.value("csp_slack_api_calls_total", outcome="ok", **opened)
    assert ok - before.value("csp_slack_api_calls_total", outcome="ok", **opened) == 1
    emulator.fail("views.open", "expired_trigger_id")
    await slack.command("seats nordwind")
    failed = await scrape(bot.port)
    assert failed.value("csp_slack_api_calls_total", outcome="expired_trigger_id", **opened) == 1


async def test_two_bots_in_one_process_count_only_their_own(slack, bot, emulator, tmp_path):
    other_settings: Settings = make_settings(emulator, f"sqlite+aiosqlite:///{tmp_path}/o.db")
    other = Server(other_settings, Runtime(other_settings))
    await other.start(background=False)
    try:
        await slack.command("help")
        mine, theirs = await scrape(bot.port), await scrape(other.port)
        assert mine.value("csp_slack_requests_total", kind="command") == 1
        assert theirs.value("csp_slack_requests_total", kind="command") == 0
    finally:
        await other.stop()


async def test_a_database_that_does_not_answer_serves_the_last_figures(bot, synced, monkeypatch):
    from bot.app import metrics_state

    first = await scrape(bot.port)
    assert first.value("csp_metrics_refresh_failures_total") == 0

    async def down(self):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(metrics_state.StateCollector, "_read", down)
    stale = await scrape(bot.port)
    assert stale.value("csp_metrics_refresh_failures_total") == 1
    assert stale.labels_of("csp_sync_age_seconds", "license_group") == first.labels_of(
        "csp_sync_age_seconds", "license_group"
    )
