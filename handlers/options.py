"""Typeahead for every modal: external_select options served from the cache.

Any flow gets typeahead by using these action ids in its modal (see `bot/core/ids.py`):
`OptionsAction.TENANT` for the license group (put it in the input block `BlockId.TENANT`),
`OptionsAction.SUBSCRIPTION` and `OptionsAction.LICENSE`, which offer only the chosen group's
subscriptions or licenses once a group is selected in that block.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import Runtime
from bot.cache import typeahead
from bot.core.ids import BlockId, OptionsAction
from bot.slack.access import IN_OPEN_MODAL
from bot.slack.payload import Payload
from bot.slack.state import ViewState
from handlers.router import Router


def register(app: AsyncApp, router: Router | None = None) -> None:
    gate = [IN_OPEN_MODAL.gate]
    app.options(OptionsAction.TENANT, middleware=gate)(tenant_options)
    app.options(OptionsAction.SUBSCRIPTION, middleware=gate)(subscription_options)
    app.options(OptionsAction.LICENSE, middleware=gate)(license_options)


def chosen_tenant(body: Payload) -> str | None:
    """The group selected in the modal's `BlockId.TENANT` block, if the view has one."""
    view = body.get("view")
    return ViewState.of(view).get(BlockId.TENANT) if isinstance(view, dict) else None


async def tenant_options(ack: AsyncAck, body: Payload, runtime: Runtime) -> None:
    await ack(options=await typeahead.tenant_options(runtime, body.get("value", "")))


async def subscription_options(ack: AsyncAck, body: Payload, runtime: Runtime) -> None:
    options = await typeahead.subscription_options(
        runtime, body.get("value", ""), chosen_tenant(body)
    )
    await ack(options=options)


async def license_options(ack: AsyncAck, body: Payload, runtime: Runtime) -> None:
    options = await typeahead.license_options(
        runtime, body.get("value", ""), chosen_tenant(body)
    )
    await ack(options=options)
