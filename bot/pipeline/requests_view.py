"""Lists of requests (`/csp requests`, App Home) and the modal asking why a request is rejected."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import TITLE_LIMIT, context, date_token, escape, plain, section
from bot.core.domain import Request
from bot.core.i18n import _
from bot.core.ids import PipelineAction, PipelineBlock, PipelineCallback
from bot.pipeline.cards import card_link, kind_words, state_words
from bot.slack.metadata import RequestRef

REASON_MAX = 2000


def reject_view(request: Request) -> View:
    """Asks the support agent why: the requester reads the answer."""
    return View(
        type="modal",
        callback_id=PipelineCallback.REJECT,
        private_metadata=RequestRef(request_id=request.id).dump(),
        title=plain(_("Reject {ref}", ref=request.ref), TITLE_LIMIT),
        submit=plain(_("Reject")),
        close=plain(_("Cancel")),
        blocks=[
            section(f"*{request.ref}* · {escape(request.summary)}"),
            InputBlock(
                block_id=PipelineBlock.REJECT_REASON,
                label=plain(_("Why is it rejected?")),
                hint=plain(_("The requester gets this in a message, word for word.")),
                element=PlainTextInputElement(
                    action_id=PipelineAction.REJECT_REASON,
                    multiline=True,
                    min_length=1,
                    max_length=REASON_MAX,
                ),
            ),
        ],
    )


def request_line(request: Request) -> str:
    """One request in a list: what, its state, how old, and a link to its card."""
    head = f"*{request.ref}* · {kind_words(request.kind)}"
    if request.summary:
        head += f" · {escape(request.summary)}"
    details = [state_words(request.state), date_token(request.created_at, "{ago}")]
    if request.deadline and request.state.value == "awaiting_approval":
        details.append(_("decide before {when}", when=date_token(request.deadline)))
    if request.run_at and request.state.value in ("awaiting_approval", "scheduled"):
        details.append(_("sent at the renewal, {when}", when=date_token(request.run_at)))
    link = card_link(request)
    if link:
        words = _("card")
        details.append(f"<{link}|{words}>")
    return head + "\n" + " · ".join(details)


def request_list_blocks(
    title: str, requests: Sequence[Request], empty: str, *, footer: str | None = None
) -> list[Block]:
    """A titled list; one section per request keeps it well under Slack's 50 blocks."""
    blocks: list[Block] = [HeaderBlock(text=plain(title, 150))]
    if not requests:
        blocks.append(section(empty))
    for request in requests:
        blocks.append(section(request_line(request)))
    if footer:
        blocks.append(context(footer))
    return blocks


def listing_title(which: str) -> tuple[str, str]:
    """(title, what to say when the list is empty) of a `/csp requests` listing."""
    return {
        "mine": (_("Your recent requests"), _("You have no requests yet.")),
        "waiting": (
            _("Waiting for your decision"),
            _("Nothing is waiting for your decision. :tada:"),
        ),
        "recent": (_("Recent requests"), _("No requests yet.")),
    }[which]
