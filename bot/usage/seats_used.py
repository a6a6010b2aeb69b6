"""Seats bought against seats used, per licence of a license group, and the right-sizing line
while a seat-reduction window is open ("30 bought, peak 22 in 30 days: 8 could be removed
until …"). Pure: the cache's figures, the subscriptions and `now` are passed in.

"Used" is OVHcloud's usageStatistics `peakCount`, "the maximum count of simultaneous activated
licences" of a day (its schema's words). Whether "activated" means assigned to a user or merely
provisioned is not published (inferred: assigned). Read the other way, the peaks equal what was
bought and nothing is proposed for removal: the reading that removes nothing is the safe one.
What may be removed, and until when, is the window rule's (`policy.windows`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.blocks import date_token
from bot.core.domain import BillingPeaks
from bot.core.formats import day as format_day
from bot.core.formats import number
from bot.core.i18n import _, ngettext
from bot.policy.terms import Term
from bot.policy.windows import SeatBatchLike, reduction_deadline, removable_seats

#: The spans a summary looks back over, in days, today included.
MONTH_DAYS = 30
QUARTER_DAYS = 90


class UsageDayLike(Protocol):
    """One licence's counts on one day (store.cache_usage.UsageDay)."""

    @property
    def license_id(self) -> int: ...
    @property
    def license_name(self) -> str: ...
    @property
    def day(self) -> date: ...
    @property
    def peak_count(self) -> int: ...
    @property
    def end_of_day_count(self) -> int | None: ...


@dataclass(frozen=True)
class Holding:
    """One subscription of a licence, with what the window rule needs of it."""

    license_id: int
    license_name: str
    quantity: int
    batches: Sequence[SeatBatchLike]
    term: Term


@dataclass(frozen=True)
class DayUsage:
    day: date
    peak: int
    end_of_day: int | None = None


@dataclass(frozen=True)
class BillingPeriod:
    """The period of billingPeriodPeaks as last read: "the current billing period" on the day
    it was read. `current` says whether today is still in it as far as OVHcloud's end date
    tells (an end date that is the day of the read says nothing of the days after it)."""

    start: date | None
    end: date | None
    read_on: date | None
    current: bool


def billing_period(peaks: BillingPeaks, read_at: datetime | None, today: date
                   ) -> BillingPeriod:
    read_on = read_at.date() if read_at is not None else None
    end = peaks.end_date
    current = read_on == today if end is None or end == read_on else today <= end
    return BillingPeriod(peaks.start_date, end, read_on, current)


@dataclass(frozen=True)
class LicenceUsage:
    license_id: int
    name: str
    #: Seats of this licence in the group now, over all its subscriptions.
    bought: int
    #: The last QUARTER_DAYS days the cache has, oldest first.
    days: tuple[DayUsage, ...]
    peak_30: int | None
    peak_90: int | None
    billing: BillingPeriod | None
    #: This licence's peak in that billing period (None: the period does not name it).
    billing_peak: int | None
    #: Seats the window rule lets go now, and until when all of them can go.
    removable: int
    removable_until: datetime | None

    @property
    def unused_30(self) -> int | None:
        """Seats bought beyond the last month's peak (None without figures)."""
        return None if self.peak_30 is None else max(self.bought - self.peak_30, 0)

    @property
    def could_remove(self) -> int:
        """Seats unused in the last month that the window lets go now."""
        return min(self.removable, self.unused_30 or 0)


@dataclass(frozen=True)
class UsageSummary:
    group: str
    today: date
    #: When the usage figures were read from OVHcloud (None: never).
    read_at: datetime | None
    licences: tuple[LicenceUsage, ...]

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=QUARTER_DAYS - 1)


def usage_summary(group: str, holdings: Sequence[Holding], days: Sequence[UsageDayLike],
                  peaks: BillingPeaks | None, read_at: datetime | None, now: datetime,
                  window: timedelta) -> UsageSummary:
    """Bought against used for every licence the group holds or used in the last quarter,
    most seats first. `window` is the seat-reduction window (CSP_SEAT_REDUCTION_WINDOW_HOURS)."""
    today = now.date()
    month_from = today - timedelta(days=MONTH_DAYS - 1)
    quarter_from = today - timedelta(days=QUARTER_DAYS - 1)
    names: dict[int, str] = {}
    used: dict[int, list[DayUsage]] = {}
    for d in sorted(days, key=lambda d: (d.license_id, d.day)):
        if quarter_from <= d.day <= today:
            used.setdefault(d.license_id, []).append(DayUsage(d.day, d.peak_count,
                                                              d.end_of_day_count))
            names.setdefault(d.license_id, d.license_name)
    held: dict[int, list[Holding]] = {}
    for h in holdings:
        held.setdefault(h.license_id, []).append(h)
        names[h.license_id] = h.license_name or names.get(h.license_id, "")
    period = billing_period(peaks, read_at, today) if peaks is not None else None
    billed = {x.licence_id: x.peak_count for x in (peaks.lines if peaks else ())
              if x.licence_id is not None and x.peak_count is not None}
    licences = []
    for license_id in set(held) | set(used):
        series = tuple(used.get(license_id, ()))
        removable, until = _removable(held.get(license_id, ()), now, window)
        licences.append(LicenceUsage(
            license_id=license_id,
            name=names.get(license_id) or str(license_id),
            bought=sum(h.quantity for h in held.get(license_id, ())),
            days=series,
            peak_30=max((d.peak for d in series if d.day >= month_from), default=None),
            peak_90=max((d.peak for d in series), default=None),
            billing=period if license_id in billed else None,
            billing_peak=billed.get(license_id),
            removable=removable,
            removable_until=until,
        ))
    licences.sort(key=lambda u: (-u.bought, -(u.peak_90 or 0), u.name.casefold()))
    return UsageSummary(group, today, read_at, tuple(licences))


def _removable(holdings: Sequence[Holding], now: datetime, window: timedelta
               ) -> tuple[int, datetime | None]:
    total, until = 0, None
    for h in holdings:
        seats = removable_seats(h.quantity, h.batches, now, window, h.term.started)
        if not seats:
            continue
        total += seats
        closes = reduction_deadline(h.quantity, h.batches, seats, now, window, h.term.started)
        if closes is not None:
            until = closes if until is None else min(until, closes)
    return total, until


# --- words ------------------------------------------------------------------------------------


def right_sizing_line(usage: LicenceUsage, when: Callable[[datetime], str] = date_token
                      ) -> str | None:
    """"30 bought, peak 22 in 30 days: 8 could be removed until …", while a window is open
    and seats sat unused all month; None otherwise. `when` writes the date (Slack's date token,
    or plain text for an image's alt text)."""
    if not usage.could_remove or usage.peak_30 is None or usage.removable_until is None:
        return None
    return ngettext("{bought} bought, peak {peak} in 30 days: {n} could be removed until {date}",
                    "{bought} bought, peak {peak} in 30 days: {n} could be removed until {date}",
                    usage.could_remove, bought=number(usage.bought), peak=number(usage.peak_30),
             date=when(usage.removable_until))


def billing_label(period: BillingPeriod) -> str:
    """A billing period named for what it is: the current one is "so far", never "last"."""
    if period.current:
        if period.start is None:
            return _("this billing period so far")
        return _("this billing period so far (since {start})", start=_day(period.start))
    span = " – ".join(_day(d) for d in (period.start, period.end) if d is not None)
    if period.read_on is not None:
        return _("billing period {span}, as read on {day}", span=span or "?",
                 day=_day(period.read_on))
    return _("billing period {span}", span=span or "?")


def _day(day: date) -> str:
    return format_day(day)
