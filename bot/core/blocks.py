"""Small Block Kit pieces every surface uses, built with slack_sdk.models."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.core.dates import date_token
from bot.core.i18n import _
from bot.core.ids import CallbackId
from bot.core.text import escape

__all__ = ["context", "date_token", "escape", "mrkdwn", "notice_view", "plain", "section"]

TITLE_LIMIT = 24


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def plain(text: str, limit: int | None = None) -> PlainTextObject:
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return PlainTextObject(text=text, emoji=True)


def section(text: str) -> SectionBlock:
    return SectionBlock(text=mrkdwn(text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(text)])




def notice_view(title: str, text: str) -> View:
    """A modal that only says something (e.g. "already submitted") and can be closed."""
    return View(
        type="modal",
        callback_id=CallbackId.NOTICE,
        title=plain(title, TITLE_LIMIT),
        close=plain(_("Close")),
        blocks=[section(text)],
    )
