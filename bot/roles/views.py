"""`/csp roles`: who is an admin, a support agent or staff, and where each role comes from."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.core.blocks import context, plain, section
from bot.core.domain import Role
from bot.core.i18n import _, ngettext
from bot.roles.admin import RolesOverview, usage

MAX_MENTIONS = 200


def mentions(users: list[str]) -> str:
    shown = " ".join(f"<@{u}>" for u in users[:MAX_MENTIONS])
    if len(users) > MAX_MENTIONS:
        shown += " " + ngettext("and {n} more", "and {n} more", len(users) - MAX_MENTIONS)
    return shown or "—"


def roles_blocks(view: RolesOverview) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=plain(_("csp-bot roles")))]
    blocks.append(
        section("*{title}*\n{people}".format(title=_("Admins from CSP_ADMINS"),
                                             people=mentions(view.config_admins)))
    )
    if view.support_group:
        blocks.append(
            section(
                "*{title}* <!subteam^{group}>\n".format(
                    title=_("Support agents from the user group"), group=view.support_group)
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
    blocks.append(context(usage()))
    return blocks
