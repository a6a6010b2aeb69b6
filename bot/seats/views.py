"""The seat modal: which subscription, what it has now, and the new total."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
)
from slack_sdk.models.views import View

from bot.core.blocks import TITLE_LIMIT, date_token, mrkdwn, plain
from bot.core.i18n import _, ngettext
from bot.core.ids import SeatsAction, SeatsBlock, SeatsCallback
from bot.policy import reduction_deadline, removable_seats, utc_text
from bot.tenants.subscription_choice import ChoiceRef, SubscriptionFacts
from bot.tenants.subscription_choice_view import choice_blocks, facts_block
from store.cache import CachedTenant


def seat_lines(facts: SubscriptionFacts, now: datetime, window: timedelta) -> list[str]:
    """What limits a change of this subscription, before the person types a number."""
    sub, lic, term = facts.subscription, facts.license, facts.term(now)
    removable = removable_seats(sub.quantity, facts.batches, now, window, term.started)
    lines = []
    if removable:
        until = reduction_deadline(sub.quantity, facts.batches, removable, now, window,
                                   term.started)
        text = ngettext("{n} seat can be removed now", "{n} seats can be removed now", removable)
        lines.append(text + (_(" (until {date})", date=date_token(until)) if until else ""))
    else:
        hours = int(window.total_seconds() // 3600)
        text = _("No seats can be removed now: seats can go only within {hours} hours of being "
                 "added or of the start of a term.", hours=hours)
        if term.next_start is not None:
            text += " " + _("The subscription renews {date}.", date=date_token(term.next_start))
        lines.append(text)
    if not lic.new_seats_allowed:
        lines.append(_("This license accepts no new seats."))
    elif lic.limit is not None:
        lines.append(_("At most {limit} seats of this license in the group ({other} in other "
                       "subscriptions).", limit=lic.limit, other=facts.seats_elsewhere))
    return lines


def schedule_block_id(opens: datetime) -> str:
    return f"{SeatsBlock.SCHEDULE}.{int(opens.timestamp())}"


def renewal_offer(facts: SubscriptionFacts, now: datetime, window: timedelta) -> datetime | None:
    """When the form offers "Schedule for the renewal on …": while some seats cannot be removed
    now and the subscription renews (the next term reopens every seat's window)."""
    sub, term = facts.subscription, facts.term(now)
    if term.next_start is None or sub.quantity <= 1:
        return None
    removable = removable_seats(sub.quantity, facts.batches, now, window, term.started)
    return term.next_start if removable < sub.quantity - 1 else None


def schedule_input(opens: datetime) -> InputBlock:
    return InputBlock(
        block_id=schedule_block_id(opens),
        label=plain(_("Or later")),
        optional=True,
        element=CheckboxesElement(action_id=SeatsAction.SCHEDULE, options=[Option(
            value="at_renewal",
            # an option's text holds 75 characters: no room for a date token
            text=mrkdwn(_("*Schedule for the renewal on {date}*", date=utc_text(opens))),
            description=plain(_("Sent when the next term's window opens, for seats that "
                                "cannot be removed now."), 75),
        )]),
    )


def seat_form(
    ref: ChoiceRef,
    tenant: CachedTenant | None,
    facts: SubscriptionFacts | None,
    *,
    now: datetime,
    window: timedelta,
    new_total: int | None = None,
    notice: str | None = None,
) -> View:
    """The modal of `/csp seats`; rebuilt with the same block ids when a select changes, so
    Slack keeps the number already typed."""
    blocks: list[Block] = choice_blocks(
        ref, tenant, facts.subscription if facts else None, notice=notice
    )
    if facts is not None:
        blocks.append(facts_block(facts, seat_lines(facts, now, window), now=now))
    blocks.append(InputBlock(
        block_id=SeatsBlock.NEW_TOTAL,
        label=plain(_("New total of seats")),
        hint=plain(_("The number of seats after the change, not the difference.")),
        element=NumberInputElement(
            action_id=SeatsAction.NEW_TOTAL,
            is_decimal_allowed=False,
            min_value="1",
            initial_value=str(new_total) if new_total is not None else None,
            placeholder=plain(_("e.g. {n}", n=(facts.subscription.quantity + 1) if facts else 10)),
        ),
    ))
    opens = renewal_offer(facts, now, window) if facts is not None else None
    if opens is not None:
        blocks.append(schedule_input(opens))
    return View(
        type="modal",
        callback_id=SeatsCallback.FORM,
        private_metadata=ref.dump(),
        title=plain(_("Change seats"), TITLE_LIMIT),
        submit=plain(_("Review")),
        close=plain(_("Cancel")),
        blocks=blocks,
    )
