"""Microsoft's windows across renewals, table-driven: seats removable per batch and again in the
first days of every term, the cancellation window of the current term, and when a refusal that
only a closed window causes can be made good (the next window)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.domain import License, Renew, ServiceInfo, Subscription
from bot.policy import (
    ASSUMED_PLAN,
    BillingCycle,
    PlanSource,
    ProviderRenewal,
    Reopening,
    TermLength,
    TermPlan,
    cancellation,
    current_term,
    reduction_deadline,
    removable_seats,
    reopening,
    seat_change,
)

WEEK = timedelta(hours=168)
THREE_DAYS = timedelta(hours=72)
MONTHLY = ASSUMED_PLAN
ANNUAL = TermPlan(TermLength.P1Y, BillingCycle.MONTHLY, PlanSource.SETTING)
E3 = License(id=10021, name="Office 365 E3", limit=300)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Batch:
    seats: int
    added_at: datetime


BOUGHT = utc(2025, 9, 17, 9)  # monthly renewals on the 17th at 09:00 UTC
RENEWAL = utc(2026, 11, 17, 9)  # one of them

# (case, plan, quantity, batches, at, window, removable seats)
SEATS = [
    ("mid-term: only a recent batch", MONTHLY, 12, [Batch(10, BOUGHT), Batch(2, utc(2026, 11, 1))],
     utc(2026, 11, 2, 9), WEEK, 2),
    ("mid-term: an old batch stays", MONTHLY, 12, [Batch(12, BOUGHT)], utc(2026, 11, 2, 9),
     WEEK, 0),
    ("a new term reopens every seat bought in an earlier one", MONTHLY, 12,
     [Batch(10, BOUGHT), Batch(2, utc(2026, 10, 20))], RENEWAL + timedelta(days=4), WEEK, 12),
    ("the renewal's very moment", MONTHLY, 12, [Batch(12, BOUGHT)], RENEWAL, WEEK, 12),
    ("a second before the renewal", MONTHLY, 12, [Batch(12, BOUGHT)],
     RENEWAL - timedelta(seconds=1), WEEK, 0),
    ("the term's window closes exactly now", MONTHLY, 12, [Batch(12, BOUGHT)], RENEWAL + WEEK,
     WEEK, 0),
    ("a batch bought the day before the renewal: its window ends before the term's", MONTHLY,
     14, [Batch(12, BOUGHT), Batch(2, RENEWAL - timedelta(days=1))],
     RENEWAL + timedelta(days=6, hours=12), WEEK, 14),
    ("a batch bought in this term keeps its own window past the term's", MONTHLY, 15,
     [Batch(12, BOUGHT), Batch(3, RENEWAL + timedelta(days=5))],
     RENEWAL + timedelta(days=9), WEEK, 3),
    ("seats no batch records go with the term's window", MONTHLY, 20, [Batch(5, BOUGHT)],
     RENEWAL + timedelta(days=1), WEEK, 20),
    ("…and stay outside after it", MONTHLY, 20, [Batch(2, RENEWAL + timedelta(days=8))],
     RENEWAL + timedelta(days=9), WEEK, 2),
    ("an annual term: a month's anniversary reopens nothing", ANNUAL, 12, [Batch(12, BOUGHT)],
     RENEWAL + timedelta(days=4), WEEK, 0),
    ("an annual term reopens at its anniversary", ANNUAL, 12, [Batch(12, BOUGHT)],
     utc(2026, 9, 19, 9), WEEK, 12),
    ("the window is a setting", MONTHLY, 12, [Batch(12, BOUGHT)], RENEWAL + timedelta(days=4),
     THREE_DAYS, 0),
    ("removed seats are not counted twice", MONTHLY, 11,
     [Batch(10, BOUGHT), Batch(3, utc(2026, 11, 1))], utc(2026, 11, 2, 9), WEEK, 1),
]


@pytest.mark.parametrize(("plan", "quantity", "batches", "at", "window", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in SEATS])
def test_removable_seats_across_renewals(plan, quantity, batches, at, window, expected):
    term = current_term(plan, BOUGHT, at)
    assert removable_seats(quantity, batches, at, window, term.started) == expected


def test_without_a_term_only_batches_count():
    at = RENEWAL + timedelta(days=4)
    assert removable_seats(20, [Batch(5, BOUGHT)], at, WEEK) == 0
    assert removable_seats(20, [Batch(5, at - timedelta(days=1))], at, WEEK) == 5


# (case, quantity, batches, seats to remove, now, deadline)
DEADLINES = [
    ("all seats: until the term's window closes", 12, [Batch(12, BOUGHT)], 12,
     RENEWAL + timedelta(days=2), RENEWAL + WEEK),
    ("a batch bought later in the term keeps the last seats longer", 15,
     [Batch(12, BOUGHT), Batch(3, RENEWAL + timedelta(days=5))], 3, RENEWAL + timedelta(days=6),
     RENEWAL + timedelta(days=5) + WEEK),
    ("…but more than it need the term's window", 15,
     [Batch(12, BOUGHT), Batch(3, RENEWAL + timedelta(days=5))], 4, RENEWAL + timedelta(days=6),
     RENEWAL + WEEK),
    ("not removable now: no deadline", 12, [Batch(12, BOUGHT)], 1, RENEWAL + timedelta(days=8),
     None),
]


@pytest.mark.parametrize(("quantity", "batches", "seats", "now", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in DEADLINES])
def test_reduction_deadline_across_renewals(quantity, batches, seats, now, expected):
    term = current_term(MONTHLY, BOUGHT, now)
    assert reduction_deadline(quantity, batches, seats, now, WEEK, term.started) == expected


# --- the seat rule with the term ----------------------------------------------------------------


def sub(quantity: int = 12, *, created: datetime | None = BOUGHT, task: int | None = None
        ) -> Subscription:
    return Subscription(id=480105, license_id=E3.id, quantity=quantity, task_pending_id=task,
                        creation_date=created)


def test_the_2023_example_a_new_term_started_four_days_ago():
    """Bought on 27 November 2023, on 1 December 2026 the subscription is four days into its
    37th monthly term: its seats can be removed until 4 December, not "at the renewal on
    27 December"."""
    bought, now = utc(2023, 11, 27, 10), utc(2026, 12, 1, 10)
    s = sub(8, created=bought)
    term = current_term(MONTHLY, bought, now)
    decision = seat_change(s, E3, [Batch(8, bought)], 6, now, WEEK, term=term)
    assert decision.allowed, decision.reason
    assert decision.deadline == utc(2026, 12, 4, 10)
    assert seat_change(s, E3, [Batch(8, bought)], 6, now, WEEK).allowed  # the assumed term


def test_a_decrease_refused_only_by_its_window_opens_at_the_renewal():
    now = RENEWAL - timedelta(days=3)
    term = current_term(MONTHLY, BOUGHT, now)
    decision = seat_change(sub(12), E3, [Batch(12, BOUGHT)], 10, now, WEEK, term=term)
    assert not decision.allowed
    assert "renews, on Tue 17 Nov 2026, 09:00 UTC" in decision.reason
    assert reopening(decision) == Reopening(RENEWAL, RENEWAL + WEEK)
    # the seat window is the one of the next window, not the cancellation's
    short = seat_change(sub(12), E3, [Batch(12, BOUGHT)], 10, now, THREE_DAYS, term=term)
    assert reopening(short) == Reopening(RENEWAL, RENEWAL + THREE_DAYS)


def test_an_annual_term_reopens_at_its_anniversary():
    now = utc(2026, 11, 2, 9)
    term = current_term(ANNUAL, BOUGHT, now)
    decision = seat_change(sub(12), E3, [Batch(12, BOUGHT)], 10, now, WEEK, term=term)
    assert reopening(decision) == Reopening(utc(2027, 9, 17, 9), utc(2027, 9, 24, 9))


@pytest.mark.parametrize(
    ("case", "subscription", "new_total"),
    [
        ("a task runs", sub(12, task=9100001), 10),
        ("below one seat", sub(12), 0),
        ("an increase past the limit", sub(12), 301),
    ],
)
def test_refusals_for_other_reasons_do_not_reopen(case, subscription, new_total):
    now = RENEWAL - timedelta(days=3)
    term = current_term(MONTHLY, BOUGHT, now)
    decision = seat_change(subscription, E3, [Batch(12, BOUGHT)], new_total, now, WEEK, term=term)
    assert not decision.allowed, case
    assert reopening(decision) is None


def test_allowed_decisions_do_not_reopen():
    now = RENEWAL + timedelta(days=1)
    decision = seat_change(sub(12), E3, [Batch(12, BOUGHT)], 10, now, WEEK)
    assert decision.allowed and reopening(decision) is None


def test_a_group_deleted_at_expiration_has_no_next_window():
    now = RENEWAL - timedelta(days=3)
    ends = ProviderRenewal.of(ServiceInfo(
        status="ok", expiration=date(2026, 11, 17),
        renew=Renew(automatic=False, delete_at_expiration=True, period=1)))
    term = current_term(MONTHLY, BOUGHT, now, ends)
    decision = seat_change(sub(12), E3, [Batch(12, BOUGHT)], 10, now, WEEK, term=term)
    assert not decision.allowed and reopening(decision) is None
    assert "ends on Tue 17 Nov 2026, 09:00 UTC without renewing" in decision.reason


def test_without_a_creation_date_seats_outside_their_batches_stay():
    now = RENEWAL + timedelta(days=1)
    term = current_term(MONTHLY, None, now)
    decision = seat_change(sub(12, created=None), E3, [], 10, now, WEEK, term=term)
    assert not decision.allowed and reopening(decision) is None
    assert "creation date is unknown" in decision.reason


# --- the cancellation rule with the term --------------------------------------------------------

# (case, plan, bought, now, window open, closes)
CANCELLATIONS = [
    ("first days of a monthly term", MONTHLY, BOUGHT, RENEWAL + timedelta(days=4), True,
     RENEWAL + WEEK),
    ("a monthly term's window closed", MONTHLY, BOUGHT, RENEWAL + timedelta(days=8), False,
     RENEWAL + WEEK),
    ("the 2023 example: four days into a new term", MONTHLY, utc(2023, 11, 27, 10),
     utc(2026, 12, 1, 10), True, utc(2026, 12, 4, 10)),
    ("an annual term, mid-term", ANNUAL, BOUGHT, RENEWAL + timedelta(days=4), False,
     utc(2026, 9, 24, 9)),
    ("an annual term at its anniversary", ANNUAL, BOUGHT, utc(2026, 9, 18, 9), True,
     utc(2026, 9, 24, 9)),
    ("the first term", MONTHLY, RENEWAL, RENEWAL + timedelta(days=1), True, RENEWAL + WEEK),
]


@pytest.mark.parametrize(("plan", "bought", "now", "window_open", "closes"),
                         [pytest.param(*c[1:], id=c[0]) for c in CANCELLATIONS])
def test_the_cancellation_window_counts_from_the_current_term(plan, bought, now, window_open,
                                                              closes):
    term = current_term(plan, bought, now)
    decision = cancellation(sub(created=bought), term, now, WEEK, no_refund_acknowledged=True)
    assert decision.allowed
    assert decision.window_open is window_open
    assert decision.deadline == closes


def test_a_cancellation_past_its_window_opens_at_the_renewal():
    now = RENEWAL - timedelta(days=3)
    term = current_term(MONTHLY, BOUGHT, now)
    refused = cancellation(sub(), term, now, WEEK)
    assert not refused.allowed and refused.field == "acknowledge"
    assert reopening(refused) == Reopening(RENEWAL, RENEWAL + WEEK)
    # given only a start, no renewal is known
    assert reopening(cancellation(sub(), term.started, now, WEEK)) is None
    # refused for its state, not its window
    busy = cancellation(sub(task=9100007), term, now, WEEK)
    assert not busy.allowed and reopening(busy) is None
