"""The messages a request leaves in Slack: its status card, its approval card, reminders and DMs.

Pure: a request (and its steps) in, Block Kit out. The notifier posts and updates them. What a
kind adds to its cards comes from its spec (`bot.pipeline.kinds`); no flow is imported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.core.blocks import context, date_token, escape, mrkdwn, plain, section
from bot.core.domain import Request, RequestKind, RequestState, RequestStep, StepAction, StepState
from bot.core.i18n import _, ngettext, pgettext
from bot.core.ids import PipelineAction, PipelineBlock
from bot.pipeline.confirm_view import deadline_lines, notes_text, row_fields
from bot.pipeline.confirmation import confirmation_of
from bot.pipeline.execution import UNCHANGED, line_license_name
from bot.pipeline.kinds import spec_of

S = RequestState
SECTION_LIMIT = 2900
CLAIM_PREFIX = "posting:"


@dataclass(frozen=True)
class Card:
    """A message: Slack's `text` fallback (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[Block]

    def blocks_json(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.blocks]


def kind_words(kind: RequestKind) -> str:
    return spec_of(kind).title()


def provider_name(request: Request) -> str:
    """Who a request's steps are sent to (the kind's spec: software goes to Partner Center)."""
    return spec_of(request.kind).provider


def state_words(state: RequestState) -> str:
    return {
        S.DRAFT: _(":pencil2: Draft: not confirmed yet"),
        S.QUEUED: _(":hourglass_flowing_sand: Queued: about to be sent to OVHcloud"),
        S.AWAITING_APPROVAL: _(":raised_hand: Waiting for a support agent's decision"),
        S.RUNNING: _(":gear: Running: OVHcloud is working on it"),
        S.DONE: _(":white_check_mark: Done"),
        S.FAILED: _(":x: Failed"),
        S.REJECTED: _(":no_entry: Rejected"),
        S.WITHDRAWN: _(":leftwards_arrow_with_hook: Withdrawn by the requester"),
        S.EXPIRED: _(":alarm_clock: Expired: nobody decided before the deadline"),
        S.NEEDS_ATTENTION: _(":warning: Needs attention: a person must check what happened"),
        S.SCHEDULED: _(":calendar: Scheduled for the renewal: sent when the next window opens"),
        S.APPROVED: _(":white_check_mark: Approved: to be filed with Microsoft"),
        S.FILED: _(":outbox_tray: Filed with Microsoft"),
        S.RESOLVED: _(":moneybag: Resolved"),
    }[state]


def state_short(state: RequestState) -> str:
    """The state in a word or two, for lists and notification text."""
    return {
        S.DRAFT: _("draft"),
        S.QUEUED: _("queued"),
        S.AWAITING_APPROVAL: _("waiting for approval"),
        S.RUNNING: _("running"),
        S.DONE: _("done"),
        S.FAILED: _("failed"),
        S.REJECTED: _("rejected"),
        S.WITHDRAWN: _("withdrawn"),
        S.EXPIRED: _("expired"),
        S.NEEDS_ATTENTION: _("needs attention"),
        S.SCHEDULED: _("scheduled"),
        S.APPROVED: _("approved"),
        S.FILED: _("filed"),
        S.RESOLVED: _("resolved"),
    }[state]


def is_posted(ts: str | None) -> bool:
    return ts is not None and ts != "" and not ts.startswith(CLAIM_PREFIX)


def message_link(channel: str, ts: str) -> str:
    """A link to a message that Slack opens in the right workspace."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def card_link(request: Request) -> str | None:
    if request.card_channel and request.card_ts and is_posted(request.card_ts):
        return message_link(request.card_channel, request.card_ts)
    return None


def step_words(step: RequestStep, request: Request) -> str:
    p = step.params
    match step.action:
        case StepAction.CHANGE_QUANTITY:
            # the subscription is the request's own, named in its summary
            return _("Set the total to {quantity} seats", quantity=p.get("quantity"))
        case StepAction.ADD_SUBSCRIPTION:
            return _(
                "Add {license} × {quantity}",
                license=_license(step, request), quantity=p.get("quantity"),
            )
        case StepAction.ORDER_ADDON:
            return _(
                "Add {license} × {quantity} on subscription {parent}",
                license=_license(step, request), quantity=p.get("quantity"),
                parent=p.get("parent_subscription_id"),
            )
        case StepAction.DELETE_SUBSCRIPTION:
            return _("Cancel subscription {sub}", sub=p.get("subscription_id"))
        case StepAction.ORDER_TENANT:
            return _("Order a new license group")
        case StepAction.UPDATE_TENANT:
            return _("Update the license group's details")
        case StepAction.BUY_SOFTWARE:
            return _("Buy {quantity} × {product} (cart and checkout)",
                     product=escape((request.payload or {}).get("product_name")
                                    or p.get("product_id")), quantity=p.get("quantity"))
        case StepAction.CANCEL_SOFTWARE:
            return _("Cancel line {line} of order {order}", line=p.get("line_number"),
                     order=escape(p.get("order_id")))
    return str(step.action)


def _license(step: RequestStep, request: Request) -> str:
    """The order line's license by name, as the requester chose it; by id when unknown."""
    name = line_license_name(request, step)
    if name:
        return escape(name)
    if step.action is StepAction.ORDER_ADDON:
        return _("add-on {id}", id=step.params.get("license_id"))
    return _("license {id}", id=step.params.get("license_id"))


STEP_MARKS = {
    StepState.PENDING: ":white_circle:",
    StepState.SENDING: ":arrow_right:",
    StepState.RUNNING: ":gear:",
    StepState.DONE: ":white_check_mark:",
    StepState.FAILED: ":x:",
    StepState.UNKNOWN: ":grey_question:",
}


def step_state_words(state: StepState) -> str:
    """A step's state in a word or two, as its line on the card ends."""
    return {
        # Translators: the state of one step of a request (one call to the provider)
        StepState.PENDING: pgettext("step", "pending"),
        # Translators: the state of one step of a request (one call to the provider)
        StepState.SENDING: pgettext("step", "sending"),
        # Translators: the state of one step of a request (one call to the provider)
        StepState.RUNNING: pgettext("step", "running"),
        # Translators: the state of one step of a request (one call to the provider)
        StepState.DONE: pgettext("step", "done"),
        # Translators: the state of one step of a request (one call to the provider)
        StepState.FAILED: pgettext("step", "failed"),
        # Translators: the state of one step of a request: sent, with no answer known
        StepState.UNKNOWN: pgettext("step", "unknown"),
    }[state]


def steps_text(request: Request, steps: list[RequestStep]) -> str:
    lines = []
    for step in steps:
        line = f"{STEP_MARKS[step.state]} {step.seq}. {step_words(step, request)}"
        line += f" · _{step_state_words(step.state)}_"
        if step.provider_task_id:
            line += " · " + _("task {id}", id=step.provider_task_id)
        unchanged = (step.result or {}).get(UNCHANGED)
        if unchanged is not None:
            line += " · " + (_("nothing sent: the subscription was already gone") if not unchanged
                             else ngettext("nothing sent: the subscription already had {n} seat",
                                           "nothing sent: the subscription already had {n} seats",
                                           unchanged))
        if step.error:
            line += f"\n      ↳ {escape(step.error)}"
            if step.provider_query_id:
                line += " " + _("(query id `{id}`)", id=step.provider_query_id)
        lines.append(line)
    text = "\n".join(lines)
    return text if len(text) <= SECTION_LIMIT else text[: SECTION_LIMIT - 1] + "…"


def decision_line(request: Request) -> str | None:
    """Who decided and when, as the approval card and the status card both say it."""
    line = _decision_words(request)
    return " ".join(line.split(" ")).replace("  ", " ").strip() if line else None


def _decision_words(request: Request) -> str | None:
    when = date_token(request.decided_at) if request.decided_at else ""
    decider = request.decided_by or (request.requester if request.state is S.WITHDRAWN else None)
    who = f"<@{decider}>" if decider else ""
    note = f": {escape(request.decision_note)}" if request.decision_note else ""
    if request.state is S.WITHDRAWN:
        return _(":leftwards_arrow_with_hook: Withdrawn by {who} {when}", who=who, when=when)
    if request.state is S.EXPIRED:
        return _(":alarm_clock: Expired {when}: nobody decided before the deadline.", when=when)
    if request.state is S.REJECTED:
        return _(":no_entry: Rejected by {who} {when}{note}", who=who, when=when, note=note)
    if request.decided_by and request.decided_at:
        return _(":white_check_mark: Approved by {who} {when}", who=who, when=when)
    return None


def field(label: str, value: str) -> MarkdownTextObject:
    """A card's fact: its label in bold above its value."""
    return mrkdwn(f"*{label}*\n{value}")


def facts(request: Request, *, deadline: bool = True) -> list[Block]:
    """Who asked and the facts the confirmed summary does not already say (each fact once:
    the summary names the group and the subscription by name, with their ids)."""
    content = confirmation_of(request)
    said = {r.label for r in content.rows} if content else set()
    fields = [field(_("Requester"), f"<@{request.requester}>")]
    fields.append(field(_("Kind"), kind_words(request.kind)))
    if request.tenant and _("License group") not in said:
        fields.append(field(_("License group"), escape(request.tenant)))
    if request.subscription_id and _("Subscription") not in said:
        fields.append(field(_("Subscription"), str(request.subscription_id)))
    if request.run_at:
        fields.append(field(_("Scheduled for"), date_token(request.run_at)))
    if deadline and request.deadline and request.state is S.AWAITING_APPROVAL and not (
        content and content.deadlines
    ):
        fields.append(field(_("Deadline"), date_token(request.deadline)))
    if request.assignee:
        fields.append(field(_("Handled by"), f"<@{request.assignee}>"))
    for label, value in spec_of(request.kind).facts(request):
        fields.append(field(label, value))
    return [SectionBlock(fields=fields)]


def details(request: Request, now_values: Mapping[str, str] | None = None, *,
            said_deadline: datetime | None = None) -> list[Block]:
    """The summary rows and notes confirmed by the requester, or the plain summary.
    `now_values` replaces the value of the rows with those labels: figures worked out again
    when the card is drawn (a cancellation's refund estimate shrinks by the day)."""
    content = confirmation_of(request)
    if content is None:
        return [section(escape(request.summary))] if request.summary else []
    rows = content.rows
    if now_values:
        rows = tuple(replace(r, value=now_values.get(r.label, r.value)) for r in rows)
    blocks: list[Block] = row_fields(rows)
    # decision deadlines, while there is a decision to make; not twice the same moment
    deadlines = tuple(d for d in content.deadlines if d.when != said_deadline)
    if deadlines and request.state is S.AWAITING_APPROVAL:
        blocks.append(section(deadline_lines(deadlines)))
    # what the change would do is moot once it is certain it never will
    notes = content.notes if request.state not in NEVER_SENT else ()
    if content.next_step and request.state in STILL_HAPPENING:
        notes = (*notes, content.next_step)
    if notes:
        blocks.append(section(notes_text(notes)))
    return blocks


#: States in which something is still to happen: only then does a card say what comes next.
STILL_HAPPENING = frozenset(
    {S.AWAITING_APPROVAL, S.SCHEDULED, S.QUEUED, S.RUNNING, S.APPROVED, S.FILED}
)
#: States a request reaches without anything being sent: their steps are not shown.
NEVER_SENT = frozenset({S.REJECTED, S.WITHDRAWN, S.EXPIRED})


def headline(request: Request) -> str:
    """The request in one line (headers, the `text` fallback): its summary, escaped."""
    summary = escape(request.summary) if request.summary else kind_words(request.kind)
    return f"{request.ref} · {summary}"


def status_card(request: Request, steps: list[RequestStep], now: datetime) -> Card:
    """The card in the channel where the request was made, updated at every transition."""
    spec = spec_of(request.kind)
    blocks: list[Block] = [HeaderBlock(text=plain(headline(request), 150))]
    line = decision_line(request)
    state = spec.state_line(request, steps) or state_words(request.state)
    if request.state in NEVER_SENT and line:  # the outcome, said once: who and when
        state, line = line, None
    blocks.append(section(f"*{state}*"))
    blocks.extend(facts(request))
    blocks.extend(details(request))
    blocks.extend(spec.status_blocks(request, steps))
    if line:
        blocks.append(section(line))
    if steps and request.state not in NEVER_SENT:
        label = _("Steps")
        blocks.append(section(f"*{label}*\n{steps_text(request, steps)}"))
    if request.state is S.DONE:
        blocks.extend(spec.created_blocks(request, steps))
    if request.error:
        name = provider_name(request)
        error = _(":x: {provider} said: {error}", provider=name, error=escape(request.error))
        if request.error_query_id:
            error += "\n" + _("Query id for {provider} support: `{id}`", provider=name,
                              id=escape(request.error_query_id))
        blocks.append(section(error))
    if request.card_channel and request.origin_channel and (
        request.card_channel != request.origin_channel
    ):
        blocks.append(
            context(
                _(
                    ":information_source: I can't post in <#{channel}>, so this card is here. "
                    "Invite me there with `/invite @csp-bot` to see cards in the channel.",
                    channel=request.origin_channel,
                )
            )
        )
    buttons = card_buttons(request)
    if buttons:
        blocks.append(ActionsBlock(block_id=PipelineBlock.REQUESTER, elements=buttons))
    blocks.append(context(_("{ref} · as of {when}", ref=request.ref, when=date_token(now))))
    short = spec.state_short(request, steps) or state_short(request.state)
    text = _("{headline}: {state}", headline=headline(request), state=short)
    return Card(text, blocks)


def _button(
    request: Request, text: str, action: PipelineAction, question: str, consequence: str,
    yes: str, no: str, style: str | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=plain(text),
        action_id=action,
        value=str(request.id),
        style=style,
        confirm=ConfirmObject(
            title=plain(question), text=mrkdwn(consequence), confirm=plain(yes), deny=plain(no)
        ),
    )


def card_buttons(request: Request) -> list[ButtonElement]:
    """What can be done from the status card; every listener checks roles and state again."""
    ref = request.ref
    if request.state in (S.AWAITING_APPROVAL, S.SCHEDULED):
        return [
            _button(request, _("Withdraw"), PipelineAction.WITHDRAW, _("Withdraw {ref}?", ref=ref),
                    _("Nothing will be sent, and the approvers are told."), _("Withdraw"),
                    _("Keep it")),
        ]
    if request.state is S.FAILED:
        return [
            _button(request, _("Retry"), PipelineAction.RETRY, _("Retry {ref}?", ref=ref),
                    _("The steps that failed are sent to {provider} again; the steps that "
                      "succeeded are not.", provider=provider_name(request)), _("Retry"),
                    _("Not now"), "primary"),
        ]
    if request.state is S.NEEDS_ATTENTION:
        return [
            _button(request, _("It happened"), PipelineAction.RESOLVE_HAPPENED,
                    _("Did it happen?"),
                    _("You checked the OVHcloud control panel and the change of {ref} is there: "
                      "it is marked done.", ref=ref), _("It happened"), _("Cancel")),
            _button(request, _("It did not happen"), PipelineAction.RESOLVE_DID_NOT_HAPPEN,
                    _("Did it not happen?"),
                    _("You checked the OVHcloud control panel and the change of {ref} is not "
                      "there: it is marked failed, and can then be retried.", ref=ref),
                    _("It did not happen"), _("Cancel")),
        ]
    return []


def approval_card(request: Request, now_values: Mapping[str, str] | None = None) -> Card:
    """The card in the approvals channel. While it waits, the decision and its deadline come
    first (an agent does not scroll to find Approve); then the facts, once each. Decided, the
    buttons give way to who decided, and when.
    `now_values`: summary rows worked out again as the card is drawn (see `details`)."""
    blocks: list[Block] = [
        HeaderBlock(text=plain(_("Approval · {headline}", headline=headline(request)), 150))
    ]
    waiting = request.state is S.AWAITING_APPROVAL
    if waiting:
        ask = _("*Decide before {when}*; after that it expires.",
                when=date_token(request.deadline)) if request.deadline else _(
            "*Your decision*: no deadline.")
        blocks.append(section(ask))
        blocks.append(
            ActionsBlock(
                block_id=PipelineBlock.DECISION,
                elements=[
                    ButtonElement(
                        text=plain(_("Approve")),
                        action_id=PipelineAction.APPROVE,
                        value=str(request.id),
                        style="primary",
                        confirm=ConfirmObject(
                            title=plain(_("Approve {ref}?", ref=request.ref)),
                            text=mrkdwn(approve_consequence(request)),
                            confirm=plain(_("Approve")),
                            deny=plain(_("Not yet")),
                        ),
                    ),
                    ButtonElement(
                        text=plain(_("Reject")),
                        action_id=PipelineAction.REJECT,
                        value=str(request.id),
                        style="danger",
                    ),
                ],
            )
        )
    else:
        blocks.append(section(f"*{decision_line(request) or state_words(request.state)}*"))
    blocks.append(DividerBlock())
    blocks.extend(facts(request, deadline=False))
    blocks.extend(details(request, now_values, said_deadline=request.deadline))
    blocks.extend(spec_of(request.kind).approval_blocks(request))
    if waiting:
        text = _("{headline} needs a decision", headline=headline(request))
    else:
        blocks.append(context(_("Now: {state}", state=state_short(request.state))))
        text = _("{headline}: {state}", headline=headline(request),
                 state=state_short(request.state))
    return Card(text, blocks)


def approve_consequence(request: Request) -> str:
    """The confirm dialog every viewer of the approvals channel gets: it says who may decide
    before it says what happens (the kind's sentence), so nobody takes it for a right they do
    not have."""
    return _("Only a support agent other than the requester can approve; for anyone else "
             "nothing happens. {consequence}",
             consequence=spec_of(request.kind).approval_sentence())
