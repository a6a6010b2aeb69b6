"""The seat-change rule, table-driven: `now` is passed in, nothing is read. The windows across
renewals have their own table (tests/policy/test_windows.py); here the subscription is
mid-term, so only its batches' windows are open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import License, Subscription
from bot.policy import add_months, next_renewal, reduction_deadline, seat_change

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(hours=168)


@dataclass(frozen=True)
class Batch:
    seats: int
    added_at: datetime


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


#: Bought on 17 September 2025: at NOW its monthly term started on 17 October (16 days ago, the
#: term's window is closed) and renews on Tuesday 17 November.
MID_TERM = datetime(2025, 9, 17, 9, 0, tzinfo=UTC)


def sub(quantity: int = 12, *, status: str = "ok", task: int | None = None,
        created: datetime | None = None) -> Subscription:
    return Subscription(id=480101, license_id=10021, quantity=quantity, status=status,
                        task_pending_id=task, creation_date=created or MID_TERM)


E3 = License(id=10021, name="Office 365 E3")
BASIC = License(id=10010, name="Microsoft 365 Business Basic", limit=300)
FROZEN = License(id=10032, name="Office 365 ProPlus", new_seats_allowed=False)

OLD = Batch(10, ago(days=400))
RECENT = Batch(2, ago(days=2))  # inside its window until NOW + 5 days
FRESH = Batch(3, ago(hours=3))  # inside its window until NOW + 165 hours

# (case, subscription, license, batches, new total, extra kwargs,
#  allowed, field of the refusal, words the answer must contain)
CASES = [
    ("increase", sub(12), E3, [OLD, RECENT], 15, {}, True, None, ["The 3 new seats"]),
    ("same number", sub(12), E3, [OLD, RECENT], 12, {}, False, "new_total",
     ["already has 12 seats"]),
    ("pending task", sub(12, task=9100001), E3, [OLD, RECENT], 13, {}, False, "subscription",
     ["task 9100001"]),
    ("suspended", sub(12, status="suspended"), E3, [OLD, RECENT], 13, {}, False,
     "subscription", ["is suspended"]),
    ("status is read leniently", sub(12, status="Active"), E3, [OLD, RECENT], 13, {}, True,
     None, []),
    ("zero seats", sub(12), E3, [OLD, RECENT], 0, {}, False, "new_total", ["/csp cancel"]),
    ("no new seats allowed", sub(8), FROZEN, [Batch(8, ago(days=900))], 9, {}, False,
     "new_total", ["no longer accepts new seats"]),
    ("frozen license may still shrink inside the window", sub(8, created=ago(days=1)), FROZEN,
     [Batch(8, ago(days=1))], 7, {}, True, None, ["the removed seat "]),
    ("at the limit", sub(25), BASIC, [Batch(25, ago(days=30))], 300, {}, True, None, []),
    ("over the limit", sub(25), BASIC, [Batch(25, ago(days=30))], 301, {}, False, "new_total",
     ["limited to 300", "at most 300"]),
    ("limit counts the license's other subscriptions", sub(25), BASIC, [], 260,
     {"seats_elsewhere": 50}, False, "new_total", ["50 are in other", "at most 250"]),
    ("decrease inside the window", sub(12), E3, [OLD, RECENT], 10, {}, True, None,
     ["the 2 removed seats"]),
    ("decrease beyond the window", sub(12), E3, [OLD, RECENT], 9, {}, False, "new_total",
     ["Only 2 seats", "down to 10", "other 1 can be removed when the subscription renews",
      "Tue 17 Nov 2026"]),
    ("nothing removable", sub(12), E3, [Batch(12, ago(days=8))], 11, {}, False, "new_total",
     ["No seats of subscription 480101 can be removed now", "168 hours"]),
    ("window closes exactly now", sub(12), E3, [Batch(10, ago(days=30)), Batch(2, ago(hours=168))],
     11, {}, False, "new_total", ["No seats"]),
    ("seats nobody recorded count as outside", sub(15), E3, [RECENT], 12, {}, False, "new_total",
     ["Only 2 seats"]),
    ("removed seats are not counted twice", sub(11), E3, [OLD, Batch(3, ago(days=1))], 9, {},
     False, "new_total", ["Only 1 seat of", "down to 10"]),
    ("approval above the threshold", sub(12), E3, [OLD, RECENT], 10, {"approval_above": 1},
     True, None, ["support agent's approval"]),
    ("no approval at the threshold", sub(12), E3, [OLD, RECENT], 10, {"approval_above": 2},
     True, None, []),
]


@pytest.mark.parametrize(
    ("subscription", "lic", "batches", "new_total", "kw", "allowed", "field", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_seat_change(subscription, lic, batches, new_total, kw, allowed, field, words):
    decision = seat_change(subscription, lic, batches, new_total, NOW, WEEK, **kw)
    assert decision.allowed is allowed, decision.reason
    assert decision.field == field
    text = decision.reason if not allowed else " ".join(decision.notes)
    for word in words:
        assert word in text


def test_approval_depends_on_the_threshold():
    s = sub(12)
    assert seat_change(s, E3, [OLD, RECENT], 10, NOW, WEEK, approval_above=1).needs_approval
    assert not seat_change(s, E3, [OLD, RECENT], 10, NOW, WEEK, approval_above=2).needs_approval
    assert not seat_change(s, E3, [OLD, RECENT], 10, NOW, WEEK).needs_approval
    assert not seat_change(s, E3, [OLD, RECENT], 20, NOW, WEEK, approval_above=1).needs_approval


def test_a_decrease_carries_the_deadline_of_its_window():
    decision = seat_change(sub(15), E3, [OLD, RECENT, FRESH], 12, NOW, WEEK)
    # three seats go: the 3 added 3 hours ago stay removable longest
    assert decision.deadline == FRESH.added_at + WEEK
    decision = seat_change(sub(15), E3, [OLD, RECENT, FRESH], 11, NOW, WEEK)
    # four seats need RECENT too: possible only until RECENT's window closes
    assert decision.deadline == RECENT.added_at + WEEK
    assert decision.removed == 4
    assert "<!date^" in decision.notes[1]  # shown in each viewer's time zone


def test_an_increase_has_no_deadline_and_says_how_long_it_can_be_undone():
    decision = seat_change(sub(12), E3, [OLD], 14, NOW, WEEK)
    assert decision.deadline is None
    assert (decision.added, decision.removed, decision.removable_until) == (2, None, NOW + WEEK)


def test_the_window_is_a_setting():
    three_days = timedelta(hours=72)
    assert seat_change(sub(12), E3, [OLD, RECENT], 10, NOW, three_days).allowed
    refused = seat_change(sub(12), E3, [OLD, RECENT], 10, NOW, timedelta(hours=24))
    assert not refused.allowed and "24 hours" in refused.reason


@pytest.mark.parametrize(
    ("quantity", "batches", "seats", "expected"),
    [
        (15, [OLD, RECENT, FRESH], 3, FRESH.added_at + WEEK),
        (15, [OLD, RECENT, FRESH], 5, RECENT.added_at + WEEK),
        (15, [OLD, RECENT, FRESH], 6, None),
        (5, [Batch(5, ago(days=1))], 4, ago(days=1) + WEEK),
    ],
)
def test_reduction_deadline(quantity, batches, seats, expected):
    assert reduction_deadline(quantity, batches, seats, NOW, WEEK) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 1, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 2, datetime(2027, 1, 15, tzinfo=UTC)),
        (datetime(2026, 5, 10, tzinfo=UTC), 12, datetime(2027, 5, 10, tzinfo=UTC)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_next_renewal_is_the_first_after_now():
    start = datetime(2025, 9, 28, 14, 0, tzinfo=UTC)
    assert next_renewal(start, NOW) == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert next_renewal(start, NOW, term_months=12) == datetime(2026, 9, 28, 14, 0, tzinfo=UTC) \
        .replace(year=2027)
    assert next_renewal(NOW, NOW) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
