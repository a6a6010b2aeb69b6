"""Refund tickets: Microsoft's refund windows per product type, and who may take a
ticket along (claim, mark filed, mark resolved)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.core.dates import date_token
from bot.core.domain import Request, RequestKind, RequestState, Role
from bot.core.i18n import _
from bot.core.ids import RefundBlock
from bot.policy.approvals import state_label
from bot.policy.decision import Decision, RefundDecision
from bot.policy.seats import utc_text
from bot.refunds.form import RefundProduct, product_in_sentence

if TYPE_CHECKING:
    from bot.app.config import Settings


@dataclass(frozen=True)
class RefundWindows:
    """How long after a purchase Microsoft refunds it, per product type (settings, in days)."""

    perpetual_days: int
    software_subscription_days: int
    license_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RefundWindows:
        return cls(
            settings.csp_refund_window_perpetual_days,
            settings.csp_refund_window_software_subscription_days,
            settings.csp_refund_window_license_days,
        )

    def days(self, product: RefundProduct) -> int:
        return {
            RefundProduct.PERPETUAL: self.perpetual_days,
            RefundProduct.SOFTWARE_SUBSCRIPTION: self.software_subscription_days,
            RefundProduct.LICENSE: self.license_days,
        }[product]


def refund_window_end(purchased_on: date, days: int) -> datetime:
    """When the refund window of a purchase closes.

    Partner Center dates are UTC and a ticket has the purchase day, not its hour: the window is
    counted from the start of that day, the earliest the purchase can have been made, so the
    bot never calls a purchase "inside the window" that Microsoft may see outside it.
    """
    return datetime.combine(purchased_on, datetime.min.time(), UTC) + timedelta(days=days)


def admin_agent_note() -> str:
    """Microsoft lets only admin agents cancel software purchases (docs/policies.md)."""
    return _("The upstream request must be filed in Partner Center by someone with the *admin "
             "agent* role (type “CSP Purchase/Refund on behalf of customers”).")


def refund_ticket(
    product: RefundProduct,
    purchased_on: date,
    now: datetime,
    windows: RefundWindows,
    *,
    acknowledged: bool = False,
) -> RefundDecision:
    """May this refund ticket be opened, and what must the approver know?

    Every ticket waits for a support agent. Outside the refund window Microsoft may refuse
    the refund, so the requester must say they know (`acknowledged`), and the approval card
    flags it (`outside_window`). The window end is shown, never used as an expiry:
    a refund ticket is a request to a person, who may still try.
    """
    days = windows.days(product)
    closes = refund_window_end(purchased_on, days)
    outside = now >= closes
    kind = product_in_sentence(product)
    if outside and not acknowledged:
        return RefundDecision.refuse(
            _("This purchase is outside the {days}-day refund window for {kind} (it closed on "
              "{date}): Microsoft may refuse the refund. Tick the box to file the ticket anyway.",
              days=days, kind=kind, date=utc_text(closes)),
            field=RefundBlock.ACKNOWLEDGE, outside_window=True, window_closes=closes,
        )
    if outside:
        notes = [_("Outside the refund window: the {days}-day window for {kind} closed {date}. "
                   "The requester acknowledged that Microsoft may refuse the refund; the "
                   "approver sees this flag.", days=days, kind=kind, date=date_token(closes))]
    else:
        notes = [_("Inside the refund window: the {days}-day window for {kind} closes {date}; "
                   "the upstream request should be filed before then.",
                   days=days, kind=kind, date=date_token(closes))]
    if product is RefundProduct.PERPETUAL:
        notes.append(_("Perpetual software cancelled in the window is credited in full; the "
                       "software key is revoked once the cancellation is done."))
    elif product is RefundProduct.LICENSE:
        notes.append(_("License-based subscriptions are refunded prorated by the day: Microsoft "
                       "credits the unused part of the term, not the whole amount."))
    notes.append(admin_agent_note())
    return RefundDecision.allow(notes=notes, needs_approval=True, outside_window=outside,
                          window_closes=closes, window_days=days)


class RefundStep(StrEnum):
    """What a support agent does to a refund ticket besides approving or rejecting it."""

    CLAIM = "claim"
    FILE = "file"
    RESOLVE = "resolve"


_REFUND_STEP_STATES = {
    RefundStep.CLAIM: frozenset(
        {RequestState.AWAITING_APPROVAL, RequestState.APPROVED, RequestState.FILED}
    ),
    RefundStep.FILE: frozenset({RequestState.APPROVED}),
    RefundStep.RESOLVE: frozenset({RequestState.FILED}),
}


def may_handle_refund(
    request: Request, user_id: str, roles: Collection[Role], step: RefundStep
) -> Decision:
    """Claim, mark filed, mark resolved: support agents only, never on their own ticket, and
    only the agent who claimed it (or an admin) once it is claimed."""
    if request.kind is not RequestKind.REFUND:
        return Decision.refuse(_("Request {ref} is not a refund ticket.", ref=request.ref))
    if Role.SUPPORT not in roles and Role.ADMIN not in roles:
        return Decision.refuse(_("Only support agents can take refund tickets along."))
    if request.requester == user_id:
        return Decision.refuse(
            _("You opened refund ticket {ref}: another support agent has to handle it.",
              ref=request.ref)
        )
    if request.state not in _REFUND_STEP_STATES[step]:
        return Decision.refuse(
            _("Refund ticket {ref} is {state}: that can't be done now.",
              ref=request.ref, state=state_label(request.state))
        )
    if request.assignee is not None and request.assignee != user_id:
        if step is RefundStep.CLAIM or Role.ADMIN not in roles:
            return Decision.refuse(
                _("Refund ticket {ref} is claimed by <@{agent}>.", ref=request.ref,
                  agent=request.assignee)
            )
    if step is RefundStep.CLAIM and request.assignee == user_id:
        return Decision.refuse(_("Refund ticket {ref} is already yours.", ref=request.ref))
    return Decision.allow()


def may_decide_refund(request: Request, user_id: str, roles: Collection[Role]) -> Decision:
    """Approve or reject a claimed refund ticket: only the agent who claimed it, or an admin.

    A claim says "I am on it"; without this rule another agent could approve the ticket behind
    the back of the one talking to the customer. Unclaimed tickets and other kinds of request
    are left to `may_decide`.
    """
    if (
        request.kind is not RequestKind.REFUND
        or request.assignee is None
        or request.assignee == user_id
        or Role.ADMIN in roles
    ):
        return Decision.allow()
    return Decision.refuse(
        _("<@{agent}> has claimed this ticket: ask them, or an admin.", agent=request.assignee)
    )
