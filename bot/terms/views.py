"""A subscription's term in words, the same on every screen: `/csp subs`, `/csp tenant`, the seat
and cancellation forms and their confirmations ("1-month term, billed monthly · renews on …, term
started on …"). Pure: a `policy.terms.Term` in, mrkdwn out."""

from __future__ import annotations

from datetime import datetime

from bot.core.blocks import date_token
from bot.core.i18n import N_, _
from bot.policy.terms import BillingCycle, Term, TermLength, TermPlan

#: Microsoft's term codes in words (the code itself, "P1M", is Partner Center's API, not theirs).
TERM_NAMES = {
    TermLength.P1M: N_("1-month term"),
    TermLength.P1Y: N_("1-year term"),
    TermLength.P3Y: N_("3-year term"),
}


def _day(when: datetime) -> str:
    return date_token(when, "{date_short_pretty}")


def plan_words(plan: TermPlan) -> str:
    """"1-year term, billed annually"; an assumed plan says so (OVHcloud publishes no term)."""
    billed = {
        BillingCycle.MONTHLY: _("billed monthly"),
        BillingCycle.ANNUAL: _("billed annually"),
        BillingCycle.TRIENNIAL: _("billed every three years"),
    }[plan.billing]
    # Translators: "1-year term, billed annually".
    text = _("{term}, {billing}", term=_(TERM_NAMES[plan.term]), billing=billed)
    if plan.assumed:
        text += " " + _("(assumed: OVHcloud publishes no term)")
    return text


def dates_words(term: Term) -> str:
    """"renews on Sun 27 Dec 2026, term started on Fri 27 Nov 2026", or why it does not."""
    if term.started is None or term.ends is None:
        return _("renewal unknown: the cache has no creation date")
    started = _day(term.started)
    if term.next_start is not None:
        return _("renews on {renews}, term started on {started}",
                 renews=_day(term.next_start), started=started)
    return _("ends on {ends} without renewing (OVHcloud deletes the group at expiration), term "
             "started on {started}", ends=_day(term.ends), started=started)


def term_words(term: Term) -> str:
    """The plan and the dates in one line."""
    return f"{plan_words(term.plan)} · {dates_words(term)}"


def scheduled_words(run_at: datetime) -> str:
    """When a change scheduled for the renewal is sent."""
    return _(":calendar: At the renewal, {date}: sent when the new term's window opens, and "
             "checked against the subscription then", date=date_token(run_at))
