"""`/csp audit`: a page of a trail — who, what, when, before → after, provider ids."""

from __future__ import annotations

import re

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, HeaderBlock

from bot.audit.trail import AuditEvent, AuditPage
from bot.core.blocks import context, date_token, escape, plain, section
from bot.core.domain import RequestState
from bot.core.i18n import N_, _, ngettext, say_again
from bot.core.ids import PipelineAction, PipelineBlock
from bot.core.text import cut_saying
from bot.pipeline.cards import state_short
from store.requests import NOTE_SAID

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
NOTE_LIMIT = 500
#: What each recorded action is, in words (the trail stores the action's name); a name not
#: listed is shown as it is stored.
ACTION_WORDS = {
    "draft": N_("drafted"),
    "claim": N_("taken by a support agent"),
    "resume": N_("resumed"),
    "provider_call": N_("sent to the provider"),
    "provider_call_confirmed": N_("found done at the provider"),
    "provider_task_adopted": N_("found under way at the provider"),
    "scheduled_already_done": N_("already done at the renewal"),
    "order_progress": N_("order progress"),
    "step_done": N_("step done"),
    "step_failed": N_("step failed"),
    "step_unknown": N_("step outcome unknown"),
    "role_grant": N_("role granted"),
    "role_revoke": N_("role revoked"),
    "software_key_route": N_("software keys looked up"),
    "software_key_route_refused": N_("software keys refused"),
}


def who(actor: str) -> str:
    """A Slack user as a mention; the bot itself (deadlines, the worker) by name."""
    return f"<@{actor}>" if SLACK_USER.match(actor) else f"`{escape(actor)}`"


def state_name(value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return state_short(RequestState(value))
    except ValueError:
        return value


def what(event: AuditEvent) -> str:
    """A move reads `before → after`; anything else (draft, claim, …) in words."""
    if event.action == "transition":
        return f"{state_name(event.before_state)} → {state_name(event.after_state)}"
    words = ACTION_WORDS.get(event.action)
    return _(words) if words else escape(event.action.replace("_", " "))


def event_line(event: AuditEvent, *, with_request: bool) -> str:
    head = f"{date_token(event.created_at)} · {who(event.actor)} · *{what(event)}*"
    if with_request and event.request_id:
        head += f" · R{event.request_id}"
    extra = []
    note = say_again((event.data or {}).get(NOTE_SAID)) or event.note  # in the reader's words
    if note:
        kept, left_out = cut_saying(escape(note), NOTE_LIMIT)
        extra.append(f"_{kept}_" + (f" {left_out}" if left_out else ""))
    if event.provider_task_id:
        extra.append(_("task {id}", id=event.provider_task_id))
    if event.provider_query_id:
        extra.append(_("query id `{id}`", id=escape(event.provider_query_id)))
    return head + ("\n" + " · ".join(extra) if extra else "")


def audit_blocks(page: AuditPage) -> list[Block]:
    """At most 20 events a page, so a page stays far below Slack's 50 blocks."""
    blocks: list[Block] = [
        HeaderBlock(text=plain(_("Audit trail · {what}", what=page.subject.label), 150))
    ]
    if page.note:
        blocks.append(context(page.note))
    with_request = page.subject.kind == "subscription"
    blocks.extend(section(event_line(e, with_request=with_request)) for e in page.events)
    blocks.append(
        context(
            ngettext(
                "Page {page} of {pages} · {n} event, oldest first · times in your time zone",
                "Page {page} of {pages} · {n} events, oldest first · times in your time zone",
                page.total, page=page.page + 1, pages=page.pages,
            )
        )
    )
    buttons = []
    if page.page > 0:
        buttons.append(
            ButtonElement(
                text=plain(_("← Earlier")),
                action_id=PipelineAction.AUDIT_EARLIER,
                value=page.subject.encode(page.page - 1),
            )
        )
    if page.page < page.pages - 1:
        buttons.append(
            ButtonElement(
                text=plain(_("Later →")),
                action_id=PipelineAction.AUDIT_LATER,
                value=page.subject.encode(page.page + 1),
            )
        )
    if buttons:
        blocks.append(ActionsBlock(block_id=PipelineBlock.AUDIT_PAGER, elements=buttons))
    return blocks
