"""The App Home tab: drawn when someone opens it; Refresh re-reads the provider first.

The flow buttons on it (`HomeAction.ORDER/SEATS/CANCEL/REFUND`) are listened to by each flow.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.cache.sync import syncer_of
from bot.core.domain import Role
from bot.core.i18n import N_
from bot.core.ids import HomeAction
from bot.home.app_home import home_viewers, publish_home
from bot.slack.access import anyone, needs
from bot.slack.payload import Payload, trigger_of
from bot.tenants.browse import tenant_details
from bot.tenants.views import tenant_modal
from handlers.router import Router

#: Everyone has a Home tab; what it shows depends on the viewer's roles (`bot.home.app_home`).
HOME = anyone("the tab shows what the viewer's roles allow")
#: A group's details, opened from the tab, are for staff (as `/csp tenant`).
GROUP_DETAILS = needs(Role.STAFF, N_("looking at licenses"))


def register(app: AsyncApp, router: Router | None = None) -> None:
    app.event("app_home_opened", middleware=[HOME.gate])(home_opened)
    app.action(HomeAction.REFRESH, middleware=[HOME.gate])(refresh_home)
    app.action(HomeAction.GROUP_DETAILS, middleware=[GROUP_DETAILS.gate])(open_group_details)


async def home_opened(event: Payload, runtime: Runtime) -> None:
    if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
        return
    home_viewers(runtime).add(event["user"])  # their tab follows their requests
    await publish_home(runtime, event["user"])


async def refresh_home(ack: AsyncAck, runtime: Runtime, user_id: str) -> None:
    """Answer at once; sync in the background, then redraw the tab."""
    await ack()

    async def work() -> None:
        await syncer_of(runtime).sync_all()
        await publish_home(runtime, user_id)

    syncer_of(runtime).spawn(work(), name="refresh:home")


async def open_group_details(
    ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime
) -> None:
    """A group picked on the Home tab: its details in a modal, from the cache."""
    await ack()
    chosen = (action.get("selected_option") or {}).get("value") or ""
    details = await tenant_details(runtime, chosen)
    await client.views_open(trigger_id=trigger_of(body, "/csp tenant"), view=tenant_modal(details))
