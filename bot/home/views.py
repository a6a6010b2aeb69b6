"""The App Home tab: buttons that start each flow, sections other parts add (your requests,
decisions waiting for you), and the license groups at a glance."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import context, escape, plain, section
from bot.core.i18n import _, ngettext
from bot.core.ids import HomeAction
from bot.reference.codes import CodeKind, label
from bot.tenants.browse import HomeSummary
from bot.tenants.browse_view import freshness_blocks, status_text

HOME_BLOCK_LIMIT = 100
#: Groups listed by name on the Home tab; the rest are counted (`/csp tenants` lists all).
HOME_TENANTS = 40
#: Slack: a static select holds 100 options.
PICKER_LIMIT = 100
OPTION_TEXT_LIMIT = 75
LINE_SECTION_LIMIT = 2900


def home_view(tenants_summary: HomeSummary, *, sections: Sequence[Sequence[Block]] = ()) -> View:
    """The Home tab. `sections` (from `bot.home.app_home`'s providers) come after the buttons, each
    set off by a divider; a section that would pass Slack's 100 blocks is left out and said
    so."""
    head: list[Block] = [
        HeaderBlock(text=plain(_("Microsoft 365 licenses"))),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=plain(_("Order licenses")), action_id=HomeAction.ORDER, style="primary"
                ),
                ButtonElement(text=plain(_("Change seats")), action_id=HomeAction.SEATS),
                ButtonElement(text=plain(_("Cancel a subscription")), action_id=HomeAction.CANCEL),
                ButtonElement(text=plain(_("Refund ticket")), action_id=HomeAction.REFUND),
            ]
        ),
    ]
    groups = _groups_blocks(tenants_summary)
    middle: list[Block] = []
    budget = HOME_BLOCK_LIMIT - len(head) - len(groups)
    left_out = 0
    for blocks in sections:
        if not blocks:
            continue
        if len(middle) + 1 + len(blocks) > budget - 1:
            left_out += 1
            continue
        middle += [DividerBlock(), *blocks]
    if left_out:
        middle.append(context(_("Some sections did not fit here; use `/csp requests`.")))
    return View(type="home", blocks=[*head, *middle, *groups])


def _groups_blocks(summary: HomeSummary) -> list[Block]:
    tenants = summary.tenants
    blocks: list[Block] = [
        DividerBlock(),
        section(
            "*"
            + _("License groups")
            + "* · "
            + ngettext("{n} group", "{n} groups", len(tenants))
            + " · "
            + ngettext("{n} seat", "{n} seats", summary.seats)
        ),
        *freshness_blocks(summary.freshness),
    ]
    if not tenants:
        blocks.append(section(_("No license group is cached yet. Press Refresh to read them.")))
    lines = []
    for t in tenants[:HOME_TENANTS]:
        line = (
            f"• *{escape(t.label)}* — {status_text(t.status)} · "
            + ngettext("{n} subscription", "{n} subscriptions", t.subscription_count)
            + " · "
            + ngettext("{n} seat", "{n} seats", t.seat_count)
        )
        if t.mpn_issue_flag:
            line += " · " + _(":warning: MPN issue") + ": " + label(
                CodeKind.MPN_ISSUE, t.mpn_issue_flag)
        lines.append(line)
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > LINE_SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if tenants:
        blocks.append(ActionsBlock(elements=[StaticSelectElement(
            action_id=HomeAction.GROUP_DETAILS,
            placeholder=plain(_("Open a group's details…")),
            options=[Option(text=plain(escape(t.label), OPTION_TEXT_LIMIT),
                            value=t.service_name) for t in tenants[:PICKER_LIMIT]],
        )]))
    more = len(tenants) - HOME_TENANTS
    hint = _("`/csp tenants` lists them page by page; `/csp tenant <name>` shows one.")
    if more > 0:
        hint = ngettext("…and {n} more group.", "…and {n} more groups.", more) + " " + hint
    blocks.append(context(hint))
    blocks.append(
        ActionsBlock(
            elements=[ButtonElement(text=plain(_("↻ Refresh")), action_id=HomeAction.REFRESH)]
        )
    )
    return blocks


def not_staff_view() -> View:
    return View(
        type="home",
        blocks=[
            HeaderBlock(text=plain(_("Microsoft 365 licenses"))),
            section(
                _(
                    "This app orders and manages Microsoft 365 licenses. Ask an admin of "
                    "csp-bot for the staff role to use it."
                )
            ),
        ],
    )
