"""Usage in the cache: OVHcloud's usageStatistics (daily peak and end-of-day counts of activated
licences, per licence) and billingPeriodPeaks (the current billing period's peak per licence).

Sync asks for them at most every CSP_USAGE_REFRESH_HOURS per group (`bot/cache/sync.py`): the
figures are daily, and three calls per group at every sync interval would buy nothing. What it
read is written with the rest of the group's snapshot (`cache_sync.apply_tenant_snapshot` calls
`apply_usage`): days it read replace those days, days older than `KEEP_DAYS` go, and a call
that failed leaves the figures as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import BillingPeaks, UsageStatistics
from store.models import TenantRow, UsageDayRow

#: Days of usage kept: a quarter and a margin for a quarter read as a calendar one.
KEEP_DAYS = 120
#: What one read may store at most (a quarter has 92 days; a group has a few dozen licences):
#: a provider answer larger than this is cut, never parsed into an unbounded write.
MAX_DAYS_READ = 200
MAX_LINES_A_DAY = 200


@dataclass
class UsageSnapshot:
    """What one usage read returned: None where a call was not made or failed (`errors`)."""

    days: list[UsageStatistics] | None = None
    peaks: BillingPeaks | None = None
    errors: list[str] = field(default_factory=list)


class UsageDay(BaseModel):
    """One licence's counts on one day, as the cache keeps them."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    license_id: int
    license_name: str = ""
    day: date
    peak_count: int
    end_of_day_count: int | None = None


async def usage_read_at(session: AsyncSession, service_name: str) -> datetime | None:
    """When the group's usage was last asked for (None: never)."""
    query = select(TenantRow.usage_read_at).where(TenantRow.service_name == service_name)
    return (await session.execute(query)).scalar_one_or_none()


async def apply_usage(session: AsyncSession, row: TenantRow, usage: UsageSnapshot,
                      read_at: datetime) -> None:
    """Write one usage read of the group `row` (in the snapshot's transaction)."""
    row.usage_read_at = read_at
    if usage.peaks is not None:
        row.usage_peaks = usage.peaks.model_dump(mode="json")
    sn = row.service_name
    if usage.days is not None:
        found: dict[tuple[int, date], dict[str, Any]] = {}
        for entry in usage.days[:MAX_DAYS_READ]:
            if entry.date is None:
                continue
            for line in entry.lines[:MAX_LINES_A_DAY]:
                if line.licence_id is None or line.peak_count is None:
                    continue
                found[(line.licence_id, entry.date)] = dict(
                    service_name=sn, license_id=line.licence_id, day=entry.date,
                    license_name=line.licence_name[:255], peak_count=line.peak_count,
                    end_of_day_count=line.end_of_day_count)
        days = sorted({day for _, day in found})
        if days:
            await session.execute(delete(UsageDayRow).where(
                UsageDayRow.service_name == sn, UsageDayRow.day.in_(days)))
        if found:  # one multi-row INSERT, not an ORM object per day and licence
            await session.execute(insert(UsageDayRow), list(found.values()))
    oldest = read_at.date() - timedelta(days=KEEP_DAYS)
    await session.execute(delete(UsageDayRow).where(
        UsageDayRow.service_name == sn, UsageDayRow.day < oldest))


async def usage_days(session: AsyncSession, service_name: str, since: date) -> list[UsageDay]:
    """The group's daily counts from `since` on, by licence then day."""
    query = (select(UsageDayRow)
             .where(UsageDayRow.service_name == service_name, UsageDayRow.day >= since)
             .order_by(UsageDayRow.license_id, UsageDayRow.day))
    return [UsageDay.model_validate(r) for r in (await session.execute(query)).scalars()]
