"""Seats bought against used, per licence: peaks over 30 and 90 days, the right-sizing line by
the window rule, and billing periods named for what they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.domain import BillingPeaks, UsageLine
from bot.policy import ASSUMED_PLAN, current_term
from bot.policy.seats import utc_text
from bot.usage.seats_used import (
    BillingPeriod,
    Holding,
    billing_label,
    right_sizing_line,
    usage_summary,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()
WEEK = timedelta(hours=168)
E3, BASIC = 10021, 10010


@dataclass(frozen=True)
class Batch:
    seats: int
    added_at: datetime


@dataclass(frozen=True)
class Day:
    license_id: int
    day: date
    peak_count: int
    end_of_day_count: int | None = None
    license_name: str = ""


def holding(license_id: int, quantity: int, batches, bought: datetime, name: str = "") -> Holding:
    return Holding(license_id, name, quantity, tuple(batches),
                   current_term(ASSUMED_PLAN, bought, NOW))


MID_TERM = datetime(2025, 9, 17, 9, tzinfo=UTC)  # monthly term since 17 Oct: window closed


def series(license_id: int, peaks_by_age: dict[int, int]) -> list[Day]:
    return [Day(license_id, TODAY - timedelta(days=age), peak, peak)
            for age, peak in peaks_by_age.items()]


def test_thirty_bought_peak_twenty_two_eight_could_go_until_the_window_closes():
    added = NOW - timedelta(days=2)  # 10 seats added two days ago: removable for 5 more days
    holdings = [holding(E3, 30, [Batch(20, MID_TERM), Batch(10, added)], MID_TERM,
                        "Office 365 E3")]
    days = series(E3, {0: 22, 10: 20, 29: 21, 30: 28, 89: 25, 90: 40})
    summary = usage_summary("Nordwind", holdings, days, None, NOW, NOW, WEEK)
    (e3,) = summary.licences
    assert (e3.name, e3.bought, e3.peak_30, e3.peak_90) == ("Office 365 E3", 30, 22, 28)
    assert len(e3.days) == 5  # the day 90 days ago is outside the quarter
    assert (e3.removable, e3.removable_until) == (10, added + WEEK)
    assert (e3.unused_30, e3.could_remove) == (8, 8)
    assert right_sizing_line(e3, utc_text) == (
        "30 bought, peak 22 in 30 days: 8 could be removed until Sat 07 Nov 2026, 09:00 UTC")
    assert "<!date^" in right_sizing_line(e3)  # in Slack, each viewer's own time


@pytest.mark.parametrize(
    ("case", "batches", "bought", "peaks", "could", "line"),
    [
        ("fewer unused than removable", [Batch(20, MID_TERM), Batch(10, NOW - timedelta(days=1))],
         MID_TERM, {0: 27}, 3, True),
        ("no window open: nothing proposed", [Batch(30, MID_TERM)], MID_TERM, {0: 22}, 0, False),
        ("a new term reopens every seat", [Batch(30, datetime(2025, 9, 30, 9, tzinfo=UTC))],
         datetime(2025, 9, 30, 9, tzinfo=UTC), {0: 22}, 8, True),
        ("all in use", [Batch(30, NOW - timedelta(days=1))], NOW - timedelta(days=1), {0: 30}, 0,
         False),
        ("peaks read as seats held propose nothing", [Batch(30, NOW - timedelta(days=1))],
         NOW - timedelta(days=1), {0: 30, 5: 30}, 0, False),
        ("no figures in 30 days", [Batch(30, NOW - timedelta(days=1))], NOW - timedelta(days=1),
         {45: 10}, 0, False),
    ],
)
def test_the_right_sizing_line_follows_the_window_rule(case, batches, bought, peaks, could, line):
    summary = usage_summary("g", [holding(E3, 30, batches, bought)], series(E3, peaks), None,
                            NOW, NOW, WEEK)
    (e3,) = summary.licences
    assert e3.could_remove == could, case
    assert (right_sizing_line(e3) is not None) is line


def test_licences_are_summed_over_subscriptions_and_listed_most_seats_first():
    recent = NOW - timedelta(days=1)
    holdings = [holding(BASIC, 5, [Batch(5, MID_TERM)], MID_TERM, "Business Basic"),
                holding(E3, 10, [Batch(10, recent)], recent, "Office 365 E3"),
                holding(E3, 4, [Batch(4, MID_TERM)], MID_TERM, "Office 365 E3")]
    days = [*series(E3, {0: 9}), Day(20001, TODAY, 3, 3, "Exchange Online (Plan 1)")]
    summary = usage_summary("g", holdings, days, None, NOW, NOW, WEEK)
    assert [(u.name, u.bought) for u in summary.licences] == [
        ("Office 365 E3", 14), ("Business Basic", 5), ("Exchange Online (Plan 1)", 0)]
    e3 = summary.licences[0]
    assert (e3.removable, e3.could_remove) == (10, 5)
    basic = summary.licences[1]
    assert (basic.peak_30, basic.removable, right_sizing_line(basic)) == (None, 0, None)


# (case, start, end, read on, today still in it, label)
PERIODS = [
    ("read today, ending today (the read's own day)", date(2026, 11, 1), TODAY, TODAY, True,
     "this billing period so far (since 1 Nov 2026)"),
    ("read yesterday, ending then: not claimed current", date(2026, 11, 1),
     TODAY - timedelta(days=1), TODAY - timedelta(days=1), False,
     "billing period 1 Nov 2026 – 1 Nov 2026, as read on 1 Nov 2026"),
    ("a published end still ahead", date(2026, 11, 1), date(2026, 11, 30),
     TODAY - timedelta(days=3), True, "this billing period so far (since 1 Nov 2026)"),
    ("a period over", date(2026, 10, 1), date(2026, 10, 31), date(2026, 10, 30), False,
     "billing period 1 Oct 2026 – 31 Oct 2026, as read on 30 Oct 2026"),
]


@pytest.mark.parametrize(("start", "end", "read_on", "current", "label"),
                         [pytest.param(*c[1:], id=c[0]) for c in PERIODS])
def test_billing_periods_are_named_for_what_they_are(start, end, read_on, current, label):
    peaks = BillingPeaks(start_date=start, end_date=end,
                         lines=[UsageLine(licence_id=E3, licence_name="Office 365 E3",
                                          peak_count=13)])
    read_at = datetime.combine(read_on, datetime.min.time(), tzinfo=UTC)
    summary = usage_summary("g", [holding(E3, 12, [], MID_TERM)], [], peaks, read_at, NOW,
                            WEEK)
    period = summary.licences[0].billing
    assert period == BillingPeriod(start, end, read_on, current)
    assert summary.licences[0].billing_peak == 13
    assert billing_label(period) == label
    assert "last billing period" not in label


def test_no_billing_line_for_the_licence_no_period():
    peaks = BillingPeaks(lines=[UsageLine(licence_id=BASIC, peak_count=2),
                                UsageLine(licence_id=E3, peak_count=None)])
    summary = usage_summary("g", [holding(E3, 12, [], MID_TERM)], [], peaks, NOW, NOW, WEEK)
    assert summary.licences[0].billing is None
    assert usage_summary("g", [holding(E3, 12, [], MID_TERM)], [], None, None, NOW,
                         WEEK).licences[0].billing is None
