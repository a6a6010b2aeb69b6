"""One license group's usage against its seats, from the cache: what `/csp usage` and the tenant
details draw (`bot.usage.chart.render_usage_chart`). Reads the cache only — the figures sync
keeps — so it is safe where Slack waits; the chart itself is drawn off the event loop."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cache import groups
from bot.policy.terms import ProviderRenewal, current_term
from bot.reference.terms import load_term_book
from bot.seats.changes import reduction_window
from bot.usage.seats_used import QUARTER_DAYS, Holding, UsageSummary, usage_summary
from store import cache, cache_usage

if TYPE_CHECKING:
    from bot.app.runtime import Runtime
    from store.cache import CachedTenant


async def cached_group(runtime: Runtime, service_name: str) -> CachedTenant:
    """The cached group a button names; NotFoundError (told to the person) when there is none,
    so a stale or forged button gets an answer instead of a failed upload."""
    async with runtime.db.session() as session:
        return await groups.cached_group(session, service_name)


async def group_usage(runtime: Runtime, service_name: str) -> UsageSummary:
    """Seats bought against used for every licence of the group, now. NotFoundError when the
    group is not in the cache."""
    now = runtime.clock.now()
    terms = load_term_book(runtime.settings)
    window = reduction_window(runtime.settings)
    async with runtime.db.session() as session:
        tenant = await groups.cached_group(session, service_name)
        subscriptions = await cache.subscriptions_of(session, service_name)
        batches = {s.id: await cache.seat_batches(session, s.id) for s in subscriptions}
        days = await cache_usage.usage_days(session, service_name,
                                            now.date() - timedelta(days=QUARTER_DAYS - 1))
    provider = ProviderRenewal.of(tenant.service_info)
    holdings = [
        Holding(s.license_id, s.license_name, s.quantity, tuple(batches[s.id]),
                current_term(terms.plan(s.license_id, s.license_name), s.creation_date, now,
                             provider))
        for s in subscriptions
    ]
    return usage_summary(tenant.label, holdings, days, tenant.usage_peaks,
                         tenant.usage_read_at, now, window)
