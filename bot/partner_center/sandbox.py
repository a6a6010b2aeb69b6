"""An in-process Partner Center for software: the embedded default, and the contract's reference.

It follows what Microsoft documents (see `sandbox_rules.Behaviour` for the choices where it does
not): carts that expire after 7 days, idempotent checkout, orders that stay `pending` for a while
and reach `GET …/orders` late, software subscriptions with `cancellationAllowedUntilDate`,
entitlements with `entitledArtifacts: []` and no key endpoint, cancellation of order lines to
quantity 0, the windows (900117), the cancel paths (800019/800063), the role (900150), MFA
(900421), app-only refusals (900329) and `MS-RequestId` replays returning the first result.

Like the CSP2 sandbox (`bot.provider.sandbox`) it runs on an injectable clock, advances lazily
at the start of each operation (nothing runs in the background), records every call (`calls`)
and injects faults (`faults.set`, e.g. `RateLimited(retry_after=2)` for a 429 on demand).
`sandbox_server.py` serves the same object over Partner Center's HTTP API.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.partner_center import errors
from bot.partner_center import sandbox_catalog as catalogue
from bot.partner_center import sandbox_orders as lifecycle
from bot.partner_center import sandbox_rules as rules
from bot.partner_center.catalog import (
    Availability,
    Product,
    Sku,
    TargetView,
    choose_availability,
)
from bot.partner_center.customers import Customer
from bot.partner_center.orders import (
    Cart,
    CartLineItem,
    CartStatus,
    CheckoutResult,
    Order,
    ProvisioningState,
    ProvisioningStatus,
    QuantityProvisioning,
)
from bot.partner_center.sandbox_data import (
    CATALOGUE,
    ENTRIES,
    SEED,
    CartRecord,
    CatalogueEntry,
    CustomerRecord,
    OrderRecord,
    World,
    entry_of,
    seed_customer,
)
from bot.partner_center.sandbox_operation import operation as _operation
from bot.partner_center.sandbox_rules import ADMIN_AGENT, Behaviour, Caller
from bot.partner_center.software import (
    Entitlement,
    Subscription,
    SubscriptionStatus,
)
from bot.provider.sandbox_controls import Faults, SandboxCall, now_function

_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class PartnerCenterSandbox:
    """A SoftwareProvider over an in-memory world. `clock`: anything with `now()` or a callable
    (default the wall clock). Calls act as `caller` (an Admin agent with MFA) unless an operation
    is given `caller=` — the HTTP server passes the caller its token names."""

    def __init__(
        self,
        *,
        clock: Any = None,
        behaviour: Behaviour | None = None,
        seed: bool = True,
        rng_seed: int = 202618,
        caller: Caller = ADMIN_AGENT,
    ) -> None:
        self.clock = clock
        self.now = now_function(clock)
        self.behaviour = behaviour or Behaviour()
        self.caller = caller
        self.faults = Faults(random.Random(rng_seed))
        self._rng = random.Random(rng_seed + 1)
        self._log: list[SandboxCall] = []
        self.world = World(catalog_epoch=self.now())
        if seed:
            self._seed()

    # -- observation and control (tests, demos) ----------------------------------------------

    def calls(self, op: str) -> list[dict[str, Any]]:
        """The payloads of every call of `op`, in order (refused and failed calls included)."""
        return [c.payload for c in self._log if c.op == op]

    def clear_calls(self) -> None:
        self._log.clear()

    def rotate_catalog(self) -> None:
        """Give every availability a new id now (as happens over time): ids read before are
        stale and refused at checkout."""
        self.world.catalog_shift += 1

    def settle(self) -> None:
        """Complete every pending order and list it, whatever the clock says."""
        now = self.now()
        for record in self.world.customers.values():
            for rec in record.orders.values():
                rec.listed_at = min(rec.listed_at, now)
                if rec.completes_at is not None:
                    rec.completes_at = min(rec.completes_at, now)
        self._advance()

    def customer_record(self, customer_id: str) -> CustomerRecord:
        record = self.world.customers.get(customer_id)
        if record is None:
            raise errors.NotFound(code=60003, description=f"Tenant {customer_id} not found.")
        return record

    # -- customers ---------------------------------------------------------------------------

    @_operation("getCustomer")
    def get_customer(self, customer_id: str, *, caller: Caller) -> Customer:
        return self.customer_record(customer_id).customer

    @_operation("findCustomers")
    def find_customers(self, domain_prefix: str, *, caller: Caller) -> list[Customer]:
        prefix = domain_prefix.lower()
        return [
            r.customer.model_copy(deep=True)
            for r in self._customers()
            if (r.customer.domain or "").lower().startswith(prefix)
        ]

    @_operation("listCustomers")
    def list_customers(self, *, caller: Caller) -> list[Customer]:
        return [r.customer.model_copy(deep=True) for r in self._customers()]

    # -- catalogue ---------------------------------------------------------------------------

    @_operation("listProducts")
    def list_products(
        self, country: str, target_view: TargetView = TargetView.SOFTWARE, *, caller: Caller
    ) -> list[Product]:
        if str(target_view) not in {str(v) for v in TargetView}:
            raise errors.Forbidden(
                code=400036, description=f"The target view {target_view} is not allowed."
            )
        seen: dict[str, Product] = {}
        for entry in CATALOGUE:
            if target_view in entry.views and entry.product_id not in seen:
                seen[entry.product_id] = catalogue.product(entry)
        return list(seen.values())

    @_operation("listSkus")
    def list_skus(self, product_id: str, country: str, *, caller: Caller) -> list[Sku]:
        skus = [catalogue.sku(e) for e in CATALOGUE if e.product_id == product_id]
        if not skus:
            raise errors.NotFound(description=f"Product {product_id} not found.")
        return skus

    @_operation("listAvailabilities")
    def list_availabilities(
        self, product_id: str, sku_id: str, country: str, *, caller: Caller
    ) -> list[Availability]:
        entry = ENTRIES.get((product_id, sku_id))
        if entry is None:
            raise errors.NotFound(description=f"Sku {product_id}:{sku_id} not found.")
        return [catalogue.availability(entry, self._generation(), country)]

    async def current_availability(
        self, product_id: str, sku_id: str, country: str, term_duration: str | None = None
    ) -> Availability:
        found = choose_availability(
            await self.list_availabilities(product_id, sku_id, country), term_duration
        )
        if found is None:
            raise errors.NotFound(description=f"No purchasable availability of {product_id}.")
        return found

    # -- carts and checkout ------------------------------------------------------------------

    @_operation("createCart", write=True, result=Cart)
    def create_cart(
        self,
        customer_id: str,
        lines: Sequence[CartLineItem],
        *,
        request_id: str | None = None,
        caller: Caller,
    ) -> Cart:
        record = self.customer_record(customer_id)
        now = self.now()
        cart_id = lifecycle.new_uuid(self._rng)
        cart = Cart(
            id=cart_id,
            creation_timestamp=now,
            last_modified_timestamp=now,
            expiration_timestamp=now + self.behaviour.cart_lifetime,
            last_modified_user=caller.name,
            status=CartStatus.ACTIVE,
            line_items=catalogue.cart_lines(record.currency, self._generation(), lines),
            attributes={"objectType": "Cart"},
        )
        record.carts[cart_id] = CartRecord(cart=cart)
        return cart

    @_operation("getCart")
    def get_cart(self, customer_id: str, cart_id: str, *, caller: Caller) -> Cart:
        return self._cart(customer_id, cart_id).cart

    @_operation("updateCart", write=True, result=Cart)
    def update_cart(
        self, customer_id: str, cart: Cart, *, request_id: str | None = None, caller: Caller
    ) -> Cart:
        record = self.customer_record(customer_id)
        rec = self._cart(customer_id, cart.id or "")
        if rec.cart.status == CartStatus.ORDERED:
            raise errors.CartAlreadyOrdered(description="The cart has already been submitted.")
        rec.cart.line_items = catalogue.cart_lines(
            record.currency, self._generation(), cart.line_items
        )
        rec.cart.last_modified_timestamp = self.now()
        rec.cart.last_modified_user = caller.name
        return rec.cart

    @_operation("checkout", write=True, result=CheckoutResult)
    def checkout(
        self, customer_id: str, cart_id: str, *, request_id: str | None = None, caller: Caller
    ) -> CheckoutResult:
        record = self.customer_record(customer_id)
        rec = self._cart(customer_id, cart_id)
        if rec.checkout is not None:
            if self.behaviour.repeat_checkout_refused:
                raise errors.CartAlreadyOrdered(description="The cart has already been submitted.")
            return rec.checkout
        for line in rec.cart.line_items:
            self._check_current(line.catalog_item_id)
        groups: dict[str, list[CartLineItem]] = {}
        for line in rec.cart.line_items:
            groups.setdefault(line.order_group or "0", []).append(line)
        now = self.now()
        placed = [
            lifecycle.place_order(record, lines, now, self.behaviour, self._rng)
            for lines in groups.values()
        ]
        rec.cart.status = CartStatus.ORDERED
        rec.checkout = CheckoutResult(orders=placed, order_errors=[])
        return rec.checkout

    # -- orders ------------------------------------------------------------------------------

    @_operation("getOrder")
    def get_order(self, customer_id: str, order_id: str, *, caller: Caller) -> Order:
        return self._order(customer_id, order_id).order

    @_operation("listOrders")
    def list_orders(self, customer_id: str, *, caller: Caller) -> list[Order]:
        now = self.now()
        records = self.customer_record(customer_id).orders.values()
        listed = [r.order for r in records if r.listed_at <= now]
        return [o.model_copy(deep=True) for o in sorted(listed, key=_created)]

    @_operation("getProvisioningStatus", app_user_only=True)
    def provisioning_status(
        self, customer_id: str, order_id: str, *, caller: Caller
    ) -> list[ProvisioningStatus]:
        rec = self._order(customer_id, order_id)
        pending = rec.completes_at is not None
        items = []
        for line in rec.order.line_items:
            if line.quantity == 0:
                state = ProvisioningState.UNFULFILLED
            elif pending:
                state = ProvisioningState.PREFULFILLMENT_PENDING
            else:
                state = ProvisioningState.FULFILLED
            items.append(
                ProvisioningStatus(
                    line_item_number=line.line_item_number,
                    status=state,
                    quantity_provisioning_information=[
                        QuantityProvisioning(quantity=line.quantity, status=state)
                    ],
                )
            )
        return items

    @_operation("cancelOrder", write=True, result=Order)
    def cancel_order(
        self,
        customer_id: str,
        order: Order,
        line_numbers: Sequence[int] | None = None,
        *,
        request_id: str | None = None,
        caller: Caller,
    ) -> Order:
        record = self.customer_record(customer_id)
        rec = self._order(customer_id, order.id)
        rules.check_cancel_role(caller, self.behaviour)
        stored = rec.order
        if line_numbers is None:
            targets = [li for li in stored.line_items if li.quantity > 0]
        else:
            targets = []
            for number in line_numbers:
                line = stored.line(number)
                if line is None:
                    raise errors.BadRequest(description=f"Line item {number} does not exist.")
                given = order.line(number)
                if given and given.offer_id and given.offer_id != line.offer_id:
                    raise errors.BadRequest(
                        description=f"Line item {number} is {line.offer_id}, not {given.offer_id}."
                    )
                targets.append(line)
        now = self.now()
        for line in targets:
            sub = record.subscriptions.get(line.subscription_id or "")
            deadline = sub.cancellation_allowed_until_date if sub else None
            rules.check_cancellable(
                entry_of(line.offer_id), stored, deadline, now, self.behaviour, by_order=True
            )
        for line in targets:
            lifecycle.zero_line(record, stored, line)
        return stored

    # -- subscriptions and entitlements ------------------------------------------------------

    @_operation("listSubscriptions")
    def list_subscriptions(
        self, customer_id: str, order_id: str | None = None, *, caller: Caller
    ) -> list[Subscription]:
        subs = self.customer_record(customer_id).subscriptions.values()
        return [
            s.model_copy(deep=True)
            for s in sorted(subs, key=_created)
            if (order_id is None or s.order_id == order_id)
            and (s.creation_date is None or s.creation_date >= rules.SUBSCRIPTIONS_LISTED_FROM)
        ]

    @_operation("getSubscription")
    def get_subscription(
        self, customer_id: str, subscription_id: str, *, caller: Caller
    ) -> Subscription:
        return self._subscription(customer_id, subscription_id)

    @_operation("cancelSubscription", write=True, result=Subscription)
    def cancel_subscription(
        self,
        customer_id: str,
        subscription: Subscription,
        *,
        request_id: str | None = None,
        caller: Caller,
    ) -> Subscription:
        record = self.customer_record(customer_id)
        stored = self._subscription(customer_id, subscription.id)
        rules.check_cancel_role(caller, self.behaviour)
        rec = self._order(customer_id, stored.order_id or "")
        line = next(
            (li for li in rec.order.line_items if li.subscription_id == stored.id), None
        )
        rules.check_cancellable(
            entry_of(stored.offer_id),
            rec.order,
            stored.cancellation_allowed_until_date,
            self.now(),
            self.behaviour,
            by_order=False,
        )
        # What the PATCH leaves out is cleared [L cancel-software-purchases].
        stored.auto_renew_enabled = subscription.auto_renew_enabled
        stored.scheduled_next_term_instructions = subscription.scheduled_next_term_instructions
        if line is not None:
            lifecycle.zero_line(record, rec.order, line)
        else:
            stored.status = SubscriptionStatus.DELETED
        return stored

    @_operation("listEntitlements", app_user_only=True)
    def list_entitlements(self, customer_id: str, *, caller: Caller) -> list[Entitlement]:
        return lifecycle.entitlements(self.customer_record(customer_id), self.behaviour)

    async def close(self) -> None:
        return None

    # -- machinery ---------------------------------------------------------------------------

    def _customers(self) -> list[CustomerRecord]:
        return sorted(
            self.world.customers.values(), key=lambda r: (r.customer.name.lower(), r.customer.id)
        )

    def _generation(self) -> int:
        age = self.now() - self.world.catalog_epoch
        return self.world.catalog_shift + max(0, age // self.behaviour.catalog_rotation)

    def _known_item(self, catalog_item_id: str) -> tuple[CatalogueEntry, bool] | None:
        return catalogue.known_item(catalog_item_id, self._generation())

    def _check_current(self, catalog_item_id: str) -> None:
        known = self._known_item(catalog_item_id)
        if known is None or not known[1]:
            raise errors.StaleCatalogItem(
                description=f"The catalog item {catalog_item_id} is no longer available."
            )

    def _cart(self, customer_id: str, cart_id: str) -> CartRecord:
        rec = self.customer_record(customer_id).carts.get(cart_id)
        expired = rec is not None and rec.cart.expiration_timestamp is not None and (
            self.now() > rec.cart.expiration_timestamp and rec.checkout is None
        )
        if rec is None or expired:
            raise errors.NotFound(code=800008, description=f"Cart {cart_id} not found.")
        return rec

    def _order(self, customer_id: str, order_id: str) -> OrderRecord:
        rec = self.customer_record(customer_id).orders.get(order_id)
        if rec is None:
            raise errors.UnknownOrder(description=f"Order {order_id} was not found.")
        return rec

    def _subscription(self, customer_id: str, subscription_id: str) -> Subscription:
        sub = self.customer_record(customer_id).subscriptions.get(subscription_id)
        if sub is None:
            raise errors.NotFound(description=f"Subscription {subscription_id} not found.")
        return sub

    def _advance(self) -> None:
        lifecycle.advance(self.world, self.now(), self.behaviour, self._rng)

    def _seed(self) -> None:
        now = self.now()
        for number, seed in enumerate(SEED, start=1):
            record = CustomerRecord(customer=seed_customer(seed, number))
            self.world.customers[seed.tenant_id] = record
            for purchase in seed.purchases:
                lifecycle.place_order(
                    record, [purchase.cart_line()], now - purchase.age, self.behaviour, self._rng
                )
        self._advance()


def _created(item: Order | Subscription) -> datetime:
    return item.creation_date or _LONG_AGO
