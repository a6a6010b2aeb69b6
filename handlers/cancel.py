"""`/csp cancel`, "Cancel" on a subscription row, and App Home: the cancellation modal.

The modal opens at once from the cache; the submission asks `bot.cancellation.cancel` and pushes the
generic confirmation, whose Confirm sends the request to the approvers (`handlers.requests`).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View

from bot.app.runtime import Runtime
from bot.cancellation.cancel import (
    AcknowledgementMissing,
    CancelForm,
    acknowledgements_needed,
    cancellation_window,
    draft_cancellation,
)
from bot.cancellation.views import cancel_form
from bot.core.domain import RequestKind
from bot.core.i18n import _
from bot.core.ids import CancelCallback, HomeAction, OptionsAction, SubscriptionAction
from bot.reference.terms import load_term_book
from bot.slack.access import IN_OPEN_MODAL, drafts
from bot.slack.modals import in_modal
from bot.slack.payload import Payload, menu_item
from bot.tenants.subscription_choice import ChoiceRef, ignored_words, load_choice
from handlers.router import CommandCall, Router, Subcommand
from handlers.subscription_choice import button_opener, choice_listeners, ref_from_command

DRAFTING = drafts(RequestKind.CANCEL)


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "cancel",
        _("Cancel a subscription (a support agent approves)."),
        "/csp cancel nordwind 480103",
        open_from_command,
        access=DRAFTING,
    ))
    open_from_button = button_opener(cancel_modal, "/csp cancel")
    app.action(HomeAction.CANCEL, middleware=[DRAFTING.gate])(open_from_button)
    app.action(SubscriptionAction.MENU, matchers=[menu_item(SubscriptionAction.CANCEL)],
               middleware=[DRAFTING.gate])(open_from_button)
    tenant_changed, subscription_changed = choice_listeners(cancel_modal)
    in_form, gate = [in_modal(CancelCallback.FORM)], [IN_OPEN_MODAL.gate]
    app.action(OptionsAction.TENANT, matchers=in_form, middleware=gate)(tenant_changed)
    app.action(OptionsAction.SUBSCRIPTION, matchers=in_form, middleware=gate)(subscription_changed)
    app.view(CancelCallback.FORM, middleware=[DRAFTING.gate])(submit_cancel_form)


async def cancel_modal(runtime: Runtime, ref: ChoiceRef, *, notice: str | None = None) -> View:
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
    ref, prefill = await ref_from_command(runtime, call.args, call.channel_id)
    # Translators: ends "Ignored “x”: …", after the colon
    ignored = ignored_words(prefill, _("`/csp cancel` takes a license group and a subscription"))
    notice = " ".join(n for n in (prefill.problem, ignored) if n) or None
    view = await cancel_modal(runtime, ref, notice=notice)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def submit_cancel_form(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    form = CancelForm.from_view(view)
    try:
        _request, confirmation = await draft_cancellation(
            runtime, form, user_id
        )
    except AcknowledgementMissing as exc:  # the window closed meanwhile: show the box
        modal = await cancel_modal(runtime, form.chosen_ref, notice=exc.message)
        await ack(response_action="update", view=modal)
        return
    await ack(response_action="push", view=confirmation)
