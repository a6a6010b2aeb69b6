"""The sandbox's orders: what a checkout leaves behind until it delivers a license group.

Follows OVHcloud's order lifecycle as its /me schema names it (`billing.order.OrderStatusEnum`
in UrielCh/api-ovh-node `code/gen/models/ovh-api/me.ts`): a checkout without automatic payment
stays `notPaid` until it is paid (`POST /me/order/{orderId}/payWithRegisteredPaymentMean`, or
`SandboxProvider.pay_order` in tests and the playground); a paid order is `delivering` while
its license group is created, then `delivered`; a cancelled one is `cancelled`. Which status
follows payment, and when the group becomes visible, are not published: here the group is
listed (`creating`) as soon as the order is paid, and the order is delivered when it is `ok`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.core.domain import NewTenantOrder, TenantStatus
from bot.provider.base import BadParameters, NotFound
from bot.provider.sandbox_data import CATALOGUE, OrderRecord, World

NOT_PAID, DELIVERING, DELIVERED, CANCELLED = "notPaid", "delivering", "delivered", "cancelled"


def open_order(world: World, order: NewTenantOrder, now: datetime, url: str) -> OrderRecord:
    """A new order; `url` is where it is paid, with `{order_id}` in it."""
    order_id = world.next_order_id
    record = OrderRecord(
        order_id=order_id, order=order.model_copy(), placed_at=now,
        url=url.format(order_id=order_id),
    )  # fmt: skip
    world.next_order_id += 1
    world.orders[record.order_id] = record
    return record


def preview(order: NewTenantOrder) -> OrderRecord:
    """What a checkout would order (`GET …/checkout`): never stored."""
    return OrderRecord(order_id=0, order=order, placed_at=datetime.now(UTC))


def order_of(world: World, order_id: int) -> OrderRecord:
    record = world.orders.get(int(order_id))
    if record is None:
        raise NotFound(
            f"The requested object (orderId = {order_id}) does not exist",
            status=404,
            error_class="Client::NotFound",
        )
    return record


def must_be_unpaid(record: OrderRecord) -> None:
    if record.status != NOT_PAID:
        raise BadParameters(
            f"Order {record.order_id} is {record.status}: there is nothing to pay",
            status=400,
            error_class="Client::BadRequest",
        )


def refresh(world: World, record: OrderRecord) -> str:
    """The order's status now: delivering until its license group is in service."""
    if record.status == DELIVERING and record.service_name:
        tenant = world.tenants.get(record.service_name)
        if tenant is not None and tenant.tenant.status == TenantStatus.OK:
            record.status = DELIVERED
    return record.status


def order_json(record: OrderRecord, order_id: int | None = None) -> dict[str, Any]:
    """`order.Order`, as a checkout answers (`orderId` as the caller decides: null is legal).
    Before delivery no service has a name: the details' `domain` is "*" (inferred)."""
    lines = record.order.licenses
    prices = [_price(CATALOGUE[x.license_id].monthly_price * x.quantity) for x in lines]
    total = _price(sum(p["value"] for p in prices))
    details: list[dict[str, Any]] = [
        {
            "cartItemID": None,
            "description": f"{CATALOGUE[x.license_id].name} x{x.quantity}",
            "detailType": "DURATION",
            "domain": "*",
            "quantity": x.quantity,
            "totalPrice": price,
            "unitPrice": _price(CATALOGUE[x.license_id].monthly_price),
            "originalTotalPrice": price,
            "reductionTotalPrice": _price(0),
            "reductions": [],
        }
        for x, price in zip(lines, prices, strict=True)
    ]
    return {
        "orderId": order_id,
        "url": record.url if order_id is not None else None,
        "contracts": [],
        "details": details,
        "prices": {"withoutTax": total, "withTax": total, "tax": _price(0),
                   "originalWithoutTax": total, "reduction": None},
    }  # fmt: skip


def _price(value: float) -> dict[str, Any]:
    value = round(value, 2)
    return {"currencyCode": "EUR", "text": f"{value:.2f} €", "value": value}


def detail_json(record: OrderRecord, detail_id: int, *, names_service: bool = True
                ) -> dict[str, Any]:
    """`billing.OrderDetail` of one line. Whether `domain` names the delivered service is not
    published: with `names_service` it does once the group exists (as OVHcloud's details do
    for other products), else it stays "*"; the bot is built for both readings."""
    line = record.order.licenses[detail_id - 1]
    domain = record.service_name if names_service and record.service_name else "*"
    return {
        "orderDetailId": detail_id,
        "description": f"{CATALOGUE[line.license_id].name} x{line.quantity}",
        "domain": domain,
        "quantity": str(line.quantity),
        "cancelled": record.status == CANCELLED,
        "detailType": "DURATION",
    }
