"""Cancelling a software purchase: only inside its window, drafted by an admin agent, approved
by a support agent (never the requester), then one order PATCH by the worker.

Outside the window Partner Center refuses (900117/900213), so the bot does not offer the
cancellation there: it offers the refund ticket, filled in from the purchase (`refund_prefill`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Option
from slack_sdk.models.views import View

from bot.core.blocks import date_token, escape
from bot.core.domain import Draft, RequestKind, StepAction
from bot.core.errors import DomainError, FormErrors, NotFoundError
from bot.core.formats import number
from bot.core.i18n import _, ngettext
from bot.core.ids import SoftwareAction, SoftwareBlock
from bot.pipeline.confirmation import Confirmation, Deadline, prepare
from bot.pipeline.kinds import KindPayload, KindSpec, register
from bot.pipeline.transitions import DraftSpec, StepSpec
from bot.policy.software import software_cancellation
from bot.refunds.form import RefundProduct
from bot.slack.state import ViewState
from bot.software import views as software_views
from bot.software.catalogue import SoftwareKind
from bot.software.purchases import Purchase, PurchaseRef
from bot.software.steps import new_request_key
from store import cache
from store import software as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime
    from bot.refunds.views import RefundPrefill
    from store.models import SoftwareCustomerRow

REASON_LIMIT = 2000


class RefundInstead(DomainError):
    """The window has closed: the refund ticket is the route (the handler offers it)."""

    def __init__(self, message: str, purchase: Purchase) -> None:
        super().__init__(message)
        self.purchase = purchase


async def load_purchase(runtime: Runtime, ref: PurchaseRef) -> tuple[Purchase, SoftwareCustomerRow]:
    """The purchase and its customer, from the cache."""
    async with runtime.db.session() as session:
        row = await repo.get_purchase(session, ref.customer_id, ref.order_id, ref.line_number)
        customer = await repo.get_customer(session, ref.customer_id)
    if row is None or customer is None:
        raise NotFoundError(_("That purchase is not in the software cache (any more)."))
    return Purchase.of(row), customer


async def purchase_named(runtime: Runtime, words: list[str]) -> PurchaseRef:
    """The one purchase `<order id> [line]` names in the cache."""
    order_id = words[0]
    line = words[1] if len(words) > 1 else None
    rows = []
    if len(order_id) <= 64 and (line is None or (line.isdigit() and len(line) < 4)):
        async with runtime.db.session() as session:
            rows = await repo.purchases_of_order(session, order_id)
        rows = [r for r in rows if line is None or r.line_number == int(line)]
    if len(rows) != 1:
        raise DomainError(_("No single purchase with that order id (and line) is in the software "
                            "cache: see `/csp software list <customer>`."))
    return PurchaseRef(rows[0].customer_id, rows[0].order_id, rows[0].line_number)


async def check_cancellable(runtime: Runtime, ref: PurchaseRef, user: str
                            ) -> tuple[Purchase, SoftwareCustomerRow]:
    """Before the modal opens and again at submission: the window and the role."""
    purchase, customer = await load_purchase(runtime, ref)
    decision = software_cancellation(purchase, await runtime.roles.of(user), runtime.clock.now())
    if not decision.allowed:
        if decision.refund:
            raise RefundInstead(decision.reason, purchase)
        raise DomainError(decision.reason)
    return purchase, customer


def reason_of(view: Mapping[str, Any]) -> str:
    text = ViewState.of(view).text(SoftwareBlock.REASON, SoftwareAction.REASON)
    if not text:
        raise FormErrors({SoftwareBlock.REASON: _("Say why, in a few words: the approver "
                                                  "reads it.")})
    if len(text) > REASON_LIMIT:
        raise FormErrors({SoftwareBlock.REASON: ngettext(
            "At most {n} character, please.", "At most {n} characters, please.", REASON_LIMIT)})
    return text


async def draft_cancellation(runtime: Runtime, ref: PurchaseRef, reason: str, requester: str,
                             origin_channel: str | None = None) -> tuple[Draft, View]:
    await runtime.roles.require_drafter(requester, RequestKind.SOFTWARE_CANCEL)
    try:
        purchase, customer = await check_cancellable(runtime, ref, requester)
    except DomainError as exc:  # the window closed (or it was cancelled) while the modal was open
        raise FormErrors({SoftwareBlock.REASON: exc.message}) from exc
    deadline = purchase.cancellable_until
    credit = (_("a full credit") if purchase.kind is SoftwareKind.PERPETUAL
              else _("a prorated credit"))
    rows = [
        (_("Customer"), escape(customer.name)),
        (_("Purchase"), escape(purchase.title)),
        (_("Order"), f"`{escape(ref.order_id)}` · " + _("line {n}", n=ref.line_number)),
        (_("Kind"), purchase.kind.label),
        (_("Quantity"), number(purchase.quantity)),
        (_("What happens"), _("The whole line is cancelled: its product key and download links "
                              "are revoked, and Microsoft gives {credit} on the next invoice.",
                              credit=credit)),
        (_("Reason"), f"_{escape(reason)}_"),
    ]
    if purchase.subscription_id:
        rows.insert(3, (_("Subscription"), f"`{escape(purchase.subscription_id)}`"))
    spec = DraftSpec(
        kind=RequestKind.SOFTWARE_CANCEL,
        requester=requester,
        summary=_("Cancel {product} for {customer}", product=purchase.title,
                  customer=customer.name),
        payload={"customer_id": ref.customer_id, "customer_name": customer.name,
                 "order_id": ref.order_id, "line_number": ref.line_number,
                 "product_name": purchase.title, "kind": purchase.kind.value,
                 "subscription_id": purchase.subscription_id, "reason": reason},
        steps=[StepSpec(StepAction.CANCEL_SOFTWARE, {
            "customer_id": ref.customer_id, "order_id": ref.order_id,
            "line_number": ref.line_number, "offer_id": purchase.offer_id,
            "request_key": new_request_key()})],
        needs_approval=True,
        deadline=deadline,
        origin_channel=origin_channel,
    )
    content = Confirmation.of(
        _("Confirm cancellation"), rows,
        deadlines=[Deadline(_("Cancellation window closes"), deadline)] if deadline else [],
        approvers=_("A support agent (not you) must approve it before the window closes, "
                    "{date}; otherwise the request expires and nothing is cancelled.",
                    date=date_token(deadline) if deadline else "?"),
    )
    return await prepare(runtime.db, spec, content)


async def refund_prefill(runtime: Runtime, purchase: Purchase, user: str) -> RefundPrefill:
    """The refund ticket's modal, filled in from the purchase: the customer's domain (or tenant
    GUID), the order, what was bought, when, and the license group when one matches."""
    from bot.refunds.tickets import prefill

    async with runtime.db.session() as session:
        customer = await repo.get_customer(session, purchase.ref.customer_id)
        group = (await cache.get_tenant(session, customer.license_group)
                 if customer is not None and customer.license_group else None)
    base = await prefill(runtime, user)
    tenant = (customer.domain if customer is not None and customer.domain
              else purchase.ref.customer_id)
    option = None
    if group is not None:
        label = (f"{group.display_name} — {group.service_name}" if group.display_name
                 else group.service_name)
        option = Option(value=group.service_name, text=label[:75])
    product = (RefundProduct.PERPETUAL if purchase.kind is SoftwareKind.PERPETUAL
               else RefundProduct.SOFTWARE_SUBSCRIPTION)
    bought: date | None = purchase.purchased_at.date() if purchase.purchased_at else None
    from dataclasses import replace

    return replace(base, customer_tenant=tenant, order_id=purchase.ref.order_id,
                   license_group=option or base.license_group, product=product,
                   purchase_date=bought,
                   title=_("Refund of {product}", product=purchase.title)[:100])


class SoftwareCancelPayload(KindPayload):
    """What a software cancellation keeps with its request: the purchase it cancels."""

    customer_id: str
    customer_name: str = ""
    order_id: str = ""
    line_number: int | None = None
    product_name: str = ""
    kind: str = ""
    subscription_id: str | None = None
    reason: str = ""


register(KindSpec(
    kind=RequestKind.SOFTWARE_CANCEL,
    title=lambda: _("Software cancellation"),
    payload=SoftwareCancelPayload,
    provider="Partner Center",
    approval_sentence=lambda: _("The purchase is cancelled in Partner Center right away: its "
                                "key is revoked. This cannot be undone."),
    state_line=software_views.state_line,
    status_blocks=software_views.card_blocks,
))
