"""Buying software: customer, offer (product, SKU, term, billing cycle) and quantity from the
cache → a draft whose confirmation says what is bought, its term and billing cycle, its price
where the price book knows it, and the cancellation deadline it will have.

No Partner Center call here (Slack's 3 seconds): the worker reads the catalog item id just
before the cart (`bot.software.steps`). One step, BUY_SOFTWARE, with the GUID its MS-RequestIds
derive from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.models.views import View

from bot.core.blocks import date_token, escape
from bot.core.domain import Draft, RequestKind, StepAction
from bot.core.errors import FormErrors
from bot.core.formats import duration, number
from bot.core.i18n import _
from bot.core.ids import SoftwareAction, SoftwareBlock
from bot.pipeline.confirmation import Confirmation, prepare
from bot.pipeline.kinds import KindPayload, KindSpec, register
from bot.pipeline.transitions import DraftSpec, StepSpec
from bot.reference.pricing import describe, load_price_book
from bot.slack.metadata import ChannelRef
from bot.slack.state import ViewState
from bot.software import views as software_views
from bot.software.catalogue import CatalogueItem, Offer, SoftwareKind, cycle_words, term_words
from bot.software.steps import new_request_key
from store import software as repo

if TYPE_CHECKING:
    from bot.app.config import Settings
    from bot.app.runtime import Runtime

#: Bounds what anyone can type, whatever a SKU says.
MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class BuyForm:
    customer_id: str
    offer: Offer
    quantity: int
    origin_channel: str | None

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> BuyForm:
        state = ViewState.of(view)
        problems: dict[str, str] = {}
        customer = state.choice(SoftwareBlock.CUSTOMER, SoftwareAction.CUSTOMER)
        if not customer or len(customer) > 64:
            problems[SoftwareBlock.CUSTOMER] = _("Choose the customer.")
        offer = Offer.parse(state.choice(SoftwareBlock.OFFER, SoftwareAction.OFFER))
        if offer is None:
            problems[SoftwareBlock.OFFER] = _("Choose what to buy.")
        text = state.text(SoftwareBlock.QUANTITY, SoftwareAction.QUANTITY)
        quantity = int(text) if text.isdigit() and len(text) <= 7 else 0
        if not 1 <= quantity <= MAX_QUANTITY:
            problems[SoftwareBlock.QUANTITY] = _("A whole number from 1 to {n}.",
                                                    n=number(MAX_QUANTITY))
        if problems or not customer or offer is None:  # each of those is in `problems`
            raise FormErrors(problems)
        channel = ChannelRef.of(view).channel
        return cls(customer, offer, quantity, channel)


def expected_deadline(offer: Offer, now: datetime, settings: Settings) -> datetime:
    """The cancellation deadline the purchase will have if bought now: perpetual, purchase +
    CSP_PERPETUAL_CANCELLATION_WINDOW_DAYS (the bot's rule, `bot.partner_center.windows`); a
    software subscription gets its own `cancellationAllowedUntilDate` from Partner Center, which
    Microsoft's current policy puts 7 calendar days after purchase
    (CSP_REFUND_WINDOW_SOFTWARE_SUBSCRIPTION_DAYS) [L new-commerce-cancellation-policy]."""
    if offer.kind is SoftwareKind.PERPETUAL:
        return now + settings.perpetual_cancellation_window
    return now + timedelta(days=settings.csp_refund_window_software_subscription_days)


async def draft_purchase(runtime: Runtime, form: BuyForm, requester: str) -> tuple[Draft, View]:
    await runtime.roles.require_drafter(requester, RequestKind.SOFTWARE_BUY)
    async with runtime.db.session() as session:
        customer = await repo.get_customer(session, form.customer_id)
        row = await repo.get_product(session, form.offer.product_id, form.offer.sku_id)
    if customer is None:
        raise FormErrors({SoftwareBlock.CUSTOMER: _("That customer is not in the software cache: "
                                                    "choose one from the list.")})
    item = CatalogueItem.of(row) if row is not None else None
    if item is None or not item.offers_term(form.offer):
        raise FormErrors({SoftwareBlock.OFFER: _("That is no longer in the catalogue: choose "
                                                 "again from the list.")})
    problem = item.quantity_problem(form.quantity)
    if problem:
        raise FormErrors({SoftwareBlock.QUANTITY: problem})
    now = runtime.clock.now()
    deadline = expected_deadline(form.offer, now, runtime.settings)
    offer, settings = form.offer, runtime.settings
    price = load_price_book(settings).monthly(item.name)
    price_text = describe(None) if price is None else _(
        "{amount} each, {total} in all (price book)", amount=price,
        total=price.times(form.quantity))
    rows = [
        (_("Customer"), escape(customer.name) + (f"\n`{escape(customer.domain)}`"
                                                 if customer.domain else "")),
        (_("What is bought"), escape(item.name)),
        (_("Kind"), offer.kind.label),
        (_("Quantity"), number(form.quantity)),
        (_("Term"), term_words(offer.term)),
        (_("Billing cycle"), cycle_words(offer.billing_cycle)),
        (_("Price"), price_text),
    ]
    if offer.kind is SoftwareKind.PERPETUAL:
        window = _("Until {date}: {period} after purchase "
                   "(CSP_PERPETUAL_CANCELLATION_WINDOW_DAYS).",
                   date=date_token(deadline), period=duration(
                       timedelta(days=settings.csp_perpetual_cancellation_window_days)))
    else:
        window = _("Partner Center sets it (cancellationAllowedUntilDate); Microsoft's policy "
                   "says {period} after purchase, about {date}.",
                   period=duration(timedelta(
                       days=settings.csp_refund_window_software_subscription_days)),
                   date=date_token(deadline))
    rows.append((_("Cancellable"), window))
    notes = [_("Bought through Partner Center in the customer's name; a cancellation inside "
               "the window gives a full (perpetual) or prorated (subscription) credit, and "
               "revokes the key."),
             _("Partner Center has no API for product keys: admin agents get them from the "
               "customer's Software page (`/csp software keys`).")]
    spec = DraftSpec(
        kind=RequestKind.SOFTWARE_BUY,
        requester=requester,
        summary=_("Buy {n} × {product} for {customer}", n=number(form.quantity), product=item.name,
                  customer=customer.name),
        payload={"customer_id": customer.customer_id, "customer_name": customer.name,
                 "product_name": item.name, "kind": offer.kind.value,
                 "quantity": form.quantity, "term_duration": offer.term,
                 "billing_cycle": offer.billing_cycle},
        steps=[StepSpec(StepAction.BUY_SOFTWARE, {
            "customer_id": customer.customer_id, "country": customer.country
            or settings.csp_software_country, "product_id": offer.product_id,
            "sku_id": offer.sku_id, "term_duration": offer.term,
            "billing_cycle": offer.billing_cycle, "quantity": form.quantity,
            "request_key": new_request_key()})],
        origin_channel=form.origin_channel,
    )
    content = Confirmation.of(_("Confirm purchase"), rows, notes=notes)
    return await prepare(runtime.db, spec, content)


class SoftwareBuyPayload(KindPayload):
    """What a software purchase keeps with its request (the step keeps what is sent)."""

    customer_id: str
    customer_name: str = ""
    product_name: str = ""
    kind: str = ""
    quantity: int = 1
    term_duration: str | None = None
    billing_cycle: str | None = None


register(KindSpec(
    kind=RequestKind.SOFTWARE_BUY,
    title=lambda: _("Software purchase"),
    payload=SoftwareBuyPayload,
    provider="Partner Center",
    state_line=software_views.state_line,
    status_blocks=software_views.card_blocks,
))
