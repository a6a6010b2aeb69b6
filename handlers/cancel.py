"""`/csp cancel`, "Cancel" on a subscription row, and App Home: the cancellation modal.

The modal opens at once from the cache; the submission asks `bot.cancellation` and pushes the
generic confirmation, whose Confirm sends the request to the approvers (`handlers.requests`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.views import View

from bot.cancellation import (
    AcknowledgementMissing,
    CancelForm,
    acknowledgements_needed,
    cancellation_window,
    draft_cancellation,
)
from bot.domain import Role
from bot.i18n import _
from bot.ids import CancelCallback, HomeAction, OptionsAction, SubscriptionAction
from bot.subscription_choice import (
    ChoiceRef,
    ignored_words,
    load_choice,
    ref_for_value,
    resolve_prefill,
)
from bot.terms import load_term_book
from bot.views.cancel import cancel_form
from handlers.payload import trigger_of
from handlers.router import CommandCall, Router, Subcommand
from handlers.seats import channel_of, choice_listeners, in_modal


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "cancel",
        _("Cancel a subscription (a support agent approves)."),
        "/csp cancel nordwind 480103",
        open_from_command,
    ))
    app.action(HomeAction.CANCEL)(open_from_button)
    app.action(SubscriptionAction.CANCEL)(open_from_button)
    tenant_changed, subscription_changed = choice_listeners(cancel_modal)
    app.action(OptionsAction.TENANT, matchers=[in_modal(CancelCallback.FORM)])(tenant_changed)
    app.action(OptionsAction.SUBSCRIPTION, matchers=[in_modal(CancelCallback.FORM)])(
        subscription_changed
    )
    app.view(CancelCallback.FORM)(submit_cancel_form)


async def cancel_modal(runtime: Any, ref: ChoiceRef, *, notice: str | None = None) -> View:
    """The cancellation modal for `ref`, from the cache."""
    tenant, facts, problem = await load_choice(runtime.db, ref,
                                               terms=load_term_book(runtime.settings))
    now, window = runtime.clock.now(), cancellation_window(runtime.settings)
    needed = acknowledgements_needed(facts, now, window) if facts else []
    return cancel_form(ref, tenant, facts, now=now, window=window, needed=needed,
                       notice=notice or problem)


async def open_from_command(call: CommandCall) -> None:
    """`/csp cancel [group] [subscription]`."""
    runtime = call.runtime
    await runtime.roles.require(call.user_id, Role.STAFF, _("cancelling subscriptions"))
    prefill = await resolve_prefill(runtime.db, call.args)
    ref = ChoiceRef(
        prefill.tenant.service_name if prefill.tenant else None,
        prefill.subscription.id if prefill.subscription else None,
        call.channel_id or None,
    )
    ignored = ignored_words(prefill, _("`/csp cancel` takes a license group and a subscription"))
    notice = " ".join(n for n in (prefill.problem, ignored) if n) or None
    view = await cancel_modal(runtime, ref, notice=notice)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def open_from_button(ack, body, action, client, context) -> None:
    """App Home's "Cancel a subscription" and a row's menu (value: a subscription id)."""
    await ack()
    runtime = context["runtime"]
    await runtime.roles.require(body["user"]["id"], Role.STAFF, _("cancelling subscriptions"))
    ref = await ref_for_value(runtime.db, action.get("value"), channel_of(body))
    await client.views_open(trigger_id=trigger_of(body, "/csp cancel"),
                            view=await cancel_modal(runtime, ref))


async def submit_cancel_form(ack, body, view, context) -> None:
    form = CancelForm.from_view(view)
    try:
        _request, confirmation = await draft_cancellation(
            context["runtime"], form, body["user"]["id"]
        )
    except AcknowledgementMissing as exc:  # the window closed meanwhile: show the box
        modal = await cancel_modal(context["runtime"], form.chosen_ref, notice=exc.message)
        await ack(response_action="update", view=modal)
        return
    await ack(response_action="push", view=confirmation)
