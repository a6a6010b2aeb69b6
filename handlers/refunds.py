"""`/csp refund`, App Home's "Refund", the refund modal, the refund buttons of the cards (Claim,
Mark as filed, Mark as resolved) and `/csp refunds`.

Thin: parse ids and input, call `bot.refunds.tickets` (which checks roles and state again), answer.
Approve / Reject / Withdraw and Confirm are the pipeline's generic listeners
(`handlers.requests`).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.core.domain import RequestKind, Role
from bot.core.errors import FormErrors
from bot.core.i18n import N_, _
from bot.core.ids import HomeAction, RefundAction, RefundBlock, RefundCallback
from bot.core.numbers import id_of
from bot.pipeline.cards import state_short
from bot.policy import RefundStep
from bot.refunds import tickets as refunds
from bot.refunds.form import (
    clean_credited_amount,
    clean_currency,
    clean_reference,
    parse_refund_form,
)
from bot.refunds.views import filed_view, refund_form_view, resolved_view, ticket_list
from bot.slack.access import anyone, drafts, needs
from bot.slack.ids import request_id_of
from bot.slack.metadata import ChannelRef
from bot.slack.payload import Payload, answerable, trigger_of
from bot.slack.state import ViewState
from handlers.router import CommandCall, Router, Subcommand

DRAFTING = drafts(RequestKind.REFUND)
LISTING = needs(Role.STAFF, N_("listing refund tickets"))
#: Claim, filed, resolved: who may depends on the ticket's state and on who holds it.
HANDLING = anyone(
    "`bot.refunds.tickets.check_step` decides, from the ticket and the person's roles")


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "refund",
        _("Open a refund ticket for a purchase made through CSP; support agents take it on."),
        "/csp refund contoso.onmicrosoft.com 7f3c9a12",
        open_from_command,
        access=DRAFTING,
    ))
    router.add(Subcommand(
        "refunds",
        _("Refund tickets with their state and age: `open` (default), `mine` or `all`."),
        "/csp refunds mine",
        list_tickets,
        access=LISTING,
    ))
    app.action(HomeAction.REFUND, middleware=[DRAFTING.gate])(open_from_home)
    app.view(RefundCallback.FORM, middleware=[DRAFTING.gate])(submit_refund_form)
    steps = [HANDLING.gate]
    app.action(RefundAction.CLAIM, middleware=steps)(click_claim)
    app.action(RefundAction.MARK_FILED, middleware=steps)(click_mark_filed)
    app.view(RefundCallback.FILED, middleware=steps)(submit_filed)
    app.action(RefundAction.MARK_RESOLVED, middleware=steps)(click_mark_resolved)
    app.view(RefundCallback.RESOLVED, middleware=steps)(submit_resolved)
    app.action(RefundAction.PAGE, middleware=[LISTING.gate])(turn_page)


def ticket_id_of(text: object) -> int:
    return request_id_of(text, refusal=_("That button no longer points at a refund ticket."))


async def open_from_command(call: CommandCall) -> None:
    """`/csp refund [tenant GUID or domain] [order id] [license group words]`."""
    runtime = call.runtime
    prefill = await refunds.prefill(runtime, call.user_id, call.args)
    view = refund_form_view(prefill, refunds.windows(runtime), call.channel_id)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def open_from_home(
    ack: AsyncAck,
    body: Payload,
    action: Payload,
    client: AsyncWebClient,
    runtime: Runtime,
    user_id: str,
) -> None:
    """App Home's "Refund" (its value, when set, is a license group)."""
    await ack()
    user = user_id
    prefill = await refunds.prefill(runtime, user, license_group=action.get("value") or None)
    view = refund_form_view(prefill, refunds.windows(runtime), "")
    await client.views_open(trigger_id=trigger_of(body, "/csp refund"), view=view)


async def submit_refund_form(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    ticket = parse_refund_form(ViewState.of(view), runtime.clock.now().date())
    _request, confirm = await refunds.open_ticket(
        runtime, ticket, user_id, ChannelRef.of(view).channel
    )
    await ack(response_action="push", view=confirm)


async def click_claim(ack: AsyncAck, action: Payload, runtime: Runtime, user_id: str) -> None:
    await refunds.claim(runtime, ticket_id_of(action.get("value")), user_id)
    await ack()


async def click_mark_filed(
    ack: AsyncAck,
    body: Payload,
    action: Payload,
    client: AsyncWebClient,
    runtime: Runtime,
    user_id: str,
) -> None:
    """Asks for Microsoft's reference, after checking that this person may file it."""
    request = await refunds.check_step(
        runtime, ticket_id_of(action.get("value")), user_id, RefundStep.FILE
    )
    await client.views_open(trigger_id=trigger_of(body, "/csp refunds"), view=filed_view(request))
    await ack()


async def submit_filed(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    try:
        reference = clean_reference(ViewState.of(view).raw(RefundBlock.UPSTREAM_REFERENCE))
    except ValueError as exc:
        raise FormErrors({RefundBlock.UPSTREAM_REFERENCE: str(exc)}) from None
    await refunds.mark_filed(
        runtime, ticket_id_of(view.get("private_metadata")), user_id,
        reference,
    )
    await ack()


async def click_mark_resolved(
    ack: AsyncAck,
    body: Payload,
    action: Payload,
    client: AsyncWebClient,
    runtime: Runtime,
    user_id: str,
) -> None:
    request = await refunds.check_step(
        runtime, ticket_id_of(action.get("value")), user_id,
        RefundStep.RESOLVE,
    )
    await client.views_open(trigger_id=trigger_of(body, "/csp refunds"),
                            view=resolved_view(request))
    await ack()


async def submit_resolved(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    state = ViewState.of(view)
    errors: dict[str, str] = {}
    try:
        amount = clean_credited_amount(state.raw(RefundBlock.CREDITED_AMOUNT))
    except ValueError as exc:
        errors[RefundBlock.CREDITED_AMOUNT] = str(exc)
    try:
        currency = clean_currency(state.choice(RefundBlock.CREDITED_CURRENCY))
    except ValueError as exc:
        errors[RefundBlock.CREDITED_CURRENCY] = str(exc)
    if errors:
        raise FormErrors(errors)
    await refunds.mark_resolved(
        runtime, ticket_id_of(view.get("private_metadata")), user_id,
        amount, currency,
    )
    await ack()


async def list_tickets(call: CommandCall) -> None:
    runtime = call.runtime
    page = await refunds.ticket_page(runtime, call.args[0] if call.args else "open", call.user_id)
    text, blocks = ticket_list(page, runtime.clock.now(), state_short)
    await call.ack(text=text, blocks=[b.to_dict() for b in blocks], response_type="ephemeral")


async def turn_page(
    ack: AsyncAck,
    body: Payload,
    action: Payload,
    respond: AsyncRespond,
    runtime: Runtime,
    user_id: str,
) -> None:
    """Previous / Next: the list message is replaced by the other page."""
    await ack()
    answerable(body, "/csp refunds")
    which, _sep, number = (action.get("value") or "open:0").partition(":")
    page = await refunds.ticket_page(
        runtime, which, user_id, id_of(number) or 0
    )
    text, blocks = ticket_list(page, runtime.clock.now(), state_short)
    await respond(text=text, blocks=[b.to_dict() for b in blocks], replace_original=True,
                  response_type="ephemeral")
