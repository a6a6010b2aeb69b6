"""The App Home tab: drawn when someone opens it; Refresh re-reads the provider first.

The flow buttons on it (`HomeAction.ORDER/SEATS/CANCEL/REFUND`) are listened to by each flow.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.home import home_viewers, publish_home
from bot.ids import HomeAction
from bot.sync import syncer_of


def register(app: AsyncApp, router=None) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(HomeAction.REFRESH)(refresh_home)
    app.action(HomeAction.GROUP_DETAILS)(open_group_details)


async def home_opened(event, context) -> None:
    if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
        return
    home_viewers(context["runtime"]).add(event["user"])  # their tab follows their requests
    await publish_home(context["runtime"], event["user"])


async def refresh_home(ack, body, context) -> None:
    """Answer at once; sync in the background, then redraw the tab."""
    await ack()
    runtime, user_id = context["runtime"], body["user"]["id"]

    async def work() -> None:
        await syncer_of(runtime).sync_all()
        await publish_home(runtime, user_id)

    syncer_of(runtime).spawn(work(), name="refresh:home")


async def open_group_details(ack, body, action, client, context) -> None:
    """A group picked on the Home tab: its details in a modal, from the cache."""
    from bot.browse import require_staff, tenant_details
    from bot.views.tenant import tenant_modal
    from handlers.payload import trigger_of

    await ack()
    runtime = context["runtime"]
    await require_staff(runtime, body["user"]["id"])
    chosen = (action.get("selected_option") or {}).get("value") or ""
    details = await tenant_details(runtime, chosen)
    await client.views_open(trigger_id=trigger_of(body, "/csp tenant"), view=tenant_modal(details))
