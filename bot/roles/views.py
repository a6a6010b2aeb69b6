"""`/csp roles`: who is an admin, a support agent or staff, and where each role comes from."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.core.blocks import context, plain, section
from bot.core.domain import Role
from bot.core.i18n import _
from bot.roles.admin import USAGE, RolesOverview

MAX_MENTIONS = 200


def mentions(users: list[str]) -> str:
    shown = " ".join(f"<@{u}>" for u in users[:MAX_MENTIONS])
    if len(users) > MAX_MENTIONS:
        shown += " " + _("and {n} more", n=len(users) - MAX_MENTIONS)
    return shown or "—"


def roles_blocks(view: RolesOverview) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=plain(_("csp-bot roles")))]
    blocks.append(
        section(f"*{_('Admins from CSP_ADMINS')}*\n{mentions(view.config_admins)}")
    )
    if view.support_group:
        blocks.append(
            section(
                f"*{_('Support agents from the user group')}* <!subteam^{view.support_group}>\n"
                + mentions(view.support_group_members)
            )
        )
    for role, title in (
        (Role.ADMIN, _("Granted admins")),
        (Role.SUPPORT, _("Granted support agents")),
        (Role.ADMIN_AGENT, _("Granted admin agents")),
        (Role.STAFF, _("Granted staff")),
    ):
        lines = [
            _("<@{user}> (granted by <@{by}>)", user=user, by=by)
            for user, granted, by in view.grants
            if granted is role
        ]
        blocks.append(section(f"*{title}*\n" + ("\n".join(lines) if lines else "—")))
    blocks.append(context(USAGE))
    return blocks
