"""The generic confirmation every flow pushes on its form: what will happen, and who decides.

It is pushed on top of the form, so its close button ("Back") returns to the form with the
values the person typed; "Confirm" makes the draft a real request.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, SectionBlock
from slack_sdk.models.views import View

from bot.core.blocks import TITLE_LIMIT, context, date_token, mrkdwn, plain, section
from bot.core.domain import Draft
from bot.core.i18n import _
from bot.core.ids import PipelineCallback
from bot.core.text import shorten
from bot.pipeline.confirmation import Confirmation, Deadline, Row
from bot.slack.metadata import DraftRef

FIELDS_PER_SECTION = 10
FIELD_LIMIT = 2000


def row_fields(rows: tuple[Row, ...]) -> list[Block]:
    """Summary rows as section fields, ten to a section (Slack's limit)."""
    blocks: list[Block] = []
    for start in range(0, len(rows), FIELDS_PER_SECTION):
        chunk = rows[start : start + FIELDS_PER_SECTION]
        blocks.append(
            SectionBlock(
                fields=[mrkdwn(shorten(f"*{r.label}*\n{r.value}", FIELD_LIMIT)) for r in chunk]
            )
        )
    return blocks


def deadline_lines(deadlines: tuple[Deadline, ...]) -> str:
    return "\n".join(_(":calendar: *{label}:* {date}", label=d.label, date=date_token(d.when))
                     for d in deadlines)


def notes_text(notes: tuple[str, ...]) -> str:
    return "\n".join(f":information_source: {note}" for note in notes)


def approval_text(draft: Draft, content: Confirmation) -> str:
    if content.approvers:
        return content.approvers
    if draft.needs_approval:
        return _("A support agent must approve this request before it is sent.")
    return ""


def confirm_view(draft: Draft, content: Confirmation) -> View:
    """The pushed confirmation of a draft; private_metadata carries the draft id only (a draft
    has no request number: it gets one when it is confirmed)."""
    blocks: list[Block] = []
    if content.intro:
        blocks.append(section(content.intro))
    blocks.extend(row_fields(content.rows))
    if content.deadlines:
        blocks.append(section(deadline_lines(content.deadlines)))
    if content.notes or content.next_step:
        notes = (*content.notes, *([content.next_step] if content.next_step else []))
        blocks.append(section(notes_text(notes)))
    blocks.append(DividerBlock())
    approvers = approval_text(draft, content)
    if approvers:
        blocks.append(section(_(":busts_in_silhouette: *Approval:* {approvers}",
                                approvers=approvers)))
    elif draft.run_at is not None:
        blocks.append(section(_("No approval is needed: it is sent at the renewal, {when}; "
                                "until then you can withdraw it.",
                                when=date_token(draft.run_at))))
    else:
        blocks.append(section(_("No approval is needed: it is sent as soon as you confirm.")))
    blocks.append(
        context(
            _("Nothing is sent until you press *Confirm*. *Back* returns to the form.")
        )
    )
    return View(
        type="modal",
        callback_id=PipelineCallback.CONFIRM,
        private_metadata=DraftRef(draft_id=draft.id).dump(),
        title=plain(content.title, TITLE_LIMIT),
        submit=plain(_("Confirm")),
        close=plain(_("Back")),
        blocks=blocks,
    )
