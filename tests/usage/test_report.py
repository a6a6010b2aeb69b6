"""A license group's usage against its seats, from a cache synced from the sandbox, to the
chart: the numbers the summary and the alt text give, by the window rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.domain import UsageLine, UsageStatistics
from bot.core.errors import NotFoundError
from bot.provider.sandbox_data import BUSINESS_BASIC, NORDWIND, OFFICE_E3
from bot.usage.chart import HEIGHT, WIDTH, render_usage_chart
from bot.usage.report import group_usage
from store import cache_usage
from store.cache_usage import UsageSnapshot
from store.models import TenantRow
from tests.sync.conftest import make_runtime
from tests.usage.test_chart import png_size


@pytest.fixture
async def synced(database_url, sandbox, clock):
    runtime = await make_runtime(database_url, sandbox, clock)
    await runtime.syncer.run_once()
    yield runtime
    await runtime.stop()


async def test_basic_bought_two_days_ago_with_five_unused_seats(synced, clock):
    """The sandbox counts every seat held as activated; here OVHcloud says 20 of Nordwind's 25
    Business Basic seats were in use at the peak."""
    today = clock.now().date()
    usage = UsageSnapshot(days=[UsageStatistics(date=today - timedelta(days=k), lines=[
        UsageLine(licence_id=BUSINESS_BASIC, licence_name="Microsoft 365 Business Basic",
                  peak_count=20 - k, end_of_day_count=19 - k)]) for k in range(3)])
    async with synced.db.transaction() as session:
        await cache_usage.apply_usage(session, await session.get(TenantRow, NORDWIND), usage,
                                      clock.now())

    summary = await group_usage(synced, NORDWIND)
    assert summary.group == "Nordwind Logistics B.V."
    by_id = {u.license_id: u for u in summary.licences}
    basic = by_id[BUSINESS_BASIC]
    assert (basic.bought, basic.peak_30, basic.removable, basic.could_remove) == (25, 20, 25, 5)
    # bought 2 days 3 hours ago: its first term's window (and its batch's) closes in 7 days
    assert basic.removable_until == clock.now() - timedelta(days=2, hours=3) + timedelta(days=7)
    e3 = by_id[OFFICE_E3]  # mid-term, peaks as the sandbox counts them: nothing to remove
    assert (e3.bought, e3.peak_30, e3.peak_90, e3.could_remove) == (12, 12, 12, 0)

    chart = await render_usage_chart(summary)
    assert png_size(chart.png) == (WIDTH, HEIGHT)
    assert ("Microsoft 365 Business Basic: 25 bought, peak 20 in 30 days, 20 in 90 days; this "
            "billing period so far (since 1 Nov 2026): peak 25. 5 could be removed until Sat 07 "
            "Nov 2026, 06:00 UTC.") in chart.alt_text
    assert "Office 365 E3: 12 bought, peak 12 in 30 days, 12 in 90 days; this billing period " \
           "so far (since 1 Nov 2026): peak 12." in chart.alt_text


async def test_a_group_not_in_the_cache(synced):
    with pytest.raises(NotFoundError):
        await group_usage(synced, "csp2-nowhere.o365.ovh")
