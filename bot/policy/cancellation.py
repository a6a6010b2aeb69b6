"""Cancellations: always approved by a support agent, before the cancellation window of the
current term closes (`policy.windows`), or acknowledged as getting no refund."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.dates import date_token
from bot.core.domain import Subscription
from bot.core.formats import join_list
from bot.core.i18n import _, ngettext
from bot.policy.decision import CancellationDecision
from bot.policy.seats import _changeable, utc_text
from bot.policy.terms import Term
from bot.policy.windows import cancellation_closes, next_window


def cancellation(
    sub: Subscription,
    term: Term | datetime,
    now: datetime,
    window: timedelta,
    *,
    addon_names: Sequence[str] = (),
    no_refund_acknowledged: bool = False,
    addons_acknowledged: bool = False,
) -> CancellationDecision:
    """May `sub` be cancelled, and on what terms?

    `term` is the current term (or just its start: then no renewal is known). Cancelling
    always needs a support agent's approval, before the window of that term closes: that is
    the deadline. Past it, Microsoft refunds nothing and bills the full term, so the requester
    must say they know (`no_refund_acknowledged`); the request then has no expiry. Refused for
    that alone, the decision carries the next term's window (`policy.windows.reopening`).
    Add-ons go with their subscription: that is acknowledged too.
    """
    refused = _changeable(sub, CancellationDecision)
    if refused is not None:
        return refused
    term_start = term.started if isinstance(term, Term) else term
    closes = cancellation_closes(term_start or now - window, window)
    window_open = now < closes
    if not window_open and not no_refund_acknowledged:
        reopens = next_window(term, window) if isinstance(term, Term) else None
        return CancellationDecision.refuse(
            _("The cancellation window of subscription {id} closed on {date}: Microsoft gives "
              "no refund and bills the customer for the full term. Tick the box to cancel "
              "anyway.", id=sub.id, date=utc_text(closes)),
            field="acknowledge", window_open=False, reopens=reopens,
        )
    if addon_names and not addons_acknowledged:
        return CancellationDecision.refuse(
            _("These add-ons are cancelled with it: {names}. Tick the box to confirm.",
              names=join_list(addon_names)),
            field="acknowledge",
        )
    notes = [ngettext("The {n} license is removed for good: the customer's users lose access "
                      "immediately.",
                      "All {n} licenses are removed at once and for good: the customer's users "
                      "lose access immediately.", sub.quantity)]
    if addon_names:
        notes.append(_("Its add-ons are cancelled too: {names}.", names=join_list(addon_names)))
    # an open window is the decision's deadline: the confirmation says it once, as a deadline
    if not window_open:
        notes.append(_("The cancellation window closed {date}: no refund, the customer is billed "
                       "for the full term.", date=date_token(closes)))
    return CancellationDecision.allow(notes=notes, deadline=closes, needs_approval=True,
                          window_open=window_open, window_closes=closes)
