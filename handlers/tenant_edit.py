"""Editing a license group: the Edit button opens the form (from the cache), the form pushes a
before → after confirmation, and Save sends the change in the background."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp

from bot import tenant_edit
from bot.errors import DomainError, OutOfDate
from bot.i18n import _
from bot.ids import TenantAction, TenantEditCallback
from bot.sync import syncer_of
from bot.views.tenant import edit_confirmation, edit_form
from handlers.payload import trigger_of, value_of, values_of


def register(app: AsyncApp, router=None) -> None:
    app.action(TenantAction.EDIT)(open_edit_form)
    app.view(TenantEditCallback.FORM)(review_edit)
    app.view(TenantEditCallback.CONFIRM)(save_edit)


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
    tenant, changes = await tenant_edit.review(
        context["runtime"], body["user"]["id"], meta["t"], values_of(view)
    )
    await ack(response_action="push", view=edit_confirmation(tenant, changes, meta.get("c")))


async def save_edit(ack, body, view, context) -> None:
    runtime, user_id, meta = context["runtime"], body["user"]["id"], _metadata(view)
    changes = await tenant_edit.confirm(runtime, user_id, meta["t"], meta.get("u") or {})
    if not changes:
        raise DomainError(_("The license group already has these values; nothing to save."))
    await ack(response_action="clear")
    work = tenant_edit.apply(runtime, user_id, meta["t"], changes, meta.get("c"))
    syncer_of(runtime).spawn(work, name=f"tenant-edit:{meta['t']}")
