"""What people are told in messages: reminders to the approvers, news to the requester.

Pure, like the cards: a request in, a `Card` (fallback text and blocks) out.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.domain import Request, RequestState
from bot.i18n import _
from bot.order_delivery import order_words
from bot.views.cards import Card, card_link
from bot.views.common import context, date_token, escape, section
from bot.views.new_group import link
from bot.views.refunds import CREDITED_AMOUNT, UPSTREAM_REFERENCE, ticket_of

S = RequestState


def reminder(request: Request, hours: int, refund: str | None = None) -> Card:
    """`refund`: a cancellation's estimated refund, worked out as the reminder is sent."""
    deadline = date_token(request.deadline) if request.deadline else ""
    text = _(
        ":alarm_clock: Reminder: {ref} still needs a decision before {deadline} "
        "(about {hours} h left). After that it expires.",
        ref=request.ref, deadline=deadline, hours=hours,
    )
    if refund:
        text += "\n" + _(":moneybag: Estimated refund: {refund}", refund=refund)
    return Card(text, [section(text)])


def scheduled_reminder(request: Request) -> Card:
    """The requester's DM the day before a request scheduled for the renewal is sent."""
    ref = f"*{request.ref}* ({escape(request.summary)})" if request.summary else request.ref
    text = _(":calendar: Reminder: your request {ref} is sent to OVHcloud {when}, at the "
             "renewal. Withdraw it from its card or `/csp requests` if it is no longer wanted.",
             ref=ref, when=date_token(request.run_at) if request.run_at else "")
    blocks: list[Block] = [section(text)]
    link = card_link(request)
    if link:
        blocks.append(context(f"<{link}|{_('Open the card')}>"))
    return Card(text, blocks)


def requester_news(request: Request, before: RequestState | None) -> Card | None:
    """The DM a requester gets when their request was decided or finished; None: no news."""
    ref = f"*{request.ref}* ({escape(request.summary)})" if request.summary else request.ref
    who = f"<@{request.decided_by}>" if request.decided_by else ""
    link = card_link(request)
    match request.state:
        case S.QUEUED if before is S.AWAITING_APPROVAL:
            text = _(":white_check_mark: Your request {ref} was approved by {who}. It is being "
                     "sent to OVHcloud now.", ref=ref, who=who)
        case S.SCHEDULED if before is S.AWAITING_APPROVAL:
            text = _(":white_check_mark: Your request {ref} was approved by {who}. It is "
                     "scheduled for the renewal and sent {when}.", ref=ref, who=who,
                     when=date_token(request.run_at) if request.run_at else "")
        case S.APPROVED:
            text = _(":white_check_mark: Your refund ticket {ref} was approved by {who}.",
                     ref=ref, who=who)
        case S.REJECTED:
            text = _(":no_entry: Your request {ref} was rejected by {who}. Reason: {note}",
                     ref=ref, who=who, note=escape(request.decision_note or "—"))
        case S.EXPIRED:
            text = _(":alarm_clock: Your request {ref} expired: nobody decided before the "
                     "deadline. Nothing was sent.", ref=ref)
        case S.DONE:
            text = _(":white_check_mark: Your request {ref} is done.", ref=ref)
        case S.FAILED:
            text = _(":x: Your request {ref} failed: {error}", ref=ref,
                     error=escape(request.error or _("no reason given")))
            if request.error_query_id:
                text += " " + _("(query id `{id}`)", id=request.error_query_id)
        case S.NEEDS_ATTENTION:
            text = _(":warning: Your request {ref} needs attention: OVHcloud's answer was lost, "
                     "so a person must check before anything is sent again.", ref=ref)
        case S.FILED:
            text = _(":outbox_tray: Your refund ticket {ref} was filed with Microsoft.", ref=ref)
            reference = request.payload.get(UPSTREAM_REFERENCE)
            if reference:
                text = _(":outbox_tray: Your refund ticket {ref} was filed with Microsoft under "
                         "reference `{reference}`.", ref=ref, reference=escape(str(reference)))
        case S.RESOLVED:
            text = _(":moneybag: Your refund ticket {ref} is resolved.", ref=ref)
            credited = request.payload.get(CREDITED_AMOUNT)
            if credited:
                ticket = ticket_of(request)
                text = _(":moneybag: Your refund ticket {ref} is resolved: Microsoft credited "
                         "{credited} of {asked} requested.", ref=ref,
                         credited=escape(str(credited)),
                         asked=ticket.amount_text if ticket else "—")
        case _:
            return None
    blocks: list[Block] = [section(text)]
    if link:
        blocks.append(context(f"<{link}|{_('Open the card')}>"))
    return Card(text, blocks)


def waiting_for_payment(request: Request, result: dict) -> Card:
    """Told once to the requester: the new license group's order waits for payment."""
    order = escape(order_words(result))
    if result.get("url"):
        where = link(result["url"], _("OVHcloud's order page"))
    else:
        where = _("the OVHcloud control panel")
    ref = f"*{request.ref}* ({escape(request.summary)})" if request.summary else request.ref
    text = _(
        ":credit_card: Your request {ref} is ordered and waits for payment: pay {order} at "
        "{where} and OVHcloud makes the license group. You will be told when it is ready.",
        ref=ref, order=order, where=where,
    )  # fmt: skip
    blocks: list[Block] = [section(text)]
    card = card_link(request)
    if card:
        blocks.append(context(f"<{card}|{_('Open the card')}>"))
    return Card(text, blocks)
