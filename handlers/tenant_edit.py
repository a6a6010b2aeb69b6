"""Editing a license group: the Edit button opens the form (from the cache), the form stores
the change as a draft and pushes the generic confirmation, whose Confirm is the pipeline's
(`handlers.requests`)."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp

from bot import tenant_edit
from bot.errors import OutOfDate
from bot.ids import TenantAction, TenantEditCallback
from bot.views.tenant import edit_form
from handlers.payload import trigger_of, value_of, values_of


def register(app: AsyncApp, router=None) -> None:
    app.action(TenantAction.EDIT)(open_edit_form)
    app.view(TenantEditCallback.FORM)(review_edit)
    app.view(TenantEditCallback.CONFIRM)(refuse_old_confirmation)


def _metadata(view: dict) -> dict:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not data["t"]:
        raise OutOfDate("/csp tenant")
    return data


async def open_edit_form(ack, body, action, client, context) -> None:
    await ack()
    tenant = await tenant_edit.load_tenant(
        context["runtime"], body["user"]["id"], value_of(action, "/csp tenant")
    )
    channel = (body.get("channel") or {}).get("id")
    await client.views_open(trigger_id=trigger_of(body, "/csp tenant"),
                            view=edit_form(tenant, channel))


async def review_edit(ack, body, view, context) -> None:
    meta = _metadata(view)
    _request, confirmation = await tenant_edit.draft_edit(
        context["runtime"], body["user"]["id"], meta["t"], values_of(view), meta.get("c")
    )
    await ack(response_action="push", view=confirmation)


async def refuse_old_confirmation(ack, body, view, context) -> None:
    """A confirmation opened before edits became drafts carries the change in its metadata,
    where anyone who submits the view could have put anything: it is never acted on."""
    raise OutOfDate("/csp tenant")
