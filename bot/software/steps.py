"""The worker's Partner Center calls: a purchase (cart + checkout) and a cancellation (order
PATCH), how a lost call is reconciled, and how a placed order is followed to `completed`.

No database here, as in `bot.pipeline.execution`: the worker records every answer.

Exactly once. Each step carries a `request_key` (a GUID made with the draft); the MS-RequestId
of each call is derived from it (`call_id`), so a call resent after a timeout or a worker's
death carries the same id and Partner Center answers with the first result [D headers,
checkout-a-cart: checkout is idempotent]. A purchase is therefore safe to resend as is; a
cancellation is read back from the order first (a cancelled line has quantity 0).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.core.domain import Request, RequestStep, StepAction, StepState
from bot.core.formats import number
from bot.core.i18n import _, ngettext
from bot.partner_center import errors
from bot.partner_center.orders import CartLineItem, Order, OrderStatus
from bot.partner_center.provider import SoftwareProvider
from bot.pipeline.execution import Finding, Reconciled, Sent
from bot.provider.base import ProviderError

A = StepAction
ACTIONS = frozenset({A.BUY_SOFTWARE, A.CANCEL_SOFTWARE})
#: Where a purchase step is: `placed` (checked out, the order not completed yet), `completed`.
PHASE = "phase"
PLACED, COMPLETED = "placed", "completed"
#: Order states that will not reach `completed` by waiting [D order-resources].
ENDED = frozenset({OrderStatus.CANCELLED, OrderStatus.ERROR, OrderStatus.PO_REVIEW_REJECTED,
                   OrderStatus.SUSPENDED})


def new_request_key() -> str:
    return str(uuid.uuid4())


def call_id(step: RequestStep, call: str) -> str:
    """The MS-RequestId of one call of `step`: the same at every resend of that call."""
    return str(uuid.uuid5(uuid.UUID(step.params["request_key"]), call))


def following(step: RequestStep) -> bool:
    """A placed purchase whose order the worker follows to `completed`."""
    return (step.action is A.BUY_SOFTWARE and step.state is StepState.RUNNING
            and (step.result or {}).get(PHASE) == PLACED)


async def send(software: SoftwareProvider, request: Request, step: RequestStep) -> Sent:
    p = step.params
    customer = p["customer_id"]
    if step.action is A.BUY_SOFTWARE:
        # the catalog item id changes over time: read just before buying [D product-resources]
        availability = await software.current_availability(
            p["product_id"], p["sku_id"], p["country"], p.get("term_duration") or None)
        line = CartLineItem(catalog_item_id=availability.catalog_item_id or "",
                            quantity=int(p["quantity"]), billing_cycle=p["billing_cycle"],
                            term_duration=p.get("term_duration") or None)
        cart = await software.create_cart(customer, [line], request_id=call_id(step, "cart"))
        result = await software.checkout(customer, cart.id or "",
                                         request_id=call_id(step, "checkout"))
        if not result.orders:
            said = "; ".join(f"{e.code}: {e.description}" for e in result.order_errors)
            raise errors.BadRequest(description=said or None, request_id=call_id(step, "checkout"))
        order = result.orders[0]
        return Sent(None, {"cart_id": cart.id, "order_id": order.id,
                           "order_status": str(order.status or ""), PHASE: PLACED,
                           "catalog_item_id": line.catalog_item_id})
    if step.action is A.CANCEL_SOFTWARE:
        order = await software.get_order(customer, p["order_id"])
        number = int(p["line_number"])
        ordered = order.line(number)
        if ordered is None:
            raise errors.UnknownOrder(description=f"Order {order.id} has no line {number}.")
        if ordered.quantity == 0:
            return Sent(None, {"order_status": str(order.status or ""), "already": True})
        done = await software.cancel_order(customer, order, [number],
                                           request_id=call_id(step, "cancel"))
        return Sent(None, {"order_status": str(done.status or "")})
    raise ValueError(f"not a software step: {step.action}")  # pragma: no cover


async def reconcile(software: SoftwareProvider, request: Request, step: RequestStep
                    ) -> Reconciled:
    """A step left `sending`: a purchase is resent (same MS-RequestIds: the first result comes
    back); a cancellation whose line is at quantity 0 is done, else sent."""
    if step.action is A.CANCEL_SOFTWARE:
        order = await software.get_order(step.params["customer_id"], step.params["order_id"])
        line = order.line(int(step.params["line_number"]))
        if line is not None and line.quantity == 0:
            return Reconciled(Finding.DONE)
    return Reconciled(Finding.SEND)


@dataclass(frozen=True)
class OrderNews:
    """What one look at a placed order found: still waiting, done, or ended otherwise."""

    state: StepState
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    order: Order | None = None


async def follow(software: SoftwareProvider, step: RequestStep) -> OrderNews:
    """One look at the order of a placed purchase. `completed` ends the step with the
    subscription ids of its lines (software subscriptions only: perpetual lines never get one)."""
    result = dict(step.result or {})
    order = await software.get_order(step.params["customer_id"], result["order_id"])
    status = order.status
    result["order_status"] = str(status or "")
    if status == OrderStatus.COMPLETED:
        ids = [li.subscription_id for li in order.line_items if li.subscription_id]
        if not ids and step.params.get("term_duration"):
            subs = await software.list_subscriptions(step.params["customer_id"], order.id)
            ids = [s.id for s in subs]
        result.update({PHASE: COMPLETED, "subscription_ids": ids})
        return OrderNews(StepState.DONE, result, order=order)
    if status in ENDED:
        return OrderNews(StepState.FAILED, result, _(
            "Partner Center's order {order} ended as {status}, not completed: check it in "
            "Partner Center.", order=order.id, status=str(status)), order=order)
    return OrderNews(StepState.RUNNING, result, order=order)


# --- words ------------------------------------------------------------------------------------


def describe(step: RequestStep) -> str:
    p = step.params
    if step.action is A.BUY_SOFTWARE:
        return _("purchase of {n} × {product}:{sku}", n=number(int(p.get("quantity") or 0)),
                 product=p.get("product_id"), sku=p.get("sku_id"))
    return _("cancellation of line {line} of order {order}", line=p.get("line_number"),
             order=p.get("order_id"))


def refusal_error(step: RequestStep, exc: ProviderError) -> str:
    """Partner Center's refusal in plain words (its typed errors say what it means and keep
    the ids Microsoft support asks for)."""
    if isinstance(exc, errors.StaleCatalogItem):
        return _("{said} Nothing was bought: prepare the purchase again.", said=exc.message)
    return str(exc)


def gave_up_error(attempts: int, exc: ProviderError) -> str:
    return ngettext("Partner Center kept failing ({n} attempt); the last error: {error}",
                    "Partner Center kept failing ({n} attempts); the last error: {error}",
                    attempts, error=exc)
