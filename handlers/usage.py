"""`/csp usage <group>` and the tenant details' "Usage chart" button: the chart is uploaded after
the answer (`bot.usage.post`); the answer itself reads only the cache."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import Runtime
from bot.core.domain import Role
from bot.core.errors import DomainError
from bot.core.i18n import N_, _
from bot.core.ids import BrowseAction
from bot.core.text import escape
from bot.slack.access import needs
from bot.slack.modals import channel_of
from bot.slack.payload import Payload
from bot.tenants import browse
from bot.usage.post import post_usage_soon
from bot.usage.report import cached_group
from handlers.router import CommandCall, Router, Subcommand

#: The usage of a license group is for staff, as the rest of the cache.
USAGE = needs(Role.STAFF, N_("looking at licenses"))


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "usage",
        N_("A license group's seats bought against used, as a chart."),
        "/csp usage nordwind",
        run_usage,
        access=USAGE,
    ))
    app.action(BrowseAction.USAGE, middleware=[USAGE.gate])(click_usage)


async def run_usage(call: CommandCall) -> None:
    runtime = call.runtime
    if not call.args:
        raise DomainError(_("Which license group? For example `/csp usage nordwind`."))
    async with runtime.db.session() as session:
        tenant = await browse.resolve_tenant(session, " ".join(call.args))
    await call.ack(text=_("Drawing the usage chart of {group}…", group=escape(tenant.label)),
                   response_type="ephemeral")
    post_usage_soon(runtime, tenant.service_name, call.channel_id or None, call.user_id)


async def click_usage(
    ack: AsyncAck, body: Payload, action: Payload, runtime: Runtime, user_id: str
) -> None:
    tenant = await cached_group(runtime, action.get("value") or "")
    await ack()
    post_usage_soon(runtime, tenant.service_name, channel_of(body), user_id)
