"""`/csp help`: every subcommand with a one-line description and an example."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.core.blocks import context, escape, plain, section
from bot.core.i18n import _


@dataclass(frozen=True)
class HelpEntry:
    name: str
    summary: str
    example: str


def help_blocks(
    entries: Sequence[HelpEntry], *, unknown: str | None = None, suggestion: str | None = None
) -> list[Block]:
    blocks: list[Block] = []
    if unknown is not None:
        text = _("I don't know `/csp {name}`.", name=escape(unknown))
        if suggestion:
            text += " " + _("Did you mean `/csp {name}`?", name=suggestion)
        blocks.append(section(text))
    blocks.append(HeaderBlock(text=plain(_("csp-bot: Microsoft 365 licenses through OVHcloud"))))
    lines = [
        f"*`/csp {e.name}`* — {e.summary}\n      " + _("e.g. `{example}`", example=e.example)
        for e in entries
    ]
    # one section holds at most 3000 characters: group the lines
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    blocks.append(DividerBlock())
    blocks.append(
        context(_("Every change is shown to you for confirmation before anything is sent."))
    )
    return blocks


def help_text(entries: Sequence[HelpEntry]) -> str:
    """The plain-text fallback of the help message."""
    return _("csp-bot commands: ") + ", ".join(f"/csp {e.name}" for e in entries)
