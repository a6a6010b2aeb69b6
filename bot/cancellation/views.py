"""The cancellation modal: which subscription, why, and — when the window has closed or add-ons
go with it — an explicit acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.cancellation.cancel import (
    DETAILS_LIMIT,
    Acknowledgement,
    CancelReason,
    acknowledge_block,
    term_start,
)
from bot.core.blocks import TITLE_LIMIT, date_token, escape, mrkdwn, plain
from bot.core.i18n import _
from bot.core.ids import CancelAction, CancelBlock, CancelCallback
from bot.policy import utc_text
from bot.tenants.subscription_choice import ChoiceRef, SubscriptionFacts
from bot.tenants.subscription_choice_view import choice_blocks, facts_block
from store.cache import CachedTenant

DESCRIPTION_LIMIT = 75  # Slack: an option description holds 75 characters


def window_lines(facts: SubscriptionFacts, now: datetime, window: timedelta) -> list[str]:
    closes = term_start(facts.term(now), now, window) + window
    if now < closes:
        lines = [_(":white_check_mark: Cancellation window open until {date}: refunded pro rata "
                   "if approved by then.", date=date_token(closes))]
    else:
        lines = [_(":no_entry: Cancellation window closed {date}: no refund, the customer is "
                   "billed for the full term.", date=date_token(closes))]
    if facts.addons:
        lines.append(_("Add-ons cancelled with it: {names}",
                       names=escape(", ".join(facts.addon_names()))))
    return lines


def acknowledge_input(facts: SubscriptionFacts, needed: Sequence[Acknowledgement],
                      now: datetime) -> InputBlock:
    options = []
    for what in needed:
        if what is Acknowledgement.AT_RENEWAL:
            opens = facts.term(now).next_start
            options.append(Option(
                value=what,
                # an option's text holds 75 characters: no room for a date token
                text=mrkdwn(_("*Schedule for the renewal on {date}* instead",
                              date=utc_text(opens) if opens else "—")),
                description=plain(_("Cancelled when the next term's window opens, refunded "
                                    "pro rata then."), DESCRIPTION_LIMIT),
            ))
        elif what is Acknowledgement.NO_REFUND:
            options.append(Option(
                value=what,
                text=mrkdwn(_("*No refund* — the customer is billed for the full term")),
                description=plain(_("The cancellation window has closed."), DESCRIPTION_LIMIT),
            ))
        else:
            options.append(Option(
                value=what,
                text=mrkdwn(_("*Its add-ons are cancelled too*")),
                description=plain(", ".join(facts.addon_names()), DESCRIPTION_LIMIT),
            ))
    return InputBlock(
        block_id=acknowledge_block(list(needed)),
        label=plain(_("I understand")),
        element=CheckboxesElement(action_id=CancelAction.ACKNOWLEDGE, options=options),
    )


def cancel_form(
    ref: ChoiceRef,
    tenant: CachedTenant | None,
    facts: SubscriptionFacts | None,
    *,
    now: datetime,
    window: timedelta,
    needed: Sequence[Acknowledgement] = (),
    notice: str | None = None,
) -> View:
    """The modal of `/csp cancel`; rebuilt with the same block ids when a select changes."""
    blocks: list[Block] = choice_blocks(
        ref, tenant, facts.subscription if facts else None, notice=notice
    )
    if facts is not None:
        blocks.append(facts_block(facts, window_lines(facts, now, window), now=now))
    blocks.append(InputBlock(
        block_id=CancelBlock.REASON,
        label=plain(_("Reason")),
        element=StaticSelectElement(
            action_id=CancelAction.REASON,
            placeholder=plain(_("Why is it cancelled?")),
            options=[Option(value=r.value, text=plain(r.label)) for r in CancelReason],
        ),
    ))
    blocks.append(InputBlock(
        block_id=CancelBlock.DETAILS,
        label=plain(_("Details for the approver")),
        element=PlainTextInputElement(
            action_id=CancelAction.DETAILS,
            multiline=True,
            max_length=DETAILS_LIMIT,
            placeholder=plain(_("e.g. the customer's email of 2 November asking to stop")),
        ),
    ))
    if facts is not None and needed:
        blocks.append(acknowledge_input(facts, needed, now))
    return View(
        type="modal",
        callback_id=CancelCallback.FORM,
        private_metadata=ref.dump(),
        title=plain(_("Cancel a subscription"), TITLE_LIMIT),
        submit=plain(_("Review")),
        close=plain(_("Close")),
        blocks=blocks,
    )
