"""Sync against the sandbox: what the cache holds after a sync, after writes, after deletions
upstream, with faults injected; the seat-batch ledger; one syncer at a time; `csp-bot sync`."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.app.cli import main
from bot.cache.sync import refresh_tenant
from bot.provider.base import NotFound, ProviderUnavailable, ServerError
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_conventions import VARIANTS
from bot.provider.sandbox_data import (
    CONTOSO,
    CONTOSO_ARCHIVING,
    CONTOSO_STANDARD,
    EXCHANGE_ARCHIVING,
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    NORDWIND_E3_AUDIO,
    OFFICE_E1,
    PADARIA,
    TEAMS_AUDIO_CONFERENCING,
    VANDERBERG,
)
from bot.provider.sandbox_server import create_sandbox_app, start_sandbox_server
from store import cache
from store import requests as request_repo
from store.models import SeatBatchRow, SubscriptionRow, SyncRunRow
from tests.provider.conftest import serving
from tests.sync.conftest import ALL_GROUPS, make_runtime, read


async def batches(runtime, subscription_id):
    return [(b.seats, b.source) for b in await read(runtime, cache.seat_batches, subscription_id)]


# --- a full sync ---------------------------------------------------------------------------------


async def test_a_full_sync_caches_every_group_as_the_provider_has_it(runtime, sandbox):
    report = await runtime.syncer.run_once()

    assert report.summary() == "Synced 5 license groups."
    assert report.failed == {} and report.error is None
    tenants = await read(runtime, cache.tenant_summaries)
    assert [t.service_name for t in tenants] == sorted(
        sandbox.world.tenants, key=lambda sn: sandbox.world.tenants[sn].tenant.display_name
    )
    nordwind = next(t for t in tenants if t.service_name == NORDWIND)
    assert nordwind.display_name == "Nordwind Logistics B.V."
    assert (nordwind.subscription_count, nordwind.seat_count) == (5, 12 + 5 + 25 + 40 + 8)
    assert nordwind.service_info.status == "ok" and nordwind.service_info.expiration
    assert {line.licence_name for line in nordwind.usage_peaks.lines} >= {"Office 365 E3"}
    vanderberg = next(t for t in tenants if t.service_name == VANDERBERG)
    assert (vanderberg.status, vanderberg.mpn_issue_flag) == (
        "suspended",
        "mpnIdNotIndirectReseller",
    )

    subs = {s.id: s for s in await read(runtime, cache.subscriptions_of, NORDWIND)}
    assert subs[NORDWIND_E3].license_name == "Office 365 E3"
    assert subs[NORDWIND_E3_AUDIO].parent_id == NORDWIND_E3  # from list_addon_subscriptions
    contoso = {s.id: s for s in await read(runtime, cache.subscriptions_of, CONTOSO)}
    assert contoso[CONTOSO_ARCHIVING].parent_id == CONTOSO_STANDARD
    licenses = await read(runtime, cache.licenses_of, NORDWIND)
    assert len(licenses) == len(sandbox.world.tenants[NORDWIND].licenses)
    orderable = await read(runtime, cache.licenses_of, NORDWIND, orderable_only=True)
    assert all(lic.new_subscriptions_allowed for lic in orderable) and len(orderable) < len(
        licenses
    )
    async with runtime.db.session() as session:
        run = await cache.last_sync_run(session)
    assert (run.tenants_ok, run.tenants_failed, run.error) == (ALL_GROUPS, 0, None)


async def test_sync_caches_which_add_ons_each_main_subscription_may_take(runtime, sandbox):
    await runtime.syncer.run_once()
    e3 = await read(runtime, cache.get_subscription, NORDWIND_E3)
    assert e3.available_addon_licenses == [TEAMS_AUDIO_CONFERENCING]
    basic = await read(runtime, cache.get_subscription, NORDWIND_BASIC)
    assert basic.available_addon_licenses == [TEAMS_AUDIO_CONFERENCING, EXCHANGE_ARCHIVING]
    audio = await read(runtime, cache.get_subscription, NORDWIND_E3_AUDIO)
    assert audio.available_addon_licenses is None  # an add-on carries none
    asked = {c.target for c in sandbox.call_log if c.op == "availableAddonLicenses"}
    assert NORDWIND_E3 in asked and NORDWIND_E3_AUDIO not in asked


async def test_sync_reads_in_batches_not_one_call_per_subscription(lite, sandbox):
    await lite.syncer.run_once()
    assert sandbox.calls("getSubscription") == []
    assert sandbox.calls("getLicense") == []
    assert len(sandbox.calls("getSubscriptions")) == ALL_GROUPS
    # a second sync knows the add-ons' parents already
    sandbox.clear_calls()
    await lite.syncer.run_once()
    assert sandbox.calls("listAddonSubscriptions") == []


async def test_first_sight_of_a_subscription_records_its_seats_at_its_creation(lite, sandbox):
    await lite.syncer.run_once()
    [batch] = await read(lite, cache.seat_batches, NORDWIND_BASIC)
    created = sandbox.world.tenants[NORDWIND].subscriptions[NORDWIND_BASIC].subscription
    assert (batch.seats, batch.source, batch.added_at) == (25, "creation", created.creation_date)


# --- faults --------------------------------------------------------------------------------------


async def test_one_failing_group_keeps_its_cache_and_never_fails_the_others(
    runtime, sandbox, clock
):
    await runtime.syncer.run_once()
    for sn, sub in ((NORDWIND, NORDWIND_BASIC), (CONTOSO, CONTOSO_STANDARD)):
        await sandbox.change_quantity(sn, sub, 30)
    sandbox.settle()
    clock.advance(minutes=15)
    sandbox.faults.set(fail_next=[("getSubscriptions", ServerError)])

    report = await runtime.syncer.run_once()

    [(failed, error)] = report.failed.items()
    assert "Injected fault on getSubscriptions" in error
    assert len(report.ok) == ALL_GROUPS - 1
    assert "1 failed" in report.summary()
    failing = await read(runtime, cache.get_tenant, failed)
    assert failing.sync_error == error and failing.sync_error_at == clock.now()
    assert failing.synced_at < clock.now()  # still the earlier data
    quantities = {
        sn: {s.id: s.quantity for s in await read(runtime, cache.subscriptions_of, sn)}
        for sn in (NORDWIND, CONTOSO)
    }
    expected = {NORDWIND: (NORDWIND_BASIC, 25), CONTOSO: (CONTOSO_STANDARD, 18)}
    for sn, (sub, before) in expected.items():
        assert quantities[sn][sub] == (before if sn == failed else 30)
    async with runtime.db.session() as session:
        run = await cache.last_sync_run(session)
    assert (run.tenants_ok, run.tenants_failed) == (ALL_GROUPS - 1, 1)
    assert failed in run.error

    # the next good sync clears the error
    report = await runtime.syncer.run_once()
    assert report.failed == {}
    assert (await read(runtime, cache.get_tenant, failed)).sync_error is None


async def test_provider_down_leaves_the_cache_as_it_was_and_says_why(runtime, sandbox, clock):
    await runtime.syncer.run_once()
    before = await read(runtime, cache.tenant_summaries)
    clock.advance(hours=1)
    sandbox.faults.set(fail_next=[("listTenants", ProviderUnavailable)])

    report = await runtime.syncer.run_once()

    assert report.error and "Injected fault on listTenants" in report.error
    assert report.summary().startswith("The provider could not be reached")
    assert await read(runtime, cache.tenant_summaries) == before
    async with runtime.db.session() as session:
        run = await cache.last_sync_run(session)
        assert run.error == report.error and (run.tenants_ok, run.tenants_failed) == (0, 0)
        assert await cache.last_good_sync_at(session) == clock.now() - timedelta(hours=1)


async def test_an_unexpected_error_in_one_group_is_contained(lite, sandbox):
    original = sandbox.service_infos
    calls = 0

    async def broken(service_name):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("no such field")  # a bug in a client may raise anything
        return await original(service_name)

    sandbox.service_infos = broken
    report = await lite.syncer.run_once()
    assert len(report.failed) == 1 and len(report.ok) == ALL_GROUPS - 1
    assert "unexpected error (KeyError)" in next(iter(report.failed.values()))


# --- deletions upstream --------------------------------------------------------------------------


async def test_things_deleted_upstream_leave_the_cache(runtime, sandbox):
    await runtime.syncer.run_once()
    await sandbox.delete_subscription(NORDWIND, NORDWIND_E3)  # the add-on goes with it
    sandbox.settle()
    del sandbox.world.tenants[PADARIA]

    report = await runtime.syncer.run_once()

    assert report.removed == [PADARIA]
    assert await read(runtime, cache.get_tenant, PADARIA) is None
    assert await read(runtime, cache.subscriptions_of, PADARIA) == []
    assert await read(runtime, cache.licenses_of, PADARIA) == []
    ids = {s.id for s in await read(runtime, cache.subscriptions_of, NORDWIND)}
    assert NORDWIND_E3 not in ids and NORDWIND_E3_AUDIO not in ids
    assert await read(runtime, cache.seat_batches, NORDWIND_E3) == []
    nordwind = next(o for o in report.outcomes if o.service_name == NORDWIND)
    assert sorted(nordwind.deleted) == [NORDWIND_E3, NORDWIND_E3_AUDIO]


async def test_refreshing_a_group_that_no_longer_exists_forgets_it(lite, sandbox):
    await lite.syncer.run_once()
    del sandbox.world.tenants[CONTOSO]
    outcome = await refresh_tenant(lite, CONTOSO)
    assert outcome.ok and outcome.removed
    assert await read(lite, cache.get_tenant, CONTOSO) is None


# --- the cache after writes ---------------------------------------------------------------------


async def test_tasks_in_progress_then_finished_and_the_seats_they_added(any_database_url, clock):
    sandbox = SandboxProvider(clock=clock.now, task_duration=timedelta(minutes=10))
    runtime = await make_runtime(any_database_url, sandbox, clock)
    try:
        await runtime.syncer.run_once()
        task = await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 28)
        clock.advance(minutes=5)

        await refresh_tenant(runtime, NORDWIND)
        sub = await read(runtime, cache.get_subscription, NORDWIND_BASIC)
        assert (sub.quantity, sub.task_pending_id) == (25, task.id)
        [cached] = await read(runtime, cache.tasks_of, NORDWIND, finished_since=clock.now())
        assert (cached.id, cached.status, cached.subscription_id) == (
            task.id,
            "doing",
            NORDWIND_BASIC,
        )

        clock.advance(minutes=6)
        await refresh_tenant(runtime, NORDWIND)
        sub = await read(runtime, cache.get_subscription, NORDWIND_BASIC)
        assert (sub.quantity, sub.task_pending_id) == (28, None)
        since = clock.now() - timedelta(days=1)
        [cached] = await read(runtime, cache.tasks_of, NORDWIND, finished_since=since)
        assert cached.status == "done" and cached.finish_date is not None
        # nobody asked through the bot: the 3 seats are a batch seen by sync, dated now
        seen = await read(runtime, cache.seat_batches, NORDWIND_BASIC)
        assert [(b.seats, b.source, b.added_at) for b in seen][-1] == (3, "sync", clock.now())

        # finished tasks are listed for CSP_TASK_HISTORY_DAYS, then pruned
        clock.advance(days=8)
        await runtime.syncer.run_once()
        assert await read(runtime, cache.tasks_of, None, finished_since=clock.now()) == []
    finally:
        await runtime.stop()


async def test_an_increase_made_by_our_own_request_is_counted_once(runtime, sandbox, clock):
    await runtime.syncer.run_once()
    async with runtime.db.transaction() as session:
        request = await request_repo.insert_request(
            session,
            kind="seats",
            state="running",
            requester="U0ALICE",
            tenant=NORDWIND,
            subscription_id=NORDWIND_BASIC,
        )
    await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 30)
    sandbox.settle()

    await refresh_tenant(runtime, NORDWIND)  # sync sees 30 while the request is running
    assert await batches(runtime, NORDWIND_BASIC) == [(25, "creation")]

    async with runtime.db.transaction() as session:  # the worker finishes the request
        await cache.record_seat_batch(session, NORDWIND_BASIC, 5, clock.now(), request.id)
        await request_repo.update_state(session, request.id, "running", "done", {})
    await runtime.syncer.run_once()
    await runtime.syncer.run_once()
    assert await batches(runtime, NORDWIND_BASIC) == [(25, "creation"), (5, "request")]


async def test_a_batch_recorded_before_sync_sees_the_increase_is_not_doubled(lite, sandbox):
    await lite.syncer.run_once()
    await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 27)
    sandbox.settle()
    async with lite.db.transaction() as session:
        await cache.record_seat_batch(session, NORDWIND_BASIC, 2, sandbox.now(), 7)
    await lite.syncer.run_once()
    assert await batches(lite, NORDWIND_BASIC) == [(25, "creation"), (2, "request")]


async def test_a_new_subscription_from_our_order_gets_one_batch(runtime, sandbox, clock):
    await runtime.syncer.run_once()
    async with runtime.db.transaction() as session:
        request = await request_repo.insert_request(
            session, kind="order", state="running", requester="U0ALICE", tenant=PADARIA
        )
    await sandbox.add_subscription(PADARIA, OFFICE_E1, 4)
    sandbox.settle()
    await refresh_tenant(runtime, PADARIA)  # the order is still running
    new = max(s.id for s in await read(runtime, cache.subscriptions_of, PADARIA))
    assert await batches(runtime, new) == []

    async with runtime.db.transaction() as session:
        await cache.record_seat_batch(session, new, 4, clock.now(), request.id)
        await request_repo.update_state(session, request.id, "running", "done", {})
    await runtime.syncer.run_once()
    assert await batches(runtime, new) == [(4, "request")]


async def test_seats_removed_then_added_back_are_a_new_batch(lite, sandbox, clock):
    await lite.syncer.run_once()
    await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 20)
    sandbox.settle()
    await lite.syncer.run_once()
    assert await batches(lite, NORDWIND_BASIC) == [(25, "creation")]
    clock.advance(days=1)
    await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 22)
    sandbox.settle()
    await lite.syncer.run_once()
    assert await batches(lite, NORDWIND_BASIC) == [(25, "creation"), (2, "sync")]


# --- one sync at a time ---------------------------------------------------------------------------


async def test_concurrent_syncs_in_one_process_are_joined(lite, sandbox):
    sandbox.faults.set(latency=0.01)
    first, second = await asyncio.gather(lite.syncer.sync_all(), lite.syncer.sync_all())
    assert first is second
    assert len(sandbox.calls("listTenants")) == 1


async def test_concurrency_is_bounded_by_the_setting(database_url, sandbox, clock):
    runtime = await make_runtime(database_url, sandbox, clock, csp_sync_concurrency=2)
    in_flight = peak = 0
    original = sandbox.get_tenant

    async def slow_get_tenant(service_name):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        try:
            return await original(service_name)
        finally:
            in_flight -= 1

    sandbox.get_tenant = slow_get_tenant
    try:
        report = await runtime.syncer.run_once()
    finally:
        await runtime.stop()
    assert len(report.ok) == ALL_GROUPS
    assert peak == 2


async def test_two_replicas_on_postgresql_never_sync_at_once(postgres_url, clock):
    sandbox = SandboxProvider(clock=clock.now, task_duration=timedelta(0))
    sandbox.faults.set(latency=0.05)
    one = await make_runtime(postgres_url, sandbox, clock)
    two = await make_runtime(postgres_url, sandbox, clock)
    try:
        reports = await asyncio.gather(one.syncer.run_once(), two.syncer.run_once())
        assert sorted(r.skipped for r in reports) == [False, True]
        skipped = next(r for r in reports if r.skipped)
        assert "Another instance" in skipped.summary()
        assert len(sandbox.calls("listTenants")) == 1
        async with one.db.session() as session:
            runs = (await session.execute(select(func.count(SyncRunRow.id)))).scalar_one()
        assert runs == 1
        # the lock is released afterwards: the other replica syncs next time
        assert not (await two.syncer.run_once()).skipped
        # and both write the same group without doubling its seat batches
        await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 26)
        sandbox.settle()
        await asyncio.gather(refresh_tenant(one, NORDWIND), refresh_tenant(two, NORDWIND))
        async with one.db.session() as session:
            query = select(SeatBatchRow.seats, SeatBatchRow.source).where(
                SeatBatchRow.subscription_id == NORDWIND_BASIC
            )
            rows = sorted((await session.execute(query)).all())
        assert rows == [(1, "sync"), (25, "creation")]
    finally:
        await one.stop()
        await two.stop()


async def test_not_found_is_a_removal_but_other_errors_are_failures(lite, sandbox):
    await lite.syncer.run_once()
    sandbox.faults.set(fail_next=[("getTenant", NotFound)])
    outcome = await refresh_tenant(lite, NORDWIND)
    assert outcome.removed
    sandbox.faults.set(fail_next=[("getTenant", ServerError)])
    outcome = await refresh_tenant(lite, CONTOSO)
    assert not outcome.ok and "Injected fault" in outcome.error


# --- csp-bot sync --------------------------------------------------------------------------------


def test_csp_bot_sync_runs_once_with_a_summary(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "CSP_PROVIDER": "sandbox",
        "SLACK_BOT_TOKEN": "",
        "SLACK_APP_TOKEN": "",
        "SLACK_SIGNING_SECRET": "",
    }
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["sync"], env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert "Synced 5 license groups." in result.output
    assert "14 seat batch(es) recorded." in result.output


# --- over HTTP, in OVHcloud's conventions ------------------------------------------------------


@pytest.mark.parametrize("name", ["ovhcloud", "degraded"])
async def test_sync_over_http_caches_taskPendingId_0_as_no_task(database_url, clock, name):
    """OvhProvider against the sandbox server: `taskPendingId: 0` is stored as NULL (no task),
    a running task by its id; with batch reads refused, everything is read one by one and the
    summary says so."""
    box = SandboxProvider(clock=clock.now, task_duration=timedelta(minutes=5),
                          conventions=VARIANTS[name])
    task = await box.change_quantity(NORDWIND, NORDWIND_BASIC, 30)
    async with serving(box) as api:
        runtime = await make_runtime(database_url, api.client(timeout=10), clock)
        try:
            report = await runtime.syncer.run_once()
            async with runtime.db.session() as session:
                rows = dict((await session.execute(
                    select(SubscriptionRow.id, SubscriptionRow.task_pending_id)
                )).all())
                statuses = set((await session.execute(select(SubscriptionRow.status))).scalars())
        finally:
            await runtime.stop()
    assert report.failed == {} and len(report.ok) == ALL_GROUPS
    assert rows.pop(NORDWIND_BASIC) == task.id
    assert rows and set(rows.values()) == {None}
    assert {"ok", "Active", "inService"} <= statuses
    refused = "OVHcloud refused batch reads (Batch mode is not available"
    assert (refused in report.summary()) is (name == "degraded"), report.summary()


async def test_csp_bot_sync_says_when_batch_reads_were_refused(tmp_path, clock):
    keys = {"OVH_APPLICATION_KEY": "ak-sync", "OVH_APPLICATION_SECRET": "as-sync",
            "OVH_CONSUMER_KEY": "ck-sync"}
    box = SandboxProvider(clock=clock.now, conventions=VARIANTS["degraded"])
    app = create_sandbox_app(box, "ak-sync", "as-sync", "ck-sync")
    runner, url = await start_sandbox_server(app)
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db", "CSP_PROVIDER": "ovh",
        "OVH_ENDPOINT": url, "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "",
        "SLACK_SIGNING_SECRET": "", **keys,
    }

    def run():
        old = os.getcwd()
        os.chdir(tmp_path)
        try:
            return CliRunner().invoke(main, ["sync"], env=env, catch_exceptions=False)
        finally:
            os.chdir(old)

    try:
        result = await asyncio.to_thread(run)  # the server answers on this test's loop
    finally:
        await runner.cleanup()
    assert result.exit_code == 0, result.output
    assert "Synced 5 license groups." in result.output
    assert "OVHcloud refused batch reads" in result.output
    assert "one by one" in result.output
