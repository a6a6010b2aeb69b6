"""What the one-subscription modals (seats, cancellation) share: how they open from a command
or a button, and the listeners that rebuild them when their group or subscription changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from slack_bolt.async_app import AsyncAck
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.core.numbers import id_of
from bot.slack.modals import channel_of, replace_view
from bot.slack.payload import Payload, button_value, trigger_of, view_of
from bot.tenants.subscription_choice import ChoiceRef, Prefill, ref_for_value, resolve_prefill

ModalBuilder = Callable[..., Awaitable[View]]


async def ref_from_command(runtime: Runtime, args: Sequence[str], channel: str | None
                           ) -> tuple[ChoiceRef, Prefill]:
    """`/csp <word> [group] [subscription] [numbers…]`: what the modal opens on."""
    prefill = await resolve_prefill(runtime.db, args)
    ref = ChoiceRef(
        tenant=prefill.tenant.service_name if prefill.tenant else None,
        subscription_id=prefill.subscription.id if prefill.subscription else None,
        channel=channel or None,
    )
    return ref, prefill


def button_opener(build: ModalBuilder, again: str) -> Callable[..., Awaitable[None]]:
    """The listener of App Home's button (no value, or a group) and of a row's menu item (a
    subscription id): the modal opens at once from the cache."""

    async def open_from_button(
        ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime
    ) -> None:
        await ack()
        ref = await ref_for_value(runtime.db, button_value(action), channel_of(body))
        await client.views_open(trigger_id=trigger_of(body, again), view=await build(runtime, ref))

    return open_from_button


def choice_listeners(build: ModalBuilder) -> tuple[Callable[..., Awaitable[None]], ...]:
    """Listeners that rebuild a modal when its group or subscription changes; `views.update`
    with the view's hash, so a newer change the person made is never overwritten."""

    async def tenant_changed(
        ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime
    ) -> None:
        await ack()
        view = view_of(body)
        value = (action.get("selected_option") or {}).get("value")
        ref = ChoiceRef.of(view).with_tenant(value)
        await replace_view(client, view, await build(runtime, ref))

    async def subscription_changed(
        ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime
    ) -> None:
        await ack()
        view = view_of(body)
        value = (action.get("selected_option") or {}).get("value")
        ref = ChoiceRef.of(view)
        if id_of(value) is not None:
            # the subscription names its group (it may be another group's, typed by id)
            chosen = await ref_for_value(runtime.db, value, ref.channel)
            ref = ref.model_copy(
                update={"tenant": chosen.tenant, "subscription_id": chosen.subscription_id}
            )
        await replace_view(client, view, await build(runtime, ref))

    return tenant_changed, subscription_changed
