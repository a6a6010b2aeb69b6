"""Fills the software cache from Partner Center: customers, the software catalogue, and every
customer's software purchases (order lines, with their subscriptions).

The lists Partner Center gives are the truth for what they contain; a row they leave out is kept
(a new order reaches `GET …/orders` up to 15 minutes late [D purchase-catalog-items], and the
bot records its own purchases as soon as they are placed: `record_order`). Runs off the ack path,
in its own loop and after each software request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.partner_center.catalog import TargetView
from bot.partner_center.errors import PartnerCenterError
from bot.partner_center.orders import Order, OrderLineItem
from bot.partner_center.software import Subscription
from bot.partner_center.windows import cancellation_deadline
from bot.provider.base import ProviderError
from bot.software.catalogue import kind_of
from store import cache
from store import software as repo
from store.search import normalize

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app.runtime import Runtime
    from bot.partner_center.provider import SoftwareProvider

log = logging.getLogger(__name__)


@dataclass
class SoftwareSyncReport:
    customers: int = 0
    products: int = 0
    purchases: int = 0
    failed: list[str] = field(default_factory=list)
    error: str | None = None


async def sync_software(runtime: Runtime) -> SoftwareSyncReport:
    """One full pass. A customer whose orders cannot be read is named in `failed`; the others
    are kept current."""
    report = SoftwareSyncReport()
    provider = runtime.software
    try:
        products = await _read_catalogue(provider, runtime.settings.csp_software_country)
        customers = await provider.list_customers()
    except ProviderError as exc:
        report.error = str(exc)
        log.warning("software sync failed: %s", exc)
        return report
    groups = await _license_groups(runtime)
    async with runtime.db.transaction() as session:
        for values in products:
            await repo.put_product(session, **values)
        for customer in customers:
            name = customer.name
            await repo.put_customer(
                session, customer_id=customer.id, name=name, domain=customer.domain,
                country=customer.country, license_group=groups.get(normalize(name)),
                search_text=normalize(" ".join(filter(None, (name, customer.domain,
                                                             customer.id))))[:600],
            )
    report.products, report.customers = len(products), len(customers)
    known = {(p["product_id"], p["sku_id"]) for p in products}
    for customer in customers:
        try:
            report.purchases += await sync_customer(runtime, customer.id, known)
        except ProviderError as exc:
            report.failed.append(customer.id)
            log.warning("software purchases of %s not read: %s", customer.id, exc)
    return report


async def _read_catalogue(provider: SoftwareProvider, country: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for product in await provider.list_products(country, TargetView.SOFTWARE):
        for sku in await provider.list_skus(product.id, country):
            availabilities = await provider.list_availabilities(product.id, sku.id, country)
            terms = sorted({t.duration for a in availabilities for t in a.terms if t.duration})
            cycles = [str(c) for c in sku.supported_billing_cycles]
            rows.append({
                "product_id": product.id, "sku_id": sku.id,
                "product_title": (product.title or "")[:255], "sku_title": (sku.title or "")[:255],
                "kind": kind_of(terms, cycles, sku.dynamic_attributes).value,
                "terms": terms, "billing_cycles": cycles,
                "minimum_quantity": max(1, sku.minimum_quantity or 1),
                "maximum_quantity": sku.maximum_quantity,
            })
    return rows


async def _license_groups(runtime: Runtime) -> dict[str, str]:
    """License groups by normalised display name: a customer of the same name is theirs."""
    async with runtime.db.session() as session:
        names = await cache.tenant_names(session)
    return {normalize(display): service for service, display in names if display}


async def sync_customer(runtime: Runtime, customer_id: str,
                        known: set[tuple[str, str]] | None = None) -> int:
    """Reads one customer's orders and software subscriptions; returns the lines kept."""
    provider = runtime.software
    orders = await provider.list_orders(customer_id)
    subscriptions = await provider.list_subscriptions(customer_id)
    if known is None:
        async with runtime.db.session() as session:
            known = {(p.product_id, p.sku_id) for p in await repo.products(session)}
    count = 0
    async with runtime.db.transaction() as session:
        for order in orders:
            count += await _put_order(runtime, session, customer_id, order, subscriptions, known)
    return count


async def record_order(runtime: Runtime, customer_id: str, order_id: str, *,
                       bought_by: str | None = None, request_id: int | None = None) -> Order:
    """Reads one order (and its subscriptions) and keeps its lines, with who bought it through
    the bot when given: the worker calls this when its purchase or cancellation is done."""
    provider = runtime.software
    order = await provider.get_order(customer_id, order_id)
    try:
        subscriptions = await provider.list_subscriptions(customer_id, order_id)
    except PartnerCenterError:
        subscriptions = []
    async with runtime.db.transaction() as session:
        await _put_order(runtime, session, customer_id, order, subscriptions, None,
                         bought_by=bought_by, request_id=request_id)
    return order


async def _put_order(runtime: Runtime, session: AsyncSession, customer_id: str, order: Order,
                     subscriptions: list[Subscription], known: set[tuple[str, str]] | None,
                     *, bought_by: str | None = None, request_id: int | None = None) -> int:
    window = runtime.settings.perpetual_cancellation_window
    by_id = {s.id: s for s in subscriptions}
    count = 0
    for line in order.line_items:
        product_id, sku_id = _ids(line)
        sub = by_id.get(line.subscription_id or "")
        if sub is None:  # a subscription of this order not yet listed with the customer's
            sub = next((s for s in subscriptions if s.order_id == order.id
                        and s.offer_id == line.offer_id), None)
        software = (sub is not None and sub.is_software) or (
            known is None or (product_id, sku_id) in known)
        if not software:
            continue
        title = await _title(session, product_id, sku_id, line, sub)
        ours = {"bought_by": bought_by, "request_id": request_id} if bought_by else {}
        await repo.put_purchase(
            session, ours=bool(ours), customer_id=customer_id, order_id=order.id,
            line_number=line.line_item_number, offer_id=(line.offer_id or "")[:128],
            product_id=product_id, sku_id=sku_id, title=title[:255],
            quantity=line.quantity, term_duration=line.term_duration,
            billing_cycle=str(line.billing_cycle or order.billing_cycle or "") or None,
            order_status=str(order.status or ""),
            subscription_id=line.subscription_id or (sub.id if sub else None),
            subscription_status=str(sub.status) if sub and sub.status else None,
            purchased_at=order.creation_date,
            cancellable_until=cancellation_deadline(order, line, sub, window),
            **ours,
        )
        count += 1
    return count


def _ids(line: OrderLineItem) -> tuple[str, str]:
    parts = (line.offer_id or "").split(":")
    return (parts[0], parts[1]) if len(parts) >= 2 else (line.offer_id or "", "")


async def _title(session: AsyncSession, product_id: str, sku_id: str, line: OrderLineItem,
                 sub: Subscription | None) -> str:
    product = await repo.get_product(session, product_id, sku_id)
    if product is not None and (product.sku_title or product.product_title):
        return product.sku_title or product.product_title
    return (sub and (sub.offer_name or sub.friendly_name)) or line.friendly_name or (
        line.offer_id or "")
