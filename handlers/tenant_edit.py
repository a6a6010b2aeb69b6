"""Editing a license group: the Edit button opens the form (from the cache), the form stores
the change as a draft and pushes the generic confirmation, whose Confirm is the pipeline's
(`handlers.requests`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.core.domain import RequestKind
from bot.core.errors import OutOfDate
from bot.core.ids import TenantAction, TenantEditCallback
from bot.slack.access import anyone, drafts
from bot.slack.modals import channel_of
from bot.slack.payload import Payload, trigger_of, value_of
from bot.slack.state import ViewState
from bot.tenants import edit as tenant_edit
from bot.tenants.views import TenantEditRef, edit_form
from handlers.router import Router


def register(app: AsyncApp, router: Router | None = None) -> None:
    editing = [drafts(RequestKind.TENANT_EDIT).gate]
    app.action(TenantAction.EDIT, middleware=editing)(open_edit_form)
    app.view(TenantEditCallback.FORM, middleware=editing)(review_edit)
    refused = anyone("every submission of it is refused")
    app.view(TenantEditCallback.CONFIRM, middleware=[refused.gate])(refuse_old_confirmation)


async def open_edit_form(
    ack: AsyncAck,
    body: Payload,
    action: Payload,
    client: AsyncWebClient,
    runtime: Runtime,
    user_id: str,
) -> None:
    await ack()
    tenant = await tenant_edit.load_tenant(
        runtime, user_id, value_of(action, "/csp tenant")
    )
    await client.views_open(trigger_id=trigger_of(body, "/csp tenant"),
                            view=edit_form(tenant, channel_of(body)))


async def review_edit(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    meta = TenantEditRef.of(view)
    if meta.service_name is None:
        raise OutOfDate("/csp tenant")
    _request, confirmation = await tenant_edit.draft_edit(
        runtime, user_id, meta.service_name, ViewState.of(view),
        meta.channel,
    )
    await ack(response_action="push", view=confirmation)


async def refuse_old_confirmation(ack: AsyncAck, view: Payload) -> None:
    """A confirmation opened before edits became drafts carries the change in its metadata,
    where anyone who submits the view could have put anything: it is never acted on."""
    raise OutOfDate("/csp tenant")
