"""OVHcloud's generic order cart, as much of it as ordering a csp2 license group needs.

Cart → assign → csp2 offers and items → requiredConfiguration → configuration → checkout. The
csp2 plan codes and configuration labels are not published; the sandbox's own are in
`sandbox_data.CATALOGUE` (plan codes) and `SandboxProvider.order_labels` (required labels),
so a test can add a label no order fills and watch the client refuse the order. Checking out
creates the license group at once, as if paid.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.domain import CustomerContact, LicenseLine, NewTenantOrder
from bot.provider.base import BadParameters, NotFound
from bot.provider.cart_config import order_field
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_data import CATALOGUE, CatalogueEntry

#: Labels accepted but never required by the sandbox cart.
OPTIONAL_LABELS = ("subdomain", "displayName")
_CONTACT_FIELDS = tuple(CustomerContact.model_fields)


@dataclass
class CartItem:
    item_id: int
    entry: CatalogueEntry
    duration: str
    pricing_mode: str
    quantity: int
    config: dict[str, str] = field(default_factory=dict)  # label → value


@dataclass
class Cart:
    cart_id: str
    subsidiary: str
    description: str
    expire: datetime
    assigned: bool = False
    items: dict[int, CartItem] = field(default_factory=dict)
    checked_out: bool = False


@dataclass
class CartBook:
    carts: dict[str, Cart] = field(default_factory=dict)
    next_item_id: int = 150_000_001
    next_config_id: int = 70_000_001


def _bad(message: str) -> BadParameters:
    return BadParameters(message, status=400, error_class="Client::BadRequest")


def _price(entry: CatalogueEntry) -> dict[str, Any]:
    value = round(entry.monthly_price, 2)
    return {
        "capacities": ["installation", "renew"],
        "description": "Monthly fee",
        "duration": "P1M",
        "interval": 1,
        "minimumQuantity": 1,
        "maximumQuantity": entry.limit or 10_000,
        "minimumRepeat": 1,
        "maximumRepeat": 1,
        "price": {"currencyCode": "EUR", "text": f"{value:.2f} €", "value": value},
        "priceInUcents": round(value * 100_000_000),
        "pricingMode": "default",
        "pricingType": "rental",
    }


def offers() -> list[dict[str, Any]]:
    return [
        {
            "planCode": e.plan_code,
            "productName": e.name,
            "productType": "delivery",
            "prices": [_price(e)],
        }
        for e in CATALOGUE.values()
        if e.licence_type != "ADDON" and e.new_subscriptions_allowed
    ]


def _item_json(cart: Cart, item: CartItem) -> dict[str, Any]:
    return {
        "itemId": item.item_id,
        "cartId": cart.cart_id,
        "productId": "csp2",
        "duration": item.duration,
        "settings": {
            "planCode": item.entry.plan_code,
            "pricingMode": item.pricing_mode,
            "quantity": item.quantity,
        },
        "configurations": list(item.config),
        "options": [],
        "prices": [],
    }


def _order_from(cart: Cart) -> NewTenantOrder:
    """What the configured labels say, as the NewTenantOrder the sandbox understands."""
    values: dict[str, str] = {}
    for item in cart.items.values():
        for label, value in item.config.items():
            name = order_field(label)
            if name:
                values.setdefault(name, value)
    contact = CustomerContact(**{f: values.get(f, "") for f in _CONTACT_FIELDS})
    return NewTenantOrder(
        mpn_id=values.get("mpn_id", ""),
        subdomain=values.get("subdomain"),
        display_name=values.get("display_name"),
        contact=contact,
        licenses=[
            LicenseLine(license_id=i.entry.id, quantity=i.quantity) for i in cart.items.values()
        ],
    )


def _order_json(cart: Cart, order_id: int | None, url: str | None) -> dict[str, Any]:
    total = round(sum(i.entry.monthly_price * i.quantity for i in cart.items.values()), 2)
    return {
        "orderId": order_id,
        "url": url,
        "contracts": [],
        "details": [
            {"description": f"{i.entry.name} x{i.quantity}", "quantity": i.quantity, "domain": "*"}
            for i in cart.items.values()
        ],
        "prices": {"withoutTax": {"currencyCode": "EUR", "text": f"{total:.2f} €", "value": total}},
    }


def cart_routes(prefix: str, sandbox: SandboxProvider, book: CartBook) -> list[web.RouteDef]:
    base = f"{prefix}/order/cart"
    one = base + "/{cartId}"
    item_path = one + "/item/{itemId:\\d+}"

    async def body_of(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            raise _bad("Invalid JSON body") from None
        if not isinstance(data, dict):
            raise _bad("The body must be a JSON object")
        return data

    def cart_of(request: web.Request) -> Cart:
        cart = book.carts.get(request.match_info["cartId"])
        if cart is None or cart.checked_out:
            raise NotFound("This cart does not exist", status=404, error_class="Client::NotFound")
        return cart

    def item_of(request: web.Request) -> tuple[Cart, CartItem]:
        cart = cart_of(request)
        item = cart.items.get(int(request.match_info["itemId"]))
        if item is None:
            raise NotFound("This item does not exist", status=404, error_class="Client::NotFound")
        return cart, item

    def cart_json(cart: Cart) -> dict[str, Any]:
        return {
            "cartId": cart.cart_id,
            "description": cart.description,
            "expire": cart.expire.isoformat(),
            "items": list(cart.items),
            "readOnly": cart.checked_out,
        }

    async def create(request: web.Request) -> web.Response:
        body = await body_of(request)
        if not body.get("ovhSubsidiary"):
            raise _bad("[ovhSubsidiary] Property is mandatory")
        sandbox.record("createCart", body)
        cart = Cart(
            str(uuid.uuid4()),
            str(body["ovhSubsidiary"]),
            str(body.get("description", "")),
            datetime.now(UTC) + timedelta(days=1),
        )
        book.carts[cart.cart_id] = cart
        return web.json_response(cart_json(cart))

    async def get_cart(request: web.Request) -> web.Response:
        return web.json_response(cart_json(cart_of(request)))

    async def delete_cart(request: web.Request) -> web.Response:
        cart = cart_of(request)
        sandbox.record("deleteCart", {"cartId": cart.cart_id})
        del book.carts[cart.cart_id]
        return web.json_response(None)

    async def assign(request: web.Request) -> web.Response:
        cart_of(request).assigned = True
        return web.json_response(None)

    async def list_offers(request: web.Request) -> web.Response:
        cart_of(request)
        return web.json_response(offers())

    async def add_item(request: web.Request) -> web.Response:
        cart, body = cart_of(request), await body_of(request)
        entry = next((e for e in CATALOGUE.values() if e.plan_code == body.get("planCode")), None)
        if entry is None or entry.licence_type == "ADDON" or not entry.new_subscriptions_allowed:
            raise _bad(f"Unknown planCode {body.get('planCode')!r}")
        if body.get("duration") != "P1M" or body.get("pricingMode") != "default":
            raise _bad("This duration and pricing mode are not offered for this product")
        quantity = body.get("quantity")
        if not isinstance(quantity, int) or quantity < 1:
            raise _bad("[quantity] must be at least 1")
        sandbox.record("addCartItem", body)
        item = CartItem(book.next_item_id, entry, "P1M", "default", quantity)
        book.next_item_id += 1
        cart.items[item.item_id] = item
        return web.json_response(_item_json(cart, item))

    async def required(request: web.Request) -> web.Response:
        item_of(request)
        reqs = [
            {"label": label, "type": "string", "required": True, "fields": None}
            for label in sandbox.order_labels
        ]
        reqs += [
            {"label": label, "type": "string", "required": False, "fields": None}
            for label in OPTIONAL_LABELS
            if label not in sandbox.order_labels
        ]
        return web.json_response(reqs)

    async def configure(request: web.Request) -> web.Response:
        (_, item), body = item_of(request), await body_of(request)
        label, value = body.get("label"), body.get("value")
        if label not in (*sandbox.order_labels, *OPTIONAL_LABELS):
            raise _bad(f"Unknown configuration label {label!r}")
        if not isinstance(value, str) or not value:
            raise _bad(f"[value] A value is required for {label}")
        sandbox.record("configureCartItem", body, target=item.item_id)
        item.config[label] = value
        config_id = book.next_config_id
        book.next_config_id += 1
        return web.json_response({"id": config_id, "label": label, "value": value})

    async def checkout(request: web.Request) -> web.Response:
        cart = cart_of(request)
        if not cart.items:
            raise _bad("The cart is empty")
        if request.method == "GET":
            return web.json_response(_order_json(cart, None, None))
        if not cart.assigned:
            raise _bad("The cart is not assigned to an account")
        for item in cart.items.values():
            missing = [x for x in sandbox.order_labels if x not in item.config]
            if missing:
                raise _bad(f"Item {item.item_id} misses configuration: {', '.join(missing)}")
        sandbox.record("checkoutCart", await body_of(request))
        placed = await sandbox.place_order(_order_from(cart))
        cart.checked_out = True
        return web.json_response(_order_json(cart, placed.order_id, placed.url))

    return [
        web.post(base, create),
        web.get(one, get_cart),
        web.delete(one, delete_cart),
        web.post(one + "/assign", assign),
        web.get(one + "/csp2", list_offers),
        web.post(one + "/csp2", add_item),
        web.get(item_path + "/requiredConfiguration", required),
        web.post(item_path + "/configuration", configure),
        web.get(one + "/checkout", checkout),
        web.post(one + "/checkout", checkout),
    ]
