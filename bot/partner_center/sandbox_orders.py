"""The life of a sandbox order: placed `pending`, completed after a while (a subscription for
each subscription line, never for a perpetual one [D order-resources]; Access/Excel LTSC wait in
`pending_po_upload` [D pending-po-upload]), and lines cancelled to quantity 0 [D
cancel-software-purchases]. Also the entitlements an order gives."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.partner_center import sandbox_rules as rules
from bot.partner_center.catalog import CatalogItemId, ProductType
from bot.partner_center.orders import CartLineItem, Order, OrderLineItem, OrderStatus
from bot.partner_center.sandbox_data import (
    CatalogueEntry,
    CustomerRecord,
    Kind,
    OrderRecord,
    World,
    entry_of,
)
from bot.partner_center.sandbox_rules import Behaviour
from bot.partner_center.software import (
    Entitlement,
    QuantityDetail,
    ReferenceOrder,
    Subscription,
    SubscriptionStatus,
)

_TERM_LENGTH = {"P1M": timedelta(days=30), "P1Y": timedelta(days=365), "P3Y": timedelta(days=1095)}
_ORDER_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _line(number: int, line: CartLineItem) -> OrderLineItem:
    item = CatalogItemId.parse(line.catalog_item_id)
    product = f"/products/{item.product_id}"
    return OrderLineItem(
        line_item_number=number,
        offer_id=line.catalog_item_id,
        friendly_name=line.friendly_name or entry_of(line.catalog_item_id).sku_title,
        quantity=line.quantity,
        term_duration=line.term_duration,
        billing_cycle=line.billing_cycle,
        transaction_type="New",
        links={
            "product": {"uri": product, "method": "GET", "headers": []},
            "sku": {"uri": f"{product}/skus/{item.sku_id}", "method": "GET"},
            "availability": {
                "uri": f"{product}/skus/{item.sku_id}/availabilities/{item.availability_id}",
                "method": "GET",
            },
        },
    )


def place_order(
    record: CustomerRecord,
    lines: Sequence[CartLineItem],
    created: datetime,
    behaviour: Behaviour,
    rng: random.Random,
) -> Order:
    """A new `pending` order of `lines`, completing after `order_duration` and listed after
    `list_delay`. Its id has the long shape of Microsoft's (`2y6dF_rVgDAXMxypQPPnTquuXhKVK_3N1`),
    its alternateId 12 hex digits [D order-resources]."""
    order_id = "".join(rng.choice(_ORDER_ID_ALPHABET) for _ in range(33))
    base = f"/customers/{record.customer.id}/orders/{order_id}"
    order = Order(
        id=order_id,
        alternate_id=f"{rng.getrandbits(48):012x}",
        reference_customer_id=record.customer.id,
        billing_cycle=lines[0].billing_cycle,
        currency_code=record.currency,
        currency_symbol="€" if record.currency == "EUR" else "$",
        creation_date=created,
        status=OrderStatus.PENDING,
        transaction_type="UserPurchase",
        line_items=[_line(n, line) for n, line in enumerate(lines)],
        attributes={"objectType": "Order"},
        links={
            "self": {"uri": base, "method": "GET", "headers": []},
            "provisioningStatus": {"uri": base + "/provisioningstatus", "method": "GET"},
            "patchOperation": {"uri": base, "method": "PATCH"},
        },
    )
    record.orders[order_id] = OrderRecord(
        order=order,
        completes_at=created + behaviour.order_duration,
        listed_at=created + behaviour.list_delay,
    )
    return order.model_copy(deep=True)


def advance(world: World, now: datetime, behaviour: Behaviour, rng: random.Random) -> None:
    """Complete the orders whose time has come."""
    for record in world.customers.values():
        for rec in record.orders.values():
            if rec.completes_at is None or rec.completes_at > now:
                continue
            rec.completes_at = None
            order = rec.order
            entries = [entry_of(li.offer_id) for li in order.line_items]
            if any(e.needs_po for e in entries):
                order.status = OrderStatus.PENDING_PO_UPLOAD
                continue
            order.status = OrderStatus.COMPLETED
            for line, entry in zip(order.line_items, entries, strict=True):
                if entry.terms:
                    _subscribe(record, order, line, entry, behaviour, new_uuid(rng))


def _subscribe(
    record: CustomerRecord,
    order: Order,
    line: OrderLineItem,
    entry: CatalogueEntry,
    behaviour: Behaviour,
    sub_id: str,
) -> None:
    """The subscription of a line, with the fields of a software subscription [D
    get-all-of-a-customer-s-subscriptions]."""
    created = created_at(order)
    line.subscription_id = sub_id
    term = line.term_duration or entry.terms[0]
    record.subscriptions[sub_id] = Subscription(
        id=sub_id,
        offer_id=line.offer_id,
        offer_name=entry.sku_title,
        friendly_name=line.friendly_name or entry.sku_title,
        product_type=ProductType(**entry.product_type),
        quantity=line.quantity,
        unit_type="Licenses",
        creation_date=created,
        effective_start_date=created,
        commitment_end_date=created + _TERM_LENGTH.get(term, timedelta(days=365)),
        cancellation_allowed_until_date=rules.subscription_deadline(created, entry.kind, behaviour),
        status=SubscriptionStatus.ACTIVE,
        auto_renew_enabled=True,
        billing_type="license",
        billing_cycle=line.billing_cycle,
        term_duration=term,
        contract_type="subscription",
        order_id=order.id,
        publisher_name="Microsoft",
        attributes={"objectType": "Subscription"},
    )


def zero_line(record: CustomerRecord, order: Order, line: OrderLineItem) -> None:
    """Cancel a line: quantity 0, its subscription deleted, the order's status recomputed."""
    line.quantity = 0
    sub = record.subscriptions.get(line.subscription_id or "")
    if sub is not None:
        sub.status = SubscriptionStatus.DELETED
    order.status = rules.status_after_cancel(order)


def created_at(order: Order) -> datetime:
    """When a sandbox order was placed: the sandbox dates every order it places."""
    if order.creation_date is None:
        raise ValueError(f"sandbox order {order.id} has no creation date")
    return order.creation_date


def entitlements(record: CustomerRecord, behaviour: Behaviour) -> list[Entitlement]:
    """One per software line of a completed order. `entitledArtifacts` is empty for software in
    every example [D]; quantityDetails status values are unpublished (inferred: Active,
    Cancelled)."""
    found: list[Entitlement] = []
    for rec in sorted(record.orders.values(), key=lambda r: created_at(r.order)):
        order = rec.order
        if rec.completes_at is not None or order.status == OrderStatus.PENDING_PO_UPLOAD:
            continue
        for line in order.line_items:
            entry = entry_of(line.offer_id)
            if entry.kind is Kind.NEW_COMMERCE:
                continue
            if line.quantity == 0 and behaviour.cancelled_entitlements_vanish:
                continue
            sub = record.subscriptions.get(line.subscription_id or "")
            status = "Cancelled" if line.quantity == 0 else "Active"
            found.append(
                Entitlement(
                    reference_order=ReferenceOrder(
                        id=order.id,
                        line_item_id=str(line.line_item_number),
                        alternate_id=order.alternate_id,
                    ),
                    product_id=entry.product_id,
                    sku_id=entry.sku_id,
                    quantity=line.quantity,
                    quantity_details=[QuantityDetail(quantity=line.quantity, status=status)],
                    entitlement_type="software",
                    expiry_date=sub.commitment_end_date if sub else None,
                    entitled_artifacts=[],
                    included_entitlements=[],
                )
            )
    return found
