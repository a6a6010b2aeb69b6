"""Until when a software purchase can be cancelled through Partner Center: one rule, here.

Microsoft's pages disagree over time [L new-commerce-cancellation-policy: perpetual 30 calendar
days, software subscriptions 7; NL csp-on-premises-software: 60 days for any software]. The rule
the bot follows: a software subscription's own `cancellationAllowedUntilDate` is its deadline;
perpetual software has none on the wire, so its deadline is the order's `creationDate` plus the
setting `CSP_PERPETUAL_CANCELLATION_WINDOW_DAYS` (default 30, the current page; the guide this
product started from said 60) [partner-center-software.md §6 "Code rule"].
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.partner_center.orders import Order, OrderLineItem
from bot.partner_center.software import Subscription


def is_perpetual(line: OrderLineItem) -> bool:
    """A perpetual line has no term and never a subscription [D order-resources]; a line whose
    subscription id is still missing but that has a term is a software subscription."""
    return not line.term_duration and not line.subscription_id


def cancellation_deadline(
    order: Order,
    line: OrderLineItem,
    subscription: Subscription | None,
    perpetual_window: timedelta,
) -> datetime | None:
    """The last moment `line` can be cancelled, or None when Partner Center has not said yet
    (a software subscription not provisioned, or without the date)."""
    if is_perpetual(line):
        return order.creation_date + perpetual_window if order.creation_date else None
    if subscription is not None:
        return subscription.cancellation_allowed_until_date
    return None


def can_cancel(deadline: datetime | None, now: datetime) -> bool:
    """Inside the window; an unknown deadline is not a yes."""
    return deadline is not None and now <= deadline
