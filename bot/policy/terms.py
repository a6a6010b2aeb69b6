"""Terms and renewals: when a subscription's term started and when it renews."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(when: datetime, months: int) -> datetime:
    """`when` plus whole calendar months, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def next_renewal(term_start: datetime, now: datetime, term_months: int = 1) -> datetime:
    """The first renewal after `now` of a term that started at `term_start` (monthly unless
    the term is known): the earliest moment seats past their window can be removed."""
    k = 1
    while (renewal := add_months(term_start, k * term_months)) <= now:
        k += 1
    return renewal
