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

import asyncio
import functools
import inspect
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from pydantic import BaseModel

from bot.partner_center import errors
from bot.partner_center import sandbox_rules as rules
from bot.partner_center.catalog import (
    Availability,
    CatalogItemId,
    Currency,
    Product,
    ProductType,
    Sku,
    TargetView,
    Term,
    choose_availability,
)
from bot.partner_center.customers import Customer
from bot.partner_center.orders import (
    Cart,
    CartLineItem,
    CartStatus,
    CheckoutResult,
    Order,
    OrderLineItem,
    OrderStatus,
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
    Kind,
    OrderRecord,
    Replay,
    SeedPurchase,
    World,
    availability_id,
    catalog_item_id,
    seed_customer,
)
from bot.partner_center.sandbox_rules import ADMIN_AGENT, Behaviour, Caller
from bot.partner_center.software import (
    Entitlement,
    QuantityDetail,
    ReferenceOrder,
    Subscription,
    SubscriptionStatus,
)
from bot.provider.sandbox_controls import Faults, SandboxCall, now_function

T = TypeVar("T")
P = ParamSpec("P")
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
_TERM_WORDS = {"P1M": "1 Month", "P1Y": "1 Year", "P3Y": "3 Years"}
_TERM_LENGTH = {"P1M": timedelta(days=30), "P1Y": timedelta(days=365), "P3Y": timedelta(days=1095)}


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _operation(
    op: str,
    *,
    write: bool = False,
    app_user_only: bool = False,
    result: type[BaseModel] | None = None,
) -> Callable[
    [Callable[Concatenate[PartnerCenterSandbox, P], T]],
    Callable[Concatenate[PartnerCenterSandbox, P], Awaitable[T]],
]:
    """Turn a synchronous rule into an operation named `op`: record it, check the caller, apply
    a planned fault, advance the world, then act — or, for a write resent with an MS-RequestId
    already seen, answer what the first one answered (`result` rebuilds it). The rule never
    awaits, so each operation is atomic for asyncio."""

    def wrap(fn: Callable[Concatenate[PartnerCenterSandbox, P], T]):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        async def operation(self: PartnerCenterSandbox, *args: Any, **kwargs: Any) -> T:
            caller: Caller = kwargs.pop("caller", None) or self.caller
            bound = signature.bind(self, *args, **kwargs, caller=caller)
            bound.apply_defaults()
            payload = {
                k: _plain(v) for k, v in bound.arguments.items() if k not in ("self", "caller")
            }
            request_id = payload.pop("request_id", None)
            self._log.append(SandboxCall(op, payload, payload.get("customer_id"), None, self.now()))
            if self.faults.latency:
                await asyncio.sleep(self.faults.latency)
            rules.check_caller(caller, self.behaviour, app_user_only=app_user_only)
            fault = self.faults.take(op)
            self._advance()
            if fault is not None and not fault.applied:
                raise fault.build()
            key = f"{op}:{request_id}" if write and request_id else None
            if key and key in self.world.replays and result is not None:
                answer: Any = result.model_validate(self.world.replays[key].result)
            else:
                answer = fn(self, *args, **{**kwargs, "caller": caller})
                if key and isinstance(answer, BaseModel):
                    self.world.replays[key] = Replay(op=op, result=_plain(answer))
            if fault is not None:
                raise fault.build()
            return answer.model_copy(deep=True) if isinstance(answer, BaseModel) else answer

        return operation

    return wrap


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

    def calls(self, op: str) -> list[dict]:
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
                seen[entry.product_id] = _product(entry)
        return list(seen.values())

    @_operation("listSkus")
    def list_skus(self, product_id: str, country: str, *, caller: Caller) -> list[Sku]:
        skus = [_sku(e) for e in CATALOGUE if e.product_id == product_id]
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
        return [self._availability(entry, country)]

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
        cart = Cart(
            id=self._uuid(),
            creation_timestamp=now,
            last_modified_timestamp=now,
            expiration_timestamp=now + self.behaviour.cart_lifetime,
            last_modified_user=caller.name,
            status=CartStatus.ACTIVE,
            line_items=self._cart_lines(record, lines),
            attributes={"objectType": "Cart"},
        )
        record.carts[cart.id] = CartRecord(cart=cart)
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
        rec.cart.line_items = self._cart_lines(record, cart.line_items)
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
        orders = [self._new_order(record, lines, now) for lines in groups.values()]
        rec.cart.status = CartStatus.ORDERED
        rec.checkout = CheckoutResult(orders=orders, order_errors=[])
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
                _entry(line.offer_id), stored, deadline, now, self.behaviour, by_order=True
            )
        for line in targets:
            self._zero_line(record, stored, line)
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
            _entry(stored.offer_id),
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
            self._zero_line(record, rec.order, line)
        else:
            stored.status = SubscriptionStatus.DELETED
        return stored

    @_operation("listEntitlements", app_user_only=True)
    def list_entitlements(self, customer_id: str, *, caller: Caller) -> list[Entitlement]:
        record = self.customer_record(customer_id)
        found = []
        for rec in sorted(record.orders.values(), key=lambda r: _created(r.order)):
            order = rec.order
            if rec.completes_at is not None or order.status == OrderStatus.PENDING_PO_UPLOAD:
                continue
            for line in order.line_items:
                entry = _entry(line.offer_id)
                if entry.kind is Kind.NEW_COMMERCE:
                    continue
                if line.quantity == 0 and self.behaviour.cancelled_entitlements_vanish:
                    continue
                found.append(_entitlement(order, line, entry, record))
        return found

    async def close(self) -> None:
        return None

    # -- machinery ---------------------------------------------------------------------------

    def _customers(self) -> list[CustomerRecord]:
        return sorted(
            self.world.customers.values(), key=lambda r: (r.customer.name.lower(), r.customer.id)
        )

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _generation(self) -> int:
        age = self.now() - self.world.catalog_epoch
        return self.world.catalog_shift + max(0, age // self.behaviour.catalog_rotation)

    def _availability(self, entry: CatalogueEntry, country: str) -> Availability:
        aid = availability_id(entry, self._generation())
        currency = "USD" if country.upper() == "US" else "EUR"
        return Availability(
            id=aid,
            product_id=entry.product_id,
            sku_id=entry.sku_id,
            catalog_item_id=str(CatalogItemId(entry.product_id, entry.sku_id, aid)),
            default_currency=Currency(code=currency, symbol="$" if currency == "USD" else "€"),
            segment="commercial",
            country=country.upper(),
            is_purchasable=True,
            is_renewable=bool(entry.terms),
            terms=[Term(duration=t, description=_TERM_WORDS.get(t, t)) for t in entry.terms],
            attributes={"objectType": "Availability"},
        )

    def _known_item(self, catalog_item_id: str) -> tuple[CatalogueEntry, bool] | None:
        """The entry of an id, and whether the id is today's; None when it never existed."""
        try:
            item = CatalogItemId.parse(catalog_item_id)
        except ValueError:
            return None
        entry = ENTRIES.get((item.product_id, item.sku_id))
        if entry is None:
            return None
        current = self._generation()
        for generation in range(current, -1, -1):
            if availability_id(entry, generation) == item.availability_id:
                return entry, generation == current
        return None

    def _check_current(self, catalog_item_id: str) -> None:
        known = self._known_item(catalog_item_id)
        if known is None or not known[1]:
            raise errors.StaleCatalogItem(
                description=f"The catalog item {catalog_item_id} is no longer available."
            )

    def _cart_lines(
        self, record: CustomerRecord, lines: Sequence[CartLineItem]
    ) -> list[CartLineItem]:
        if not lines:
            raise errors.BadRequest(description="A cart needs at least one line item.")
        made = []
        for number, line in enumerate(lines):
            known = self._known_item(line.catalog_item_id)
            entry = known[0] if known else None
            rules.check_line(
                entry,
                line.catalog_item_id,
                line.quantity,
                None if line.billing_cycle is None else str(line.billing_cycle),
                line.term_duration,
            )
            group = "0" if str(line.billing_cycle) == "one_time" else "1"  # inferred grouping
            made.append(
                line.model_copy(
                    update={"id": number, "currency_code": record.currency, "order_group": group}
                )
            )
        return made

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

    def _new_order(
        self, record: CustomerRecord, lines: Sequence[CartLineItem], created: datetime
    ) -> Order:
        order_id = self._order_id()
        customer = record.customer.id
        base = f"/customers/{customer}/orders/{order_id}"
        items = []
        for number, line in enumerate(lines):
            item = CatalogItemId.parse(line.catalog_item_id)
            product = f"/products/{item.product_id}"
            items.append(
                OrderLineItem(
                    line_item_number=number,
                    offer_id=line.catalog_item_id,
                    friendly_name=line.friendly_name or _entry(line.catalog_item_id).sku_title,
                    quantity=line.quantity,
                    term_duration=line.term_duration,
                    billing_cycle=line.billing_cycle,
                    transaction_type="New",
                    links={
                        "product": {"uri": product, "method": "GET", "headers": []},
                        "sku": {"uri": f"{product}/skus/{item.sku_id}", "method": "GET"},
                        "availability": {
                            "uri": f"{product}/skus/{item.sku_id}/availabilities/"
                            f"{item.availability_id}",
                            "method": "GET",
                        },
                    },
                )
            )
        order = Order(
            id=order_id,
            alternate_id=f"{self._rng.getrandbits(48):012x}",
            reference_customer_id=customer,
            billing_cycle=lines[0].billing_cycle,
            currency_code=record.currency,
            currency_symbol="€" if record.currency == "EUR" else "$",
            creation_date=created,
            status=OrderStatus.PENDING,
            transaction_type="UserPurchase",
            line_items=items,
            attributes={"objectType": "Order"},
            links={
                "self": {"uri": base, "method": "GET", "headers": []},
                "provisioningStatus": {"uri": base + "/provisioningstatus", "method": "GET"},
                "patchOperation": {"uri": base, "method": "PATCH"},
            },
        )
        record.orders[order_id] = OrderRecord(
            order=order,
            completes_at=created + self.behaviour.order_duration,
            listed_at=created + self.behaviour.list_delay,
        )
        return order.model_copy(deep=True)

    def _order_id(self) -> str:
        """The long shape of Microsoft's order ids (`2y6dF_rVgDAXMxypQPPnTquuXhKVK_3N1`) [D]."""
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
        return "".join(self._rng.choice(alphabet) for _ in range(33))

    def _advance(self) -> None:
        """Complete the orders whose time has come: subscription lines get their subscription
        (never a perpetual line [D order-resources]); Access/Excel LTSC wait for a PO."""
        now = self.now()
        for record in self.world.customers.values():
            for rec in record.orders.values():
                if rec.completes_at is None or rec.completes_at > now:
                    continue
                rec.completes_at = None
                order = rec.order
                entries = [_entry(li.offer_id) for li in order.line_items]
                if any(e.needs_po for e in entries):
                    order.status = OrderStatus.PENDING_PO_UPLOAD
                    continue
                order.status = OrderStatus.COMPLETED
                for line, entry in zip(order.line_items, entries, strict=True):
                    if entry.terms:
                        self._subscribe(record, order, line, entry)

    def _subscribe(
        self, record: CustomerRecord, order: Order, line: OrderLineItem, entry: CatalogueEntry
    ) -> None:
        created = order.creation_date or self.now()
        sub_id = self._uuid()
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
            cancellation_allowed_until_date=rules.subscription_deadline(
                created, entry.kind, self.behaviour
            ),
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

    def _zero_line(self, record: CustomerRecord, order: Order, line: OrderLineItem) -> None:
        line.quantity = 0
        sub = record.subscriptions.get(line.subscription_id or "")
        if sub is not None:
            sub.status = SubscriptionStatus.DELETED
        order.status = rules.status_after_cancel(order)

    def _seed(self) -> None:
        now = self.now()
        for number, seed in enumerate(SEED, start=1):
            record = CustomerRecord(customer=seed_customer(seed, number))
            self.world.customers[seed.tenant_id] = record
            for purchase in seed.purchases:
                self._new_order(record, [_seed_line(purchase)], now - purchase.age)
        self._advance()


# --- how the world looks on the wire --------------------------------------------------------


def _created(item: Order | Subscription) -> datetime:
    return item.creation_date or _LONG_AGO


def _entry(offer_id: str | None) -> CatalogueEntry:
    item = CatalogItemId.parse(offer_id or "::x")
    return ENTRIES[(item.product_id, item.sku_id)]


def _seed_line(purchase: SeedPurchase) -> CartLineItem:
    entry = ENTRIES[(purchase.product_id, purchase.sku_id)]
    return CartLineItem(
        catalog_item_id=catalog_item_id(entry, 0),
        quantity=purchase.quantity,
        billing_cycle=purchase.billing_cycle,
        term_duration=purchase.term,
    )


def _product(entry: CatalogueEntry) -> Product:
    return Product(
        id=entry.product_id,
        title=entry.title,
        description=f"{entry.title} ({entry.kind.value.replace('_', ' ')})",
        product_type=ProductType(**entry.product_type),
        is_microsoft_product=True,
        publisher_name="Microsoft Corporation",
        attributes={"objectType": "Product"},
        links={"skus": {"uri": f"/products/{entry.product_id}/skus", "method": "GET"}},
    )


def _sku(entry: CatalogueEntry) -> Sku:
    return Sku(
        id=entry.sku_id,
        product_id=entry.product_id,
        title=entry.sku_title,
        description=entry.sku_title,
        minimum_quantity=entry.minimum_quantity,
        maximum_quantity=entry.maximum_quantity,
        supported_billing_cycles=list(entry.billing_cycles),
        purchase_prerequisites=[],
        provisioning_variables=[],
        dynamic_attributes={"isSoftwareSubscription": entry.kind is Kind.SUBSCRIPTION},
        attributes={"objectType": "Sku"},
    )


def _entitlement(
    order: Order, line: OrderLineItem, entry: CatalogueEntry, record: CustomerRecord
) -> Entitlement:
    """`entitledArtifacts` is empty for software in every example [D]; quantityDetails status
    values are unpublished (inferred: Active/Cancelled)."""
    sub = record.subscriptions.get(line.subscription_id or "")
    status = "Cancelled" if line.quantity == 0 else "Active"
    return Entitlement(
        reference_order=ReferenceOrder(
            id=order.id, line_item_id=str(line.line_item_number), alternate_id=order.alternate_id
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
