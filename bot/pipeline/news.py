"""What people are told in messages: reminders to the approvers, news to the requester.

Pure, like the cards: a request in, a `Card` (fallback text and blocks) out. The words for the
states only one kind has come from its spec (`bot.pipeline.kinds`); no flow is imported here.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import Block

from bot.core.blocks import context, date_token, escape, section
from bot.core.domain import Request, RequestState
from bot.core.formats import duration
from bot.core.i18n import _
from bot.pipeline.cards import Card, card_link
from bot.pipeline.kinds import NowFigures, spec_of

S = RequestState


def reminder(request: Request, hours: int, figures: NowFigures | None = None) -> Card:
    """`figures`: what the request's kind works out again as the reminder is sent (a
    cancellation's estimated refund)."""
    deadline = date_token(request.deadline) if request.deadline else ""
    text = _(
        ":alarm_clock: Reminder: {ref} still needs a decision before {deadline} "
        "(about {left} left). After that it expires.",
        ref=request.ref, deadline=deadline, left=duration(timedelta(hours=hours)),
    )
    if figures is not None and figures.reminder:
        text += "\n" + figures.reminder
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
        words = _("Open the card")
        blocks.append(context(f"<{link}|{words}>"))
    return Card(text, blocks)


def requester_news(request: Request, before: RequestState | None) -> Card | None:
    """The DM a requester gets when their request was decided or finished; None: no news."""
    ref = f"*{request.ref}* ({escape(request.summary)})" if request.summary else request.ref
    who = f"<@{request.decided_by}>" if request.decided_by else ""
    text = spec_of(request.kind).news(request, ref, who)
    text = text or _pipeline_news(request, before, ref, who)
    if text is None:
        return None
    blocks: list[Block] = [section(text)]
    link = card_link(request)
    if link:
        words = _("Open the card")
        blocks.append(context(f"<{link}|{words}>"))
    return Card(text, blocks)


def _pipeline_news(request: Request, before: RequestState | None, ref: str, who: str
                   ) -> str | None:
    """The words for the states every kind shares."""
    text = None
    match request.state:
        case S.QUEUED if before is S.AWAITING_APPROVAL:
            text = _(":white_check_mark: Your request {ref} was approved by {who}. It is being "
                     "sent to OVHcloud now.", ref=ref, who=who)
        case S.SCHEDULED if before is S.AWAITING_APPROVAL:
            text = _(":white_check_mark: Your request {ref} was approved by {who}. It is "
                     "scheduled for the renewal and sent {when}.", ref=ref, who=who,
                     when=date_token(request.run_at) if request.run_at else "")
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
    return text
