"""Pure rules: windows, limits, who may do what. No I/O, no clock reads (`now` is passed in).

A rule answers with a `Decision` that carries its own words, so the form, the confirmation and
the approval card all say the same thing. One module per flow; everything is re-exported here,
so `from bot.policy import seat_change` and `policy.seat_change(...)` work as they always did.
"""

from __future__ import annotations

from bot.policy.approvals import may_decide, may_withdraw
from bot.policy.cancellation import cancellation
from bot.policy.decision import Decision
from bot.policy.orders import (
    addon_line,
    addon_parents,
    main_subscriptions,
    order_approval,
    order_group,
    order_line,
)
from bot.policy.refunds import (
    RefundStep,
    RefundWindows,
    admin_agent_note,
    may_handle_refund,
    refund_ticket,
    refund_window_end,
)
from bot.policy.seats import seat_change, utc_text
from bot.policy.status import gone, in_service, known, moving, status_key, status_label
from bot.policy.terms import (
    ASSUMED_PLAN,
    ASSUMED_TERMS,
    BillingCycle,
    PlanSource,
    ProviderRenewal,
    Term,
    TermBook,
    TermCheck,
    TermLength,
    TermPlan,
    add_months,
    current_term,
    next_renewal,
)
from bot.policy.windows import (
    Reopening,
    SeatBatchLike,
    cancellation_closes,
    next_window,
    reduction_deadline,
    removable_seats,
    reopening,
    window_closes,
)

__all__ = [
    "ASSUMED_PLAN",
    "ASSUMED_TERMS",
    "BillingCycle",
    "Decision",
    "PlanSource",
    "ProviderRenewal",
    "RefundStep",
    "RefundWindows",
    "Reopening",
    "SeatBatchLike",
    "Term",
    "TermBook",
    "TermCheck",
    "TermLength",
    "TermPlan",
    "add_months",
    "addon_line",
    "addon_parents",
    "admin_agent_note",
    "cancellation",
    "cancellation_closes",
    "current_term",
    "gone",
    "in_service",
    "known",
    "main_subscriptions",
    "may_decide",
    "may_handle_refund",
    "may_withdraw",
    "moving",
    "next_renewal",
    "next_window",
    "order_approval",
    "order_group",
    "order_line",
    "reduction_deadline",
    "refund_ticket",
    "refund_window_end",
    "removable_seats",
    "reopening",
    "seat_change",
    "status_key",
    "status_label",
    "utc_text",
    "window_closes",
]
