"""`/csp roles [grant|revoke @someone staff|support|admin]`: admins manage who may do what."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.domain import Role
from bot.core.i18n import N_, _
from bot.roles import admin as role_admin
from bot.roles.views import roles_blocks
from bot.slack.access import needs
from handlers.router import CommandCall, Router, Subcommand


def register(app: AsyncApp, router: Router) -> None:
    router.add(
        Subcommand(
            "roles",
            N_("Admins: list roles, or grant and revoke one (staff, support, admin, admin_agent)."),
            "/csp roles grant @sam support",
            manage_roles,
            access=needs(Role.ADMIN, _("managing roles")),
        )
    )


async def manage_roles(call: CommandCall) -> None:
    runtime = call.runtime
    if not call.args or call.args[0].lower() == "list":
        view = await role_admin.overview(runtime)
        await call.ack(
            text=_("csp-bot roles"),
            blocks=[b.to_dict() for b in roles_blocks(view)],
            response_type="ephemeral",
        )
        return
    change = role_admin.parse_change(call.args)
    answer = await role_admin.apply(runtime, change, call.user_id)
    await call.ack(text=answer, response_type="ephemeral")
