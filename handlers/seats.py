"""`/csp seats`, "Change seats" on a subscription row, and App Home: the seat modal.

Every entry opens the modal at once from the cache (the trigger id dies after 3 seconds); the
submission asks `bot.seats.changes` and pushes the generic confirmation. What it shares with the
cancellation modal is in `handlers.subscription_choice`.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View

from bot.app.runtime import Runtime
from bot.core.domain import RequestKind
from bot.core.i18n import _
from bot.core.ids import HomeAction, OptionsAction, SeatsCallback, SubscriptionAction
from bot.reference.terms import load_term_book
from bot.seats.changes import SeatForm, draft_seat_change, reduction_window, seats_from_command
from bot.seats.views import seat_form
from bot.slack.access import IN_OPEN_MODAL, drafts
from bot.slack.modals import in_modal
from bot.slack.payload import Payload, menu_item
from bot.tenants.subscription_choice import ChoiceRef, load_choice
from handlers.router import CommandCall, Router, Subcommand
from handlers.subscription_choice import button_opener, choice_listeners, ref_from_command
from store.cache import CachedTenant

DRAFTING = drafts(RequestKind.SEATS)


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "seats",
        _("Change the number of seats of a subscription."),
        "/csp seats nordwind 480101 13",
        open_from_command,
        access=DRAFTING,
    ))
    open_from_button = button_opener(seat_modal, "/csp seats")
    app.action(HomeAction.SEATS, middleware=[DRAFTING.gate])(open_from_button)
    app.action(SubscriptionAction.MENU, matchers=[menu_item(SubscriptionAction.CHANGE_SEATS)],
               middleware=[DRAFTING.gate])(open_from_button)
    tenant_changed, subscription_changed = choice_listeners(seat_modal)
    in_form, gate = [in_modal(SeatsCallback.FORM)], [IN_OPEN_MODAL.gate]
    app.action(OptionsAction.TENANT, matchers=in_form, middleware=gate)(tenant_changed)
    app.action(OptionsAction.SUBSCRIPTION, matchers=in_form, middleware=gate)(subscription_changed)
    app.view(SeatsCallback.FORM, middleware=[DRAFTING.gate])(submit_seat_form)


async def seat_modal(runtime: Runtime, ref: ChoiceRef, *, new_total: int | None = None,
                     notice: str | None = None, tenant: CachedTenant | None = None) -> View:
    """The seat modal for `ref`, from the cache; `tenant`: ref's group, already read."""
    if tenant is not None and ref.subscription_id is None and tenant.service_name == ref.tenant:
        facts, problem = None, None  # nothing more to read
    else:
        tenant, facts, problem = await load_choice(runtime.db, ref,
                                                   terms=load_term_book(runtime.settings))
    return seat_form(ref, tenant, facts, now=runtime.clock.now(),
                     window=reduction_window(runtime.settings), new_total=new_total,
                     notice=notice or problem)


async def open_from_command(call: CommandCall) -> None:
    """`/csp seats [group] [subscription] [new total]`."""
    runtime = call.runtime
    ref, prefill = await ref_from_command(runtime, call.args, call.channel_id)
    total, notes = seats_from_command(prefill)
    notice = " ".join(n for n in (prefill.problem, *notes) if n) or None
    view = await seat_modal(runtime, ref, new_total=total, notice=notice, tenant=prefill.tenant)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def submit_seat_form(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    form = SeatForm.from_view(view)
    _request, confirmation = await draft_seat_change(runtime, form, user_id)
    await ack(response_action="push", view=confirmation)
