"""The interface through which the bot buys, reads and cancels software in Partner Center.

Its own interface, next to `bot.provider.base.CspProvider` (licenses through OVHcloud): two
implementations keep it, `client.PartnerCenterClient` (the REST API over HTTPS) and
`sandbox.PartnerCenterSandbox` (the embedded default); both pass `tests/partner_center/`.

Writes take an optional `request_id`: the `MS-RequestId` idempotency key [D headers]. A caller
that must not buy twice creates it once, keeps it durably, and passes the same one again when
it resends after a timeout; Partner Center then answers with the first result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.partner_center.catalog import Availability, Product, Sku, TargetView
from bot.partner_center.customers import Customer
from bot.partner_center.orders import Cart, CartLineItem, CheckoutResult, Order, ProvisioningStatus
from bot.partner_center.software import Entitlement, Subscription


@runtime_checkable
class SoftwareProvider(Protocol):
    """Partner Center operations for software (perpetual and software subscriptions)."""

    # customers
    async def get_customer(self, customer_id: str) -> Customer: ...
    async def find_customers(self, domain_prefix: str) -> list[Customer]:
        """Customers whose domain starts with `domain_prefix` (case ignored) [D]."""
        ...

    async def list_customers(self) -> list[Customer]: ...

    # catalogue
    async def list_products(
        self, country: str, target_view: TargetView = TargetView.SOFTWARE
    ) -> list[Product]: ...
    async def list_skus(self, product_id: str, country: str) -> list[Sku]: ...
    async def list_availabilities(
        self, product_id: str, sku_id: str, country: str
    ) -> list[Availability]: ...
    async def current_availability(
        self, product_id: str, sku_id: str, country: str, term_duration: str | None = None
    ) -> Availability:
        """The purchasable availability to buy now (read fresh: catalog ids change), with the
        given term for a software subscription. NotFound when there is none."""
        ...

    # carts and checkout
    async def create_cart(
        self, customer_id: str, lines: Sequence[CartLineItem], *, request_id: str | None = None
    ) -> Cart: ...
    async def get_cart(self, customer_id: str, cart_id: str) -> Cart: ...
    async def update_cart(
        self, customer_id: str, cart: Cart, *, request_id: str | None = None
    ) -> Cart:
        """Replace the cart (PUT) with `cart` as given."""
        ...

    async def checkout(
        self, customer_id: str, cart_id: str, *, request_id: str | None = None
    ) -> CheckoutResult: ...

    # orders
    async def get_order(self, customer_id: str, order_id: str) -> Order: ...
    async def list_orders(self, customer_id: str) -> list[Order]:
        """Orders as Partner Center lists them: a new one may be missing for up to 15 minutes
        [D purchase-catalog-items]; `get_order` finds it at once."""
        ...

    async def provisioning_status(
        self, customer_id: str, order_id: str
    ) -> list[ProvisioningStatus]: ...
    async def cancel_order(
        self,
        customer_id: str,
        order: Order,
        line_numbers: Sequence[int] | None = None,
        *,
        request_id: str | None = None,
    ) -> Order:
        """Cancel the whole order (`line_numbers` None) or the given lines: PATCH the order with
        `status: cancelled` [D cancel-software-purchases]. Perpetual software and software
        subscriptions; Partner Center refuses it for new commerce (WrongCancelPath)."""
        ...

    # software subscriptions and entitlements
    async def list_subscriptions(
        self, customer_id: str, order_id: str | None = None
    ) -> list[Subscription]: ...
    async def get_subscription(self, customer_id: str, subscription_id: str) -> Subscription: ...
    async def cancel_subscription(
        self, customer_id: str, subscription: Subscription, *, request_id: str | None = None
    ) -> Subscription:
        """PATCH the subscription with `status: deleted`, sending back the rest as read
        (autoRenewEnabled and next-term instructions would otherwise be cleared) [L]."""
        ...

    async def list_entitlements(self, customer_id: str) -> list[Entitlement]:
        """Software entitlements (App+User only). None of them carries keys or downloads."""
        ...

    async def close(self) -> None: ...
