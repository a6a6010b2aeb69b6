"""Sync keeps OVHcloud's usage figures — usageStatistics per licence and day, billingPeriodPeaks —
and asks for them at most every CSP_USAGE_REFRESH_HOURS per group; a refused usage call costs
the group nothing else."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.domain import BillingPeaks, UsageLine, UsageStatistics
from bot.provider.base import AuthenticationError
from bot.provider.sandbox_data import NORDWIND, OFFICE_E3
from store import cache, cache_usage
from store.cache_usage import KEEP_DAYS, UsageSnapshot
from store.models import TenantRow, UsageDayRow
from tests.sync.conftest import ALL_GROUPS, make_runtime, read

USAGE_CALLS = ("usageStatistics", "billingPeriodPeaks")


def usage_calls(sandbox) -> list[tuple[str, str | None]]:
    return [(c.op, c.payload.get("timePeriod")) for c in sandbox.call_log if c.op in USAGE_CALLS
            and c.service_name == NORDWIND]


async def test_the_first_sync_keeps_a_quarter_of_days_per_licence(runtime, sandbox, clock):
    report = await runtime.syncer.run_once()
    assert all(o.usage_read and not o.usage_errors for o in report.outcomes)
    assert usage_calls(sandbox) == [("usageStatistics", "lastQuarter"),
                                    ("usageStatistics", "lastMonth"), ("billingPeriodPeaks", None)]
    today = clock.now().date()
    days = await read(runtime, cache_usage.usage_days, NORDWIND, today - timedelta(days=400))
    e3 = [d for d in days if d.license_id == OFFICE_E3]
    assert len(e3) == 90 and e3[-1].day == today and e3[0].day == today - timedelta(days=89)
    # the sandbox's history: 10 seats until 40 days ago, 12 since
    assert {d.peak_count for d in e3 if d.day < today - timedelta(days=41)} == {10}
    assert e3[-1].peak_count == 12 and e3[-1].end_of_day_count == 12
    assert e3[-1].license_name == "Office 365 E3"
    tenant = await read(runtime, cache.get_tenant, NORDWIND)
    assert {line.licence_name for line in tenant.usage_peaks.lines} >= {"Office 365 E3"}
    assert await read(runtime, cache_usage.usage_read_at, NORDWIND) == clock.now()


async def test_usage_is_read_again_only_when_it_is_due(lite, sandbox, clock):
    await lite.syncer.run_once()
    sandbox.clear_calls()
    clock.advance(hours=5, minutes=59)
    report = await lite.syncer.run_once()
    assert usage_calls(sandbox) == [] and not any(o.usage_read for o in report.outcomes)
    assert sandbox.calls("getTenant")  # the rest of the group is synced as always
    clock.advance(minutes=1)
    report = await lite.syncer.run_once()
    assert len(usage_calls(sandbox)) == 3 and all(o.usage_read for o in report.outcomes)


async def test_zero_hours_reads_usage_at_every_sync(database_url, sandbox, clock):
    runtime = await make_runtime(database_url, sandbox, clock, csp_usage_refresh_hours=0)
    try:
        await runtime.syncer.run_once()
        await runtime.syncer.run_once()
        assert len(sandbox.calls("billingPeriodPeaks")) == 2 * ALL_GROUPS
    finally:
        await runtime.stop()


async def test_a_refused_usage_call_keeps_the_figures_and_the_group(lite, sandbox, clock):
    await lite.syncer.run_once()
    before = await read(lite, cache_usage.usage_days, NORDWIND, date(2000, 1, 1))
    clock.advance(hours=7)
    sandbox.faults.set(fail_next=[("usageStatistics", AuthenticationError),
                                  ("usageStatistics", AuthenticationError),
                                  ("billingPeriodPeaks", AuthenticationError)])
    outcome = await lite.syncer.refresh_tenant(NORDWIND)
    assert outcome.ok and outcome.usage_read
    assert [e.split(":")[0] for e in outcome.usage_errors] == [
        "usageStatistics lastQuarter", "usageStatistics lastMonth", "billingPeriodPeaks"]
    after = await read(lite, cache_usage.usage_days, NORDWIND, date(2000, 1, 1))
    assert after == before
    assert (await read(lite, cache.get_tenant, NORDWIND)).usage_peaks is not None
    # asked again when next due, not at the next sync
    sandbox.clear_calls()
    await lite.syncer.refresh_tenant(NORDWIND)
    assert usage_calls(sandbox) == []


async def test_odd_lines_are_left_out_and_old_days_go(lite, clock):
    await lite.syncer.run_once()
    today = clock.now().date()
    old = today - timedelta(days=KEEP_DAYS + 5)
    async with lite.db.transaction() as session:
        session.add(UsageDayRow(service_name=NORDWIND, license_id=1, day=old, peak_count=3))
    usage = UsageSnapshot(days=[
        UsageStatistics(date=None, lines=[UsageLine(licence_id=5, peak_count=1)]),
        UsageStatistics(date=today, lines=[
            UsageLine(licence_id=None, peak_count=4),
            UsageLine(licence_id=OFFICE_E3, licence_name=None, peak_count=None),
            UsageLine(licence_id=OFFICE_E3, licence_name="Office 365 E3", peak_count=11),
        ]),
    ], peaks=BillingPeaks(lines=[]))
    async with lite.db.transaction() as session:
        row = await session.get(TenantRow, NORDWIND)
        await cache_usage.apply_usage(session, row, usage, clock.now())
    days = await read(lite, cache_usage.usage_days, NORDWIND, old)
    assert [(d.license_id, d.day) for d in days if d.day == today] == [(OFFICE_E3, today)]
    assert next(d for d in days if d.day == today).peak_count == 11
    assert all(d.day > old for d in days)


async def test_a_large_answer_is_cut(lite, clock):
    await lite.syncer.run_once()
    today = clock.now().date()
    line = [UsageLine(licence_id=n, peak_count=1) for n in range(cache_usage.MAX_LINES_A_DAY + 50)]
    usage = UsageSnapshot(days=[UsageStatistics(date=today - timedelta(days=k), lines=line)
                                for k in range(cache_usage.MAX_DAYS_READ + 50)])
    async with lite.db.transaction() as session:
        row = await session.get(TenantRow, NORDWIND)
        await cache_usage.apply_usage(session, row, usage, clock.now())
    days = await read(lite, cache_usage.usage_days, NORDWIND, date(2000, 1, 1))
    assert len({d.license_id for d in days}) <= cache_usage.MAX_LINES_A_DAY + 10
    assert len({d.day for d in days}) <= KEEP_DAYS + 1
