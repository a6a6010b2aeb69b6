"""`/csp seats`, "Change seats" on a subscription row, and App Home: the seat modal.

Every entry opens the modal at once from the cache (the trigger id dies after 3 seconds); the
submission asks `bot.seats` and pushes the generic confirmation. `choice_listeners` — rebuilding
a one-subscription modal when its group or subscription select changes — is shared with
`handlers.cancel`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.views import View

from bot.domain import Role
from bot.i18n import _
from bot.ids import HomeAction, OptionsAction, SeatsCallback, SubscriptionAction
from bot.numbers import id_of
from bot.seats import SeatForm, draft_seat_change, reduction_window, seats_from_command
from bot.subscription_choice import ChoiceRef, load_choice, ref_for_value, resolve_prefill
from bot.terms import load_term_book
from bot.views.seats import seat_form
from handlers.payload import replace_view, trigger_of, view_of
from handlers.router import CommandCall, Router, Subcommand

ModalBuilder = Callable[..., Awaitable[View]]


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "seats",
        _("Change the number of seats of a subscription."),
        "/csp seats nordwind 480101 13",
        open_from_command,
    ))
    app.action(HomeAction.SEATS)(open_from_button)
    app.action(SubscriptionAction.CHANGE_SEATS)(open_from_button)
    tenant_changed, subscription_changed = choice_listeners(seat_modal)
    app.action(OptionsAction.TENANT, matchers=[in_modal(SeatsCallback.FORM)])(tenant_changed)
    app.action(OptionsAction.SUBSCRIPTION, matchers=[in_modal(SeatsCallback.FORM)])(
        subscription_changed
    )
    app.view(SeatsCallback.FORM)(submit_seat_form)


async def seat_modal(runtime: Any, ref: ChoiceRef, *, new_total: int | None = None,
                     notice: str | None = None) -> View:
    """The seat modal for `ref`, from the cache."""
    tenant, facts, problem = await load_choice(runtime.db, ref,
                                               terms=load_term_book(runtime.settings))
    return seat_form(ref, tenant, facts, now=runtime.clock.now(),
                     window=reduction_window(runtime.settings), new_total=new_total,
                     notice=notice or problem)


async def open_from_command(call: CommandCall) -> None:
    """`/csp seats [group] [subscription] [new total]`."""
    runtime = call.runtime
    await runtime.roles.require(call.user_id, Role.STAFF, _("changing seats"))
    prefill = await resolve_prefill(runtime.db, call.args)
    ref = ChoiceRef(
        prefill.tenant.service_name if prefill.tenant else None,
        prefill.subscription.id if prefill.subscription else None,
        call.channel_id or None,
    )
    total, notes = seats_from_command(prefill)
    notice = " ".join(n for n in (prefill.problem, *notes) if n) or None
    view = await seat_modal(runtime, ref, new_total=total, notice=notice)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def open_from_button(ack, body, action, client, context) -> None:
    """App Home's "Change seats" (no value, or a group) and a row's menu (a subscription id)."""
    await ack()
    runtime = context["runtime"]
    await runtime.roles.require(body["user"]["id"], Role.STAFF, _("changing seats"))
    ref = await ref_for_value(runtime.db, action.get("value"), channel_of(body))
    await client.views_open(trigger_id=trigger_of(body, "/csp seats"),
                            view=await seat_modal(runtime, ref))


async def submit_seat_form(ack, body, view, context) -> None:
    form = SeatForm.from_view(view)
    _request, confirmation = await draft_seat_change(context["runtime"], form, body["user"]["id"])
    await ack(response_action="push", view=confirmation)


# --- shared with handlers.cancel --------------------------------------------------------------


def channel_of(body: dict) -> str | None:
    """Where the button was clicked, for the status card; None in App Home (the card then goes
    where the notifier sends cards without a channel)."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )


def in_modal(callback_id: str) -> Callable[[dict], Awaitable[bool]]:
    """A matcher: the action happened in the modal with `callback_id` (the typeahead action ids
    are shared by every flow's modal)."""

    async def matches(body: dict) -> bool:
        return (body.get("view") or {}).get("callback_id") == callback_id

    return matches


def choice_listeners(build: ModalBuilder) -> tuple[Callable, Callable]:
    """Listeners that rebuild a modal when its group or subscription changes; `views.update`
    with the view's hash, so a newer change the person made is never overwritten."""

    async def tenant_changed(ack, body, action, client, context) -> None:
        await ack()
        view = view_of(body)
        value = (action.get("selected_option") or {}).get("value")
        ref = ChoiceRef.loads(view.get("private_metadata")).with_tenant(value)
        await replace_view(client, view, await build(context["runtime"], ref))

    async def subscription_changed(ack, body, action, client, context) -> None:
        await ack()
        view = view_of(body)
        value = (action.get("selected_option") or {}).get("value")
        ref = ChoiceRef.loads(view.get("private_metadata"))
        if id_of(value) is not None:
            # the subscription names its group (it may be another group's, typed by id)
            chosen = await ref_for_value(context["runtime"].db, value, ref.channel)
            ref = ChoiceRef(chosen.tenant, chosen.subscription_id, ref.channel, ref.generation)
        await replace_view(client, view, await build(context["runtime"], ref))

    return tenant_changed, subscription_changed
