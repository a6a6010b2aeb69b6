"""Refund windows by product type, the acknowledgement outside them, and who handles a ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.app.config import Settings
from bot.core.domain import Request, RequestKind, RequestState, Role
from bot.core.ids import RefundBlock
from bot.policy import (
    RefundStep,
    RefundWindows,
    may_handle_refund,
    refund_ticket,
    refund_window_end,
)
from bot.refunds.form import RefundProduct

P = RefundProduct
S = RequestState
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEFAULTS = RefundWindows.from_settings(Settings(_env_file=None))


def test_default_windows_are_those_of_the_policy_reference():
    assert DEFAULTS.days(P.PERPETUAL) == 60  # as in the source guide
    assert DEFAULTS.days(P.SOFTWARE_SUBSCRIPTION) == 7
    assert DEFAULTS.days(P.LICENSE) == 7


def test_windows_follow_the_settings():
    windows = RefundWindows.from_settings(
        Settings(_env_file=None, csp_refund_window_perpetual_days=30,
                 csp_refund_window_software_subscription_days=3, csp_refund_window_license_days=5)
    )
    assert [windows.days(p) for p in P] == [30, 3, 5]


def test_the_window_is_counted_from_the_start_of_the_purchase_day_utc():
    assert refund_window_end(date(2026, 10, 26), 7) == datetime(2026, 11, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("product", "purchased_on", "outside"),
    [
        (P.PERPETUAL, date(2026, 9, 4), False),  # 59 days ago: closes 3 Nov 00:00
        (P.PERPETUAL, date(2026, 9, 3), True),  # closed 2 Nov 00:00, nine hours ago
        (P.SOFTWARE_SUBSCRIPTION, date(2026, 10, 27), False),
        (P.SOFTWARE_SUBSCRIPTION, date(2026, 10, 26), True),
        (P.LICENSE, date(2026, 11, 2), False),  # today
        (P.LICENSE, date(2026, 10, 1), True),
    ],
)
def test_inside_and_outside_the_window(product, purchased_on, outside):
    refused = refund_ticket(product, purchased_on, NOW, DEFAULTS)
    assert refused.allowed is not outside
    acknowledged = refund_ticket(product, purchased_on, NOW, DEFAULTS, acknowledged=True)
    assert acknowledged.allowed
    assert acknowledged.needs_approval
    assert acknowledged.outside_window is outside
    assert acknowledged.deadline is None  # shown, never an expiry
    assert acknowledged.window_closes == refund_window_end(
        purchased_on, DEFAULTS.days(product)
    )


def test_outside_the_window_asks_for_the_acknowledgement_next_to_its_checkbox():
    decision = refund_ticket(P.SOFTWARE_SUBSCRIPTION, date(2026, 10, 1), NOW, DEFAULTS)
    assert not decision.allowed
    assert decision.field == RefundBlock.ACKNOWLEDGE
    assert "7-day refund window for software subscription" in decision.reason
    assert "Thu 08 Oct 2026, 00:00 UTC" in decision.reason
    assert "Tick the box" in decision.reason


def test_an_acknowledged_late_ticket_says_so_for_the_approver():
    decision = refund_ticket(P.PERPETUAL, date(2026, 1, 5), NOW, DEFAULTS, acknowledged=True)
    text = " ".join(decision.notes)
    assert "Outside the refund window" in text
    assert "acknowledged" in text


@pytest.mark.parametrize(
    ("product", "words"),
    [
        (P.PERPETUAL, "credited in full"),
        (P.LICENSE, "prorated by the day"),
        (P.SOFTWARE_SUBSCRIPTION, "Inside the refund window"),
    ],
)
def test_notes_explain_the_product_and_name_the_admin_agent_role(product, words):
    decision = refund_ticket(product, date(2026, 11, 1), NOW, DEFAULTS)
    text = " ".join(decision.notes)
    assert words in text
    assert "*admin agent*" in text
    assert "<!date^" in text  # the window end in each viewer's time zone


def ticket(state=S.AWAITING_APPROVAL, requester="U0ALICE", assignee=None, kind=RequestKind.REFUND):
    return Request(id=7, kind=kind, state=state, requester=requester, assignee=assignee,
                   created_at=NOW, updated_at=NOW)


SUPPORT = {Role.STAFF, Role.SUPPORT}
ADMIN = {Role.STAFF, Role.ADMIN}
STAFF = {Role.STAFF}


@pytest.mark.parametrize(
    ("request_", "user", "roles", "step", "allowed", "words"),
    [
        (ticket(), "U0SAM", SUPPORT, RefundStep.CLAIM, True, ""),
        (ticket(), "U0BOB", STAFF, RefundStep.CLAIM, False, "Only support agents"),
        (ticket(requester="U0SAM"), "U0SAM", SUPPORT, RefundStep.CLAIM, False, "You opened"),
        (ticket(assignee="U0SUE"), "U0SAM", SUPPORT, RefundStep.CLAIM, False, "by <@U0SUE>"),
        (ticket(assignee="U0SUE"), "U0ADA", ADMIN, RefundStep.CLAIM, False, "claimed by"),
        (ticket(assignee="U0SAM"), "U0SAM", SUPPORT, RefundStep.CLAIM, False, "already yours"),
        (ticket(S.RESOLVED), "U0SAM", SUPPORT, RefundStep.CLAIM, False, "is resolved"),
        (ticket(S.APPROVED), "U0SAM", SUPPORT, RefundStep.FILE, True, ""),
        (ticket(S.APPROVED, assignee="U0SAM"), "U0SAM", SUPPORT, RefundStep.FILE, True, ""),
        (ticket(S.APPROVED, assignee="U0SUE"), "U0SAM", SUPPORT, RefundStep.FILE, False, "claimed"),
        (ticket(S.APPROVED, assignee="U0SUE"), "U0ADA", ADMIN, RefundStep.FILE, True, ""),
        (ticket(S.APPROVED), "U0BOB", STAFF, RefundStep.FILE, False, "Only support agents"),
        (ticket(), "U0SAM", SUPPORT, RefundStep.FILE, False, "is awaiting approval"),
        (ticket(S.FILED), "U0SAM", SUPPORT, RefundStep.RESOLVE, True, ""),
        (ticket(S.APPROVED), "U0SAM", SUPPORT, RefundStep.RESOLVE, False, "is approved"),
        (ticket(S.FILED), "U0ALICE", SUPPORT, RefundStep.RESOLVE, False, "You opened"),
        (ticket(kind=RequestKind.CANCEL), "U0SAM", SUPPORT, RefundStep.CLAIM, False, "not a"),
    ],
)
def test_who_may_take_a_refund_ticket_along(request_, user, roles, step, allowed, words):
    decision = may_handle_refund(request_, user, roles, step)
    assert decision.allowed is allowed
    assert words in decision.reason
