"""Partner Center's REST API for software: the production SoftwareProvider.

Which token each call carries: entitlements and provisioning status exist only for App+User
[D page prerequisites]; cancellations go with the Admin agent's App+User token when one is
configured (Microsoft lets only an Admin agent cancel software [D csp-software-subscriptions];
an app-only order PATCH is also accepted [D cancel-software-purchases], so without a refresh
token the app's own token is tried); everything else is app-only, so reads and purchases keep
working when the stored user sign-in has lapsed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from bot.core.i18n import _
from bot.partner_center import endpoints, errors
from bot.partner_center.auth import PartnerCenterAuth, TokenKind
from bot.partner_center.catalog import (
    Availability,
    Product,
    Sku,
    TargetView,
    choose_availability,
)
from bot.partner_center.customers import Customer, CustomerSearchField, customer_filter
from bot.partner_center.orders import (
    Cart,
    CartLineItem,
    CheckoutResult,
    Order,
    OrderStatus,
    ProvisioningStatus,
)
from bot.partner_center.software import Entitlement, EntitlementType, Subscription
from bot.partner_center.transport import Transport
from bot.partner_center.wire import PcModel

log = logging.getLogger(__name__)
M = TypeVar("M", bound=PcModel)

#: Cart-line fields Partner Center fills in; never sent back.
_CART_LINE_ANSWERS = {"currency_code", "order_group", "error"}
CUSTOMER_PAGE_SIZE = 100


def _seg(value: object) -> str:
    return quote(str(value), safe="")


class PartnerCenterClient:
    """SoftwareProvider over HTTPS. `auth` gives the tokens; the rest goes to `Transport`."""

    def __init__(
        self, auth: PartnerCenterAuth, base_url: str = endpoints.API_URL, **transport: Any
    ) -> None:
        self.auth = auth
        self.transport = Transport(base_url, auth, **transport)

    def __repr__(self) -> str:
        return f"PartnerCenterClient({self.transport.base_url!r})"

    def _user_kind(self) -> TokenKind:
        if not self.auth.has_user:
            raise errors.AppOnlyRefused(
                _("Entitlements and provisioning status need an Admin agent's App+User sign-in: "
                  "set PARTNER_CENTER_REFRESH_TOKEN (docs/setup.md).")
            )
        return TokenKind.APP_USER

    def _cancel_kind(self) -> TokenKind:
        return TokenKind.APP_USER if self.auth.has_user else TokenKind.APP

    async def _get(self, path: str, model: type[M], **query: Any) -> M:
        answer = await self.transport.call("GET", path, kind=TokenKind.APP, query=query or None)
        return model.model_validate(answer.data or {})

    # -- customers ---------------------------------------------------------------------------

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._get(f"/customers/{_seg(customer_id)}", Customer)

    async def find_customers(self, domain_prefix: str) -> list[Customer]:
        query = {"size": 0, "filter": customer_filter(CustomerSearchField.DOMAIN, domain_prefix)}
        return await self.transport.collect(
            "/customers", Customer, kind=TokenKind.APP, query=query
        )

    async def list_customers(self) -> list[Customer]:
        return await self.transport.collect(
            "/customers", Customer, kind=TokenKind.APP, query={"size": CUSTOMER_PAGE_SIZE}
        )

    # -- catalogue ---------------------------------------------------------------------------

    async def list_products(
        self, country: str, target_view: TargetView = TargetView.SOFTWARE
    ) -> list[Product]:
        query = {"country": country, "targetView": str(target_view)}
        return await self.transport.collect("/products", Product, kind=TokenKind.APP, query=query)

    async def list_skus(self, product_id: str, country: str) -> list[Sku]:
        path = f"/products/{_seg(product_id)}/skus"
        return await self.transport.collect(
            path, Sku, kind=TokenKind.APP, query={"country": country}
        )

    async def list_availabilities(
        self, product_id: str, sku_id: str, country: str
    ) -> list[Availability]:
        path = f"/products/{_seg(product_id)}/skus/{_seg(sku_id)}/availabilities"
        return await self.transport.collect(
            path, Availability, kind=TokenKind.APP, query={"country": country}
        )

    async def current_availability(
        self, product_id: str, sku_id: str, country: str, term_duration: str | None = None
    ) -> Availability:
        found = choose_availability(
            await self.list_availabilities(product_id, sku_id, country), term_duration
        )
        if found is None:
            raise errors.NotFound(
                _("Partner Center sells no {product}:{sku} in {country} now.",
                  product=product_id, sku=sku_id, country=country)
            )
        return found

    # -- carts and checkout ------------------------------------------------------------------

    def _carts(self, customer_id: str) -> str:
        return f"/customers/{_seg(customer_id)}/carts"

    async def create_cart(
        self, customer_id: str, lines: Sequence[CartLineItem], *, request_id: str | None = None
    ) -> Cart:
        body = {"lineItems": [_outgoing_line(line, n) for n, line in enumerate(lines)]}
        answer = await self.transport.call(
            "POST", self._carts(customer_id), kind=TokenKind.APP, body=body, request_id=request_id
        )
        return Cart.model_validate(answer.data or {})

    async def get_cart(self, customer_id: str, cart_id: str) -> Cart:
        return await self._get(f"{self._carts(customer_id)}/{_seg(cart_id)}", Cart)

    async def update_cart(
        self, customer_id: str, cart: Cart, *, request_id: str | None = None
    ) -> Cart:
        if not cart.id:
            raise ValueError("a cart to replace needs its id")
        body = cart.to_wire()
        body["lineItems"] = [_outgoing_line(line, n) for n, line in enumerate(cart.line_items)]
        answer = await self.transport.call(
            "PUT",
            f"{self._carts(customer_id)}/{_seg(cart.id)}",
            kind=TokenKind.APP,
            body=body,
            request_id=request_id,
        )
        return Cart.model_validate(answer.data or {})

    async def checkout(
        self, customer_id: str, cart_id: str, *, request_id: str | None = None
    ) -> CheckoutResult:
        """Idempotent [D checkout-a-cart]: the transport resends a timed-out checkout with the
        same MS-RequestId, and so should a caller that resends later."""
        answer = await self.transport.call(
            "POST",
            f"{self._carts(customer_id)}/{_seg(cart_id)}/checkout",
            kind=TokenKind.APP,
            request_id=request_id,
        )
        return CheckoutResult.model_validate(answer.data or {})

    # -- orders ------------------------------------------------------------------------------

    def _orders(self, customer_id: str) -> str:
        return f"/customers/{_seg(customer_id)}/orders"

    async def get_order(self, customer_id: str, order_id: str) -> Order:
        return await self._get(f"{self._orders(customer_id)}/{_seg(order_id)}", Order)

    async def list_orders(self, customer_id: str) -> list[Order]:
        return await self.transport.collect(self._orders(customer_id), Order, kind=TokenKind.APP)

    async def provisioning_status(
        self, customer_id: str, order_id: str
    ) -> list[ProvisioningStatus]:
        path = f"{self._orders(customer_id)}/{_seg(order_id)}/provisioningstatus"
        return await self.transport.collect(path, ProvisioningStatus, kind=self._user_kind())

    async def cancel_order(
        self,
        customer_id: str,
        order: Order,
        line_numbers: Sequence[int] | None = None,
        *,
        request_id: str | None = None,
    ) -> Order:
        """The documented body: `id`, `status: cancelled` and, for some lines, each line's
        `lineItemNumber` and `offerId` (which of them is required is an open question, so both
        go) [D cancel-software-purchases]."""
        body: dict[str, Any] = {"id": order.id, "status": OrderStatus.CANCELLED.value}
        if line_numbers is not None:
            lines = []
            for number in line_numbers:
                line = order.line(number)
                if line is None:
                    raise ValueError(f"order {order.id} has no line {number}")
                lines.append({"lineItemNumber": number, "offerId": line.offer_id})
            body["lineItems"] = lines
        answer = await self.transport.call(
            "PATCH",
            f"{self._orders(customer_id)}/{_seg(order.id)}",
            kind=self._cancel_kind(),
            body=body,
            request_id=request_id,
        )
        if not answer.data:  # an empty 200/204 (inferred): read the order back
            return await self.get_order(customer_id, order.id)
        return Order.model_validate(answer.data)

    # -- software subscriptions and entitlements ---------------------------------------------

    def _subscriptions(self, customer_id: str) -> str:
        return f"/customers/{_seg(customer_id)}/subscriptions"

    async def list_subscriptions(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Subscription]:
        query = {"order_id": order_id} if order_id else None
        return await self.transport.collect(
            self._subscriptions(customer_id), Subscription, kind=TokenKind.APP, query=query
        )

    async def get_subscription(self, customer_id: str, subscription_id: str) -> Subscription:
        path = f"{self._subscriptions(customer_id)}/{_seg(subscription_id)}"
        return await self._get(path, Subscription)

    async def cancel_subscription(
        self, customer_id: str, subscription: Subscription, *, request_id: str | None = None
    ) -> Subscription:
        """The whole subscription as read, with `status: deleted` (what is left out, such as
        `autoRenewEnabled`, is cleared [L]); a 202 + Location is followed by a read."""
        body = subscription.to_wire()
        body["status"] = "deleted"
        path = f"{self._subscriptions(customer_id)}/{_seg(subscription.id)}"
        answer = await self.transport.call(
            "PATCH", path, kind=self._cancel_kind(), body=body, request_id=request_id
        )
        if answer.status == 202 or not answer.data:
            location = answer.headers.get("Location")
            target = self.transport.link_url(location) if location else path
            read = await self.transport.call("GET", target, kind=TokenKind.APP)
            return Subscription.model_validate(read.data or {"id": subscription.id})
        return Subscription.model_validate(answer.data)

    async def list_entitlements(self, customer_id: str) -> list[Entitlement]:
        return await self.transport.collect(
            f"/customers/{_seg(customer_id)}/entitlements",
            Entitlement,
            kind=self._user_kind(),
            query={"entitlementType": EntitlementType.SOFTWARE.value},
        )

    async def close(self) -> None:
        await self.transport.close()


def _outgoing_line(line: CartLineItem, number: int) -> dict[str, Any]:
    """A cart line as sent: what we choose, never what Partner Center filled in; ids 0..n-1."""
    body = line.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude=_CART_LINE_ANSWERS
    )
    body["id"] = number
    return body
