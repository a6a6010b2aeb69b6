"""Software through Partner Center in Slack: the buy and cancel modals, a customer's software,
the route to keys and downloads, the window reminder, and the software part of status cards.

Pure: data in, Block Kit out. Everything a person typed or Partner Center returned is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import context, date_token, escape, plain, section
from bot.core.domain import Request, RequestKind, RequestState, RequestStep, Role, StepState
from bot.core.formats import number
from bot.core.i18n import N_, _, ngettext
from bot.core.ids import SoftwareAction, SoftwareBlock, SoftwareCallback
from bot.pipeline.cards import Card
from bot.reference.codes import CodeKind
from bot.reference.codes import label as code_label
from bot.slack.metadata import ChannelRef, Metadata, Text
from bot.software.catalogue import SoftwareKind, cycle_words, term_words
from bot.software.keys import ADMIN_CENTER_URL, PARTNER_CENTER_URL, KeyRoute
from bot.software.listing import SoftwareListing
from bot.software.purchases import Purchase, PurchaseRef

#: Purchases shown per listing (each takes two blocks; Slack allows 50 per message).
LIST_LIMIT = 15


#: Partner Center's order states in words (`bot.partner_center.orders.OrderStatus`).
ORDER_STATUS_WORDS = {
    "completed": N_("completed"),
    "pending": N_("pending"),
    "cancelled": N_("cancelled"),
    "suspended": N_("suspended"),
    "error": N_("error"),
    "unknown": N_("unknown"),
    "pending_review": N_("pending review"),
    "partial_success": N_("partly completed"),
    "pending_po_upload": N_("waiting for a purchase order"),
}


def order_status_words(status: str | None) -> str:
    """An order's state in the reader's words; one nobody has listed is shown as it came."""
    key = (status or "").strip().lower().replace(" ", "_")
    words = ORDER_STATUS_WORDS.get(key)
    return _(words) if words else escape(status or "?")


def no_key_api() -> str:
    return _("Partner Center has *no API for product keys or downloads*: the bot cannot fetch "
             "them, and does not pretend to.")


# --- the modals -------------------------------------------------------------------------------


def buy_form(customer: Option | None, channel: str | None) -> View:
    return View(
        type="modal",
        callback_id=SoftwareCallback.BUY,
        private_metadata=ChannelRef(channel=channel or None).dump(),
        title=plain(_("Buy software")),
        submit=plain(_("Next")),
        close=plain(_("Cancel")),
        blocks=[
            section(_("Perpetual software and software subscriptions, bought in the customer's "
                      "name through Microsoft's Partner Center.")),
            InputBlock(
                block_id=SoftwareBlock.CUSTOMER, label=plain(_("Customer")),
                element=ExternalDataSelectElement(
                    action_id=SoftwareAction.CUSTOMER, min_query_length=0,
                    initial_option=customer, placeholder=plain(_("Search the customers…"))),
            ),
            InputBlock(
                block_id=SoftwareBlock.OFFER, label=plain(_("Product, term and billing")),
                element=ExternalDataSelectElement(
                    action_id=SoftwareAction.OFFER, min_query_length=0,
                    placeholder=plain(_("Search the software catalogue…"))),
            ),
            InputBlock(
                block_id=SoftwareBlock.QUANTITY, label=plain(_("Quantity")),
                element=PlainTextInputElement(action_id=SoftwareAction.QUANTITY,
                                              initial_value="1", max_length=7),
                hint=plain(_("Within the SKU's minimum and maximum; checked when you press "
                             "Next.")),
            ),
        ],
    )


class SoftwareCancelRef(Metadata):
    """The cancel modal's private_metadata: the purchase line, and where to post the card."""

    ref: Text = None
    channel: Text = None

    @property
    def purchase(self) -> PurchaseRef | None:
        return PurchaseRef.loads(self.ref)


def cancel_form(purchase: Purchase, customer_name: str, channel: str | None) -> View:
    deadline = purchase.cancellable_until
    return View(
        type="modal",
        callback_id=SoftwareCallback.CANCEL,
        private_metadata=SoftwareCancelRef(ref=purchase.ref.dumps(), channel=channel).dump(),
        title=plain(_("Cancel software")),
        submit=plain(_("Next")),
        close=plain(_("Back")),
        blocks=[
            section(_("*{product}* for {customer} · order `{order}`",
                      product=escape(purchase.title), customer=escape(customer_name),
                      order=escape(purchase.ref.order_id))),
            section(_("Cancellable until {date}. A support agent approves it; the key is then "
                      "revoked and Microsoft credits it on the next invoice.",
                      date=date_token(deadline) if deadline else "?")),
            InputBlock(
                block_id=SoftwareBlock.REASON, label=plain(_("Why")),
                element=PlainTextInputElement(action_id=SoftwareAction.REASON, multiline=True,
                                              max_length=2000),
            ),
        ],
    )


# --- a customer's software --------------------------------------------------------------------


def purchase_line(p: Purchase, now: datetime) -> str:
    status = order_status_words(p.order_status)
    if p.subscription_status:
        status += " · " + _("subscription {status}", status=code_label(
            CodeKind.SUBSCRIPTION_STATUS, p.subscription_status))
    if p.cancelled:
        window = _("cancelled")
    elif p.cancellable_until is None:
        window = _("cancellable until: not known yet")
    elif p.cancellable(now):
        window = _("cancellable until {date}", date=date_token(p.cancellable_until))
    else:
        window = _("window closed {date}", date=date_token(p.cancellable_until))
    bought = date_token(p.purchased_at, "{date_short_pretty}") if p.purchased_at else "?"
    who = f"<@{p.bought_by}>" if p.bought_by else _("outside the bot")
    term = p.kind.label if p.kind is SoftwareKind.PERPETUAL else _(
        "{term}, billed {cycle}", term=term_words(p.term_duration),
        cycle=cycle_words(p.billing_cycle))
    lines = [
        f"*{escape(p.title)}* × {number(p.quantity)} · {term}",
        _("Order `{order}` · {status} · bought {date} by {who}", order=escape(p.ref.order_id),
          status=status, date=bought, who=who),
        window,
    ]
    if p.subscription_id:
        lines.insert(2, _("Subscription `{id}`", id=escape(p.subscription_id)))
    return "\n".join(lines)


def listing_message(found: SoftwareListing, now: datetime) -> tuple[str, list[Block]]:
    c = found.customer
    title = _("Software of {customer}", customer=escape(c.name))
    blocks: list[Block] = [HeaderBlock(text=plain(title, 150))]
    blocks.append(context(" · ".join(escape(x) for x in (c.domain, c.customer_id, c.country) if x)))
    if not found.purchases:
        blocks.append(section(_("No software bought for this customer yet.")))
    agent = Role.ADMIN_AGENT in found.roles
    for p in found.purchases[:LIST_LIMIT]:
        blocks.append(section(purchase_line(p, now)))
        buttons = []
        if p.cancellable(now) and agent:
            buttons.append(ButtonElement(text=plain(_("Cancel…")), action_id=SoftwareAction.CANCEL,
                                         value=p.ref.dumps(), style="danger"))
        elif not p.cancelled and p.cancellable_until is not None and not p.cancellable(now):
            buttons.append(ButtonElement(text=plain(_("Refund ticket…")),
                                         action_id=SoftwareAction.REFUND, value=p.ref.dumps()))
        if buttons:
            blocks.append(ActionsBlock(elements=buttons))
    if len(found.purchases) > LIST_LIMIT:
        blocks.append(context(ngettext("{n} more not shown.", "{n} more not shown.",
                                        len(found.purchases) - LIST_LIMIT)))
    tail = [ButtonElement(text=plain(_("Keys and downloads")), action_id=SoftwareAction.KEYS,
                          value=c.customer_id)] if agent else []
    if tail:
        blocks.append(ActionsBlock(elements=tail))
    if not agent:
        blocks.append(context(_("Cancelling software and the route to its keys are for admin "
                                "agents.")))
    return title, blocks


def home_blocks(bought: list[tuple[Purchase, str]], now: datetime) -> list[Block]:
    """App Home's "Software you bought": each with its customer and window."""
    lines = [f"{escape(customer)} · {purchase_line(p, now)}" for p, customer in bought]
    title = _("Software you bought")
    return [section(f"*{title}*"), section("\n\n".join(lines)[:2900]),
            context(_("`/csp software list <customer>` shows all of a customer's software."))]


# --- keys and downloads -----------------------------------------------------------------------


def key_route_message(route: KeyRoute) -> tuple[str, list[Block]]:
    name = escape(route.customer_name)
    products = "\n".join("• " + _("{product} (order `{order}`)", product=escape(p.title),
                                            order=escape(p.ref.order_id))
                         for p in route.purchases[:LIST_LIMIT]) or _("• none held now")
    blocks: list[Block] = [
        HeaderBlock(text=plain(_("Keys and downloads: {customer}", customer=name), 150)),
        section(no_key_api()),
        section(_("*As an admin agent, in Partner Center:*\n"
                  "1. Open <{url}|Partner Center> → *Customers* → *{customer}* "
                  "(tenant `{tenant}`).\n"
                  "2. Choose *Software*: every product bought for the customer is listed.\n"
                  "3. Pick the *product version*, the *language* and the *bitness* (32 or 64-bit), "
                  "then *Get keys and downloads*.\n"
                  "4. *Get key* shows the key to copy; *Download* fetches the files; *Copy link* "
                  "gives a download link to send.",
                  url=PARTNER_CENTER_URL, customer=name, tenant=escape(route.customer_id))),
        section(_("*Software held:*\n{products}", products=products)),
        section(_("*The customer's own route* (its global admin): the <{url}|Microsoft 365 admin "
                  "center> → *Billing* → *Your products* → *Software*, then the version, "
                  "language and CPU & file type.", url=ADMIN_CENTER_URL)),
        context(_("Keys are MAK only (never KMS); older versions through downgrade rights. "
                  "Partner Center's Activity log records who viewed keys; this look is in the "
                  "bot's audit trail.")),
    ]
    return _("Keys and downloads: {customer}", customer=name), blocks


# --- the reminder and the status card ---------------------------------------------------------


def window_reminder(purchase: Purchase, customer_name: str) -> Card:
    when = date_token(purchase.cancellable_until) if purchase.cancellable_until else "?"
    text = _("The cancellation window of {product} for {customer} closes {when}.",
             product=escape(purchase.title), customer=escape(customer_name), when=when)
    blocks = [
        section(":alarm_clock: " + text),
        section(_("To cancel it, an admin agent runs `/csp software list {customer}` and presses "
                  "*Cancel…* before then (a support agent approves). After, only a refund ticket "
                  "is left.", customer=escape(purchase.ref.customer_id))),
        context(_("Order `{order}` · line {line}", order=escape(purchase.ref.order_id),
                  line=purchase.ref.line_number)),
    ]
    return Card(text, blocks)


def state_line(request: Request, _steps: Sequence[RequestStep]) -> str | None:
    """Queued and running software requests go to Partner Center, not OVHcloud."""
    if request.state is RequestState.QUEUED:
        return _(":hourglass_flowing_sand: Queued: about to be sent to Partner Center")
    if request.state is RequestState.RUNNING:
        return _(":gear: Running: Partner Center is working on it")
    return None


def card_blocks(request: Request, steps: Sequence[RequestStep]) -> list[Block]:
    """What a software request's status card adds: the order and subscriptions of a purchase,
    and what a finished cancellation means."""
    if request.kind is RequestKind.SOFTWARE_BUY:
        result = next((s.result or {} for s in steps if s.result), {})
        if not result.get("order_id"):
            return []
        lines = [_("Partner Center order `{id}` · {status}", id=escape(result["order_id"]),
                   status=order_status_words(result.get("order_status")))]
        subs = result.get("subscription_ids") or []
        if subs:
            lines.append(_("Subscriptions: {ids}", ids=", ".join(f"`{escape(s)}`" for s in subs)))
        elif request.state is RequestState.DONE:
            lines.append(_("Perpetual: no subscription. Admin agents get the key with "
                           "`/csp software keys`."))
        return [section("\n".join(lines))]
    if request.kind is RequestKind.SOFTWARE_CANCEL and request.state is RequestState.DONE:
        done = all(s.state is StepState.DONE for s in steps)
        if done:
            return [section(_(":white_check_mark: Cancelled in Partner Center: the product key "
                              "and download links are revoked, and the credit comes on the "
                              "customer's next invoice."))]
    return []
