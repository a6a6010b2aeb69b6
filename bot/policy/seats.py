"""Seat changes: Microsoft's reduction window per batch of added seats and per term
(`policy.windows`), license limits, and the dates both seat changes and cancellations are
explained with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core.dates import date_token
from bot.core.domain import License, Subscription
from bot.core.formats import datetime_text
from bot.core.i18n import _, ngettext
from bot.policy.decision import Decision, SeatDecision
from bot.policy.orders import seats_on_the_way as on_the_way_words
from bot.policy.status import in_service, status_label
from bot.policy.terms import ASSUMED_PLAN, Term, current_term
from bot.policy.windows import (
    SeatBatchLike,
    next_window,
    reduction_deadline,
    removable_seats,
)

D = TypeVar("D", bound=Decision)


def utc_text(when: datetime) -> str:
    """A date for plain-text places (form errors cannot render Slack's date token): in the
    reader's language and time zone, UTC when unknown (`bot.core.formats.datetime_text`)."""
    return datetime_text(when)


def _changeable(sub: Subscription, answer: type[D]) -> D | None:
    """A subscription in a blocking status (`policy.status`), or with an OVHcloud task
    running, refuses changes (in the caller's kind of decision, `answer`). Any other status
    is in service."""
    if not in_service(sub.status):
        return answer.refuse(
            _("Subscription {id} is {status} at OVHcloud: it can't be changed now.",
              id=sub.id, status=status_label(sub.status)),
            field="subscription",
        )
    if sub.task_pending_id is not None:
        return answer.refuse(
            _("Subscription {id} has a change in progress at OVHcloud (task {task}); try again "
              "when it is done.", id=sub.id, task=sub.task_pending_id),
            field="subscription",
        )
    return None


def seat_change(
    sub: Subscription,
    lic: License,
    batches: Sequence[SeatBatchLike],
    new_total: int,
    now: datetime,
    window: timedelta,
    *,
    seats_elsewhere: int = 0,
    seats_on_the_way: int = 0,
    approval_above: int | None = None,
    term: Term | None = None,
) -> SeatDecision:
    """May `sub` go to `new_total` seats now?

    Adding needs `newSeatsAllowed` and stays within the license's `limit` in the group (its
    seats in other subscriptions, `seats_elsewhere`, count too, and so do the seats other
    confirmed, unfinished requests will add, `seats_on_the_way`). Removing is possible only for
    seats still inside their reduction window: their batch's, or the current term's first days
    (`policy.windows`; `term` defaults to the assumed monthly term from the creation date). A
    decrease of more than `approval_above` seats needs a support agent's approval before the
    window closes. A decrease refused only because the window is closed carries the next one
    (`policy.windows.reopening`).
    """
    refused = _changeable(sub, SeatDecision)
    if refused is not None:
        return refused
    if new_total < 1:
        return SeatDecision.refuse(
            _("A subscription keeps at least 1 seat; to remove them all, cancel it with "
              "`/csp cancel`."),
            field="new_total",
        )
    if new_total == sub.quantity:
        return SeatDecision.refuse(
            _("Subscription {id} already has {n} seats: enter a different total.",
              id=sub.id, n=sub.quantity),
            field="new_total",
        )
    delta = new_total - sub.quantity
    if delta > 0:
        if not lic.new_seats_allowed:
            return SeatDecision.refuse(
                _("{license} no longer accepts new seats (OVHcloud: newSeatsAllowed is off); "
                  "it can only be reduced.", license=lic.name),
                field="new_total",
            )
        taken = seats_elsewhere + seats_on_the_way
        if lic.limit is not None and new_total + taken > lic.limit:
            most = max(lic.limit - taken, 0)
            if seats_on_the_way:
                reason = _("{license} is limited to {limit} seats in this license group, "
                           "{other} are in other subscriptions and {coming}: this one can "
                           "have at most {most}.",
                           license=lic.name, limit=lic.limit, other=seats_elsewhere,
                           coming=on_the_way_words(seats_on_the_way), most=most)
            else:
                reason = _("{license} is limited to {limit} seats in this license group and "
                           "{other} are in other subscriptions: this one can have at most "
                           "{most}.", license=lic.name, limit=lic.limit, other=seats_elsewhere,
                           most=most)
            return SeatDecision.refuse(reason, field="new_total")
        return SeatDecision.allow(
            notes=[ngettext("The new seat can be removed again until {date}; after that, only "
                            "at a renewal.",
                            "The {n} new seats can be removed again until {date}; after that, "
                            "only at a renewal.", delta, date=date_token(now + window))],
            added=delta, removable_until=now + window,
        )
    removing = -delta
    term = term or current_term(ASSUMED_PLAN, sub.creation_date, now)
    removable = removable_seats(sub.quantity, batches, now, window, term.started)
    if removing > removable:
        hours = int(window.total_seconds() // 3600)
        if removable == 0:
            reason = _("No seats of subscription {id} can be removed now: Microsoft lets seats "
                       "go only within {hours} hours of when they were added or of the start "
                       "of a term.", id=sub.id, hours=hours)
        else:
            reason = ngettext(
                "Only {n} seat of subscription {id} can be removed now (down to {floor}): "
                "Microsoft lets seats go only within {hours} hours of when they were added or "
                "of the start of a term.",
                "Only {n} seats of subscription {id} can be removed now (down to {floor}): "
                "Microsoft lets seats go only within {hours} hours of when they were added or "
                "of the start of a term.",
                removable, id=sub.id, floor=sub.quantity - removable, hours=hours)
        reason += " " + _later(term, removing - removable)
        return SeatDecision.refuse(reason, field="new_total", removable=removable,
                               earliest=term.next_start, reopens=next_window(term, window))
    deadline = reduction_deadline(sub.quantity, batches, removing, now, window, term.started)
    needs_approval = approval_above is not None and removing > approval_above
    notes = [ngettext("Microsoft credits the removed seat pro rata on the next invoice.",
                      "Microsoft credits the {n} removed seats pro rata on the next invoice.",
                      removing)]
    if deadline is not None:
        notes.append(_("These seats can be removed only until {date}; later they stay until "
                       "the renewal.", date=date_token(deadline)))
    if needs_approval:
        notes.append(_("Removing more than {n} seats needs a support agent's approval before "
                       "that date.", n=approval_above))
    return SeatDecision.allow(notes=notes, deadline=deadline, needs_approval=needs_approval,
                          removed=removing)


def _later(term: Term, rest: int) -> str:
    """When the seats that cannot go now can go: at the renewal, if there is one."""
    if term.next_start is not None:
        return _("The other {rest} can be removed when the subscription renews, on {date}.",
                 rest=rest, date=utc_text(term.next_start))
    if term.ends is not None:
        return _("The subscription ends on {date} without renewing (OVHcloud deletes its "
                 "license group at expiration): the other {rest} stay until then.",
                 rest=rest, date=utc_text(term.ends))
    return _("The other {rest} can be removed only at a renewal, and the subscription's "
             "creation date is unknown.", rest=rest)
