"""Who may cancel a software purchase, and until when: one rule for the list, the form, the
draft and the approval.

Partner Center lets only an Admin agent cancel software [D csp-software-subscriptions], and only
inside its window (`bot.partner_center.windows`: the subscription's own
`cancellationAllowedUntilDate`, or purchase + CSP_PERPETUAL_CANCELLATION_WINDOW_DAYS for
perpetual software). Past it, a refund ticket to Microsoft support is the remaining route.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.core.domain import Role
from bot.core.i18n import _
from bot.policy.decision import Decision, SoftwareCancelDecision
from bot.software.purchases import Purchase

Answer = SoftwareCancelDecision


def may_take_key_route(roles: Collection[Role]) -> Decision:
    if Role.ADMIN_AGENT not in roles:
        return Decision.refuse(_("The route to keys and downloads is for admin agents: "
                                 "Partner Center shows them only to an Admin agent."))
    return Decision.allow()


def software_cancellation(
    purchase: Purchase, roles: Collection[Role], now: datetime
) -> SoftwareCancelDecision:
    """Allowed for an admin agent inside the window; `refund` when only a refund ticket
    is left. The decision's deadline is the window's close: the approval must come before."""
    if purchase.cancelled:
        return Answer.refuse(_("This purchase is cancelled already."))
    if purchase.cancellable_until is None:
        return Answer.refuse(_("Partner Center has not given this purchase its cancellation "
                                 "date yet (it is still being provisioned): try again later."))
    if not purchase.cancellable(now):
        return Answer.refuse(
            _("Its cancellation window closed on {date}: Partner Center will not cancel it. A "
              "refund ticket to Microsoft support is the remaining route.",
              date=purchase.cancellable_until.strftime("%Y-%m-%d %H:%M UTC")),
            refund=True,
        )
    if Role.ADMIN_AGENT not in roles:
        return Answer.refuse(_("Only an admin agent may cancel software (Partner Center's "
                                 "rule). An admin can grant the role with "
                                 "`/csp roles grant @you admin_agent`."))
    return Answer.allow(deadline=purchase.cancellable_until, needs_approval=True)
