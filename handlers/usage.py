"""`/csp usage <group>` and the tenant details' "Usage chart" button: the chart is uploaded after
the answer (`bot.usage_post`); the answer itself reads only the cache."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import browse
from bot.errors import DomainError
from bot.i18n import _
from bot.ids import BrowseAction
from bot.usage_post import post_usage_soon
from bot.views.text import escape
from handlers.router import CommandCall, Router, Subcommand
from handlers.seats import channel_of


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "usage",
        _("A license group's seats bought against used, as a chart."),
        "/csp usage nordwind",
        run_usage,
    ))
    app.action(BrowseAction.USAGE)(click_usage)


async def run_usage(call: CommandCall) -> None:
    runtime = call.runtime
    await browse.require_staff(runtime, call.user_id)
    if not call.args:
        raise DomainError(_("Which license group? For example `/csp usage nordwind`."))
    async with runtime.db.session() as session:
        tenant = await browse.resolve_tenant(session, " ".join(call.args))
    await call.ack(text=_("Drawing the usage chart of {group}…", group=escape(tenant.label)),
                   response_type="ephemeral")
    post_usage_soon(runtime, tenant.service_name, call.channel_id or None, call.user_id)


async def click_usage(ack, body, action, context) -> None:
    await ack()
    runtime = context["runtime"]
    await browse.require_staff(runtime, body["user"]["id"])
    post_usage_soon(runtime, action.get("value") or "", channel_of(body), body["user"]["id"])
