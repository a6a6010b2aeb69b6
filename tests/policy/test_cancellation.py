"""The cancellation rule, table-driven: `now` is passed in, nothing is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import Subscription
from bot.policy import cancellation

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(hours=168)


def sub(*, status: str = "ok", task: int | None = None, quantity: int = 25) -> Subscription:
    return Subscription(id=480103, license_id=10010, quantity=quantity, status=status,
                        task_pending_id=task)


INSIDE = NOW - timedelta(days=2)  # the window closes in 5 days
OUTSIDE = NOW - timedelta(days=400)
AUDIO = ["Microsoft Teams Audio Conferencing (5 seats)"]

# (case, subscription, term start, kwargs, allowed, field, words)
CASES = [
    ("inside the window", sub(), INSIDE, {}, True, None,
     ["All 25 licenses", "at once and for good"]),  # the window: the decision's deadline
    ("outside the window, not acknowledged", sub(), OUTSIDE, {}, False, "acknowledge",
     ["closed on Sun 05 Oct 2025", "no refund", "full term", "Tick the box"]),
    ("outside the window, acknowledged", sub(), OUTSIDE, {"no_refund_acknowledged": True}, True,
     None, ["no refund", "billed for the full term"]),
    ("window closes exactly now", sub(), NOW - WEEK, {}, False, "acknowledge", ["closed on"]),
    ("one second left", sub(), NOW - WEEK + timedelta(seconds=1), {}, True, None,
     ["All 25 licenses"]),
    ("add-ons not acknowledged", sub(), INSIDE, {"addon_names": AUDIO}, False, "acknowledge",
     ["Microsoft Teams Audio Conferencing (5 seats)", "cancelled with it"]),
    ("add-ons acknowledged", sub(), INSIDE, {"addon_names": AUDIO, "addons_acknowledged": True},
     True, None, ["add-ons are cancelled too: Microsoft Teams Audio Conferencing"]),
    ("both acknowledgements needed", sub(), OUTSIDE,
     {"addon_names": AUDIO, "no_refund_acknowledged": True}, False, "acknowledge", ["add-ons"]),
    ("pending task", sub(task=9100007), INSIDE, {}, False, "subscription", ["task 9100007"]),
    ("not active", sub(status="deleted"), INSIDE, {}, False, "subscription", ["is deleted"]),
]


@pytest.mark.parametrize(
    ("subscription", "term_start", "kw", "allowed", "field", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_cancellation(subscription, term_start, kw, allowed, field, words):
    decision = cancellation(subscription, term_start, NOW, WEEK, **kw)
    assert decision.allowed is allowed, decision.reason
    assert decision.field == field
    text = decision.reason if not allowed else " ".join(decision.notes)
    for word in words:
        assert word in text, text


@pytest.mark.parametrize(
    ("term_start", "kw"),
    [(INSIDE, {}), (OUTSIDE, {"no_refund_acknowledged": True})],
)
def test_a_cancellation_always_needs_approval_and_its_deadline_is_the_window(term_start, kw):
    decision = cancellation(sub(), term_start, NOW, WEEK, **kw)
    assert decision.needs_approval
    assert decision.deadline == term_start + WEEK
    assert decision.window_open is (term_start is INSIDE)


def test_the_window_is_a_setting():
    assert cancellation(sub(), INSIDE, NOW, timedelta(hours=72)).allowed
    assert not cancellation(sub(), INSIDE, NOW, timedelta(hours=24)).allowed
