"""`/csp software …`: buy, list, keys and cancel software through Partner Center.

Thin: every modal opens from the cache (nothing waits on Partner Center before the ack), the
submissions go to `bot.software`, and Confirm is the pipeline's own (`handlers.requests`).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.runtime import Runtime
from bot.core.domain import RequestKind, Role
from bot.core.errors import DomainError
from bot.core.i18n import _
from bot.core.ids import SoftwareAction, SoftwareCallback
from bot.home.app_home import add_home_section
from bot.refunds.tickets import windows as refund_windows
from bot.refunds.views import refund_form_view
from bot.slack.access import IN_OPEN_MODAL, anyone, drafts
from bot.slack.modals import channel_of
from bot.slack.payload import Payload, trigger_of, value_of
from bot.software import options
from bot.software.buy import BuyForm, draft_purchase
from bot.software.cancel import (
    RefundInstead,
    check_cancellable,
    draft_cancellation,
    load_purchase,
    purchase_named,
    reason_of,
    refund_prefill,
)
from bot.software.keys import key_route
from bot.software.listing import find_customers, listing, one_customer
from bot.software.listing import home_section as software_home_section
from bot.software.purchases import PurchaseRef
from bot.software.views import (
    SoftwareCancelRef,
    buy_form,
    cancel_form,
    key_route_message,
    listing_message,
)
from handlers.router import CommandCall, Router, Subcommand

USAGE = _("`/csp software buy [customer]`, `/csp software list <customer>`, "
          "`/csp software keys <customer>` (admin agents), `/csp software cancel <order id> "
          "[line]` (admin agents).")

BUYING = drafts(RequestKind.SOFTWARE_BUY)
CANCELLING = drafts(RequestKind.SOFTWARE_CANCEL)


def register(app: AsyncApp, router: Router) -> None:
    router.add(Subcommand(
        "software",
        _("Software through Partner Center: buy, list, keys and downloads, cancel."),
        "/csp software list contoso",
        run_command,
        access=anyone("each word checks its own role: buy and cancel the drafter's, list "
                      "staff, keys admin agents"),
    ))
    app.options(SoftwareAction.CUSTOMER, middleware=[IN_OPEN_MODAL.gate])(customer_options)
    app.options(SoftwareAction.OFFER, middleware=[IN_OPEN_MODAL.gate])(offer_options)
    app.view(SoftwareCallback.BUY, middleware=[BUYING.gate])(submit_buy)
    app.view(SoftwareCallback.CANCEL, middleware=[CANCELLING.gate])(submit_cancel)
    app.action(SoftwareAction.CANCEL, middleware=[CANCELLING.gate])(click_cancel)
    app.action(SoftwareAction.REFUND, middleware=[drafts(RequestKind.REFUND).gate])(click_refund)
    keys = anyone("`bot.software.keys.key_route` lets admin agents only")
    app.action(SoftwareAction.KEYS, middleware=[keys.gate])(click_keys)
    add_home_section("software_bought", software_home_section, order=30)


async def run_command(call: CommandCall) -> None:
    word = call.args[0].lower() if call.args else "buy"
    rest = call.args[1:]
    match word:
        case "buy":
            await open_buy(call, rest)
        case "list":
            await show_list(call, rest)
        case "keys":
            await show_keys(call, rest)
        case "cancel":
            await open_cancel_command(call, rest)
        case _:
            raise DomainError(USAGE)


async def open_buy(call: CommandCall, words: list[str]) -> None:
    runtime = call.runtime
    await runtime.roles.require_drafter(call.user_id, RequestKind.SOFTWARE_BUY)
    found = await find_customers(runtime, words, limit=2) if words else []
    chosen = (await options.customer_option(runtime, found[0].customer_id)
              if len(found) == 1 else None)
    await call.client.views_open(trigger_id=call.trigger_id,
                                 view=buy_form(chosen, call.channel_id or None))
    await call.ack()


async def show_list(call: CommandCall, words: list[str]) -> None:
    runtime = call.runtime
    await runtime.roles.require(call.user_id, Role.STAFF, _("seeing software purchases"))
    found = await listing(runtime, words, call.user_id)
    text, blocks = listing_message(found, runtime.clock.now())
    await call.ack(text=text, blocks=[b.to_dict() for b in blocks], response_type="ephemeral")


async def show_keys(call: CommandCall, words: list[str]) -> None:
    customer = await one_customer(call.runtime, words)
    route = await key_route(call.runtime, customer.customer_id, call.user_id)
    text, blocks = key_route_message(route)
    await call.ack(text=text, blocks=[b.to_dict() for b in blocks], response_type="ephemeral")


async def open_cancel_command(call: CommandCall, words: list[str]) -> None:
    """`/csp software cancel <order id> [line]`."""
    runtime = call.runtime
    await runtime.roles.require_drafter(call.user_id, RequestKind.SOFTWARE_CANCEL)
    if not words:
        raise DomainError(USAGE)
    ref = await purchase_named(runtime, words)
    view = await _cancel_or_refund(runtime, ref, call.user_id, call.channel_id or None)
    await call.client.views_open(trigger_id=call.trigger_id, view=view)
    await call.ack()


async def _cancel_or_refund(
    runtime: Runtime, ref: PurchaseRef, user: str, channel: str | None
) -> View:
    """The cancel modal inside the window; the refund ticket, filled in, past it."""
    try:
        purchase, customer = await check_cancellable(runtime, ref, user)
    except RefundInstead as exc:
        prefill = await refund_prefill(runtime, exc.purchase, user)
        return refund_form_view(prefill, refund_windows(runtime), channel or "")
    return cancel_form(purchase, customer.name, channel)


async def customer_options(ack: AsyncAck, body: Payload, runtime: Runtime) -> None:
    await ack(options=await options.customer_options(runtime, body.get("value", "")))


async def offer_options(ack: AsyncAck, body: Payload, runtime: Runtime) -> None:
    await ack(options=await options.offer_options(runtime, body.get("value", "")))


async def submit_buy(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    form = BuyForm.from_view(view)
    _request, confirmation = await draft_purchase(runtime, form, user_id)
    await ack(response_action="push", view=confirmation)


async def submit_cancel(ack: AsyncAck, view: Payload, runtime: Runtime, user_id: str) -> None:
    meta = SoftwareCancelRef.of(view)
    ref, channel = meta.purchase, meta.channel
    if ref is None:
        raise DomainError(_("That form is out of date: open it again from `/csp software list`."))
    reason = reason_of(view)
    _request, confirmation = await draft_cancellation(
        runtime, ref, reason, user_id, channel)
    await ack(response_action="push", view=confirmation)


def _ref(action: Payload) -> PurchaseRef:
    ref = PurchaseRef.loads(value_of(action, "/csp software list"))
    if ref is None:
        raise DomainError(_("That button no longer points at a purchase."))
    return ref


async def click_cancel(
    ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime,
    user_id: str,
) -> None:
    await ack()
    ref = _ref(action)
    view = await _cancel_or_refund(runtime, ref, user_id, channel_of(body))
    await client.views_open(trigger_id=trigger_of(body, "/csp software list"), view=view)


async def click_refund(
    ack: AsyncAck, body: Payload, action: Payload, client: AsyncWebClient, runtime: Runtime,
    user_id: str,
) -> None:
    await ack()
    purchase, _customer = await load_purchase(runtime, _ref(action))
    prefill = await refund_prefill(runtime, purchase, user_id)
    await client.views_open(trigger_id=trigger_of(body, "/csp software list"),
                            view=refund_form_view(prefill, refund_windows(runtime),
                                                  channel_of(body) or ""))


async def click_keys(
    ack: AsyncAck, action: Payload, respond: AsyncRespond, runtime: Runtime, user_id: str
) -> None:
    await ack()
    route = await key_route(runtime, value_of(action, "/csp software list"),
                            user_id)
    text, blocks = key_route_message(route)
    await respond(text=text, blocks=[b.to_dict() for b in blocks], response_type="ephemeral",
                  replace_original=False)
