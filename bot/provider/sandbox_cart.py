"""OVHcloud's generic order cart, as much of it as ordering a csp2 license group needs.

Cart → assign → csp2 offers and items (and options) → requiredConfiguration → configuration →
checkout, shaped after OVHcloud's order schema (UrielCh/api-ovh-node
`code/gen/models/ovh-api/order.ts`: `order.cart.Cart`, `Item`, `GenericProductDefinition`,
`GenericOptionDefinition`, `ConfigurationRequirements`, `ConfigurationItem`, `order.Order`) and
ovh/order-cart-examples. The csp2 catalogue and labels are unpublished, so the sandbox offers
both plausible shapes (`SandboxProvider.cart_shape`): a license-group offer whose options are
the licences ("options"), or one offer per licence ("items"); it asks what
`SandboxProvider.order_requirements` say, checks every value by its type, and a checkout
leaves an order that waits for payment unless it asked to be paid at once (see
`sandbox_orders`). Plan codes and prices are demo values (`sandbox_data.CATALOGUE`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.core.domain import CustomerContact, LicenseLine, NewTenantOrder
from bot.provider import sandbox_orders
from bot.provider.base import BadParameters, NotFound
from bot.provider.cart_config import CONTACT_TYPE, Requirement, order_field
from bot.provider.sandbox import OPTIONS_SHAPE, SandboxProvider
from bot.provider.sandbox_data import CATALOGUE, CatalogueEntry

#: The sandbox's license-group offer in the "options" shape (a demo plan code).
GROUP_PLAN_CODE = "csp2-license-group"
GROUP_PRODUCT_NAME = "Microsoft 365 license group (CSP2)"


@dataclass
class CartItem:
    item_id: int
    plan_code: str
    duration: str
    pricing_mode: str
    quantity: int
    entry: CatalogueEntry | None = None  # the licence; None for the license-group item
    parent_id: int | None = None
    config: dict[str, str] = field(default_factory=dict)  # label → value
    config_ids: list[int] = field(default_factory=list)


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
    """The carts and the account's contacts (`/me/contact`) of one sandbox server."""

    carts: dict[str, Cart] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_item_id: int = 150_000_001
    next_config_id: int = 70_000_001
    next_contact_id: int = 8_400_001


def bad(message: str) -> BadParameters:
    return BadParameters(message, status=400, error_class="Client::BadRequest")


def not_found(message: str) -> NotFound:
    return NotFound(message, status=404, error_class="Client::NotFound")


async def body_of(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        raise bad("Invalid JSON body") from None
    if not isinstance(data, dict):
        raise bad("The body must be a JSON object")
    return data


# --- the catalogue ----------------------------------------------------------------------------


def _price(value: float, limit: int | None) -> dict[str, Any]:
    value = round(value, 2)
    return {
        "capacities": ["installation", "renew"],
        "description": "Monthly fee",
        "duration": "P1M",
        "interval": 1,
        "minimumQuantity": 1,
        "maximumQuantity": limit or 10_000,
        "minimumRepeat": 1,
        "maximumRepeat": 1,
        "price": {"currencyCode": "EUR", "text": f"{value:.2f} €", "value": value},
        "priceInUcents": round(value * 100_000_000),
        "pricingMode": "default",
        "pricingType": "rental",
    }


def _licences() -> list[CatalogueEntry]:
    """What a new license group may be ordered with: no add-on, nothing closed."""
    return [
        e for e in CATALOGUE.values() if e.licence_type != "ADDON" and e.new_subscriptions_allowed
    ]


def _name(sandbox: SandboxProvider, entry: CatalogueEntry) -> str:
    return entry.name + sandbox.cart_name_suffix


def offers(sandbox: SandboxProvider) -> list[dict[str, Any]]:
    """`GET /order/cart/{cartId}/csp2`: the main offers."""
    shape = sandbox.cart_shape
    if shape == OPTIONS_SHAPE:
        group = {"planCode": GROUP_PLAN_CODE, "productName": GROUP_PRODUCT_NAME}
        return [{**group, "productType": "delivery", "prices": [_price(0, 1)]}]
    return [
        {"planCode": e.plan_code, "productName": _name(sandbox, e), "productType": "delivery",
         "prices": [_price(e.monthly_price, e.limit)]}
        for e in _licences()
    ]  # fmt: skip


def options(sandbox: SandboxProvider, plan_code: str) -> list[dict[str, Any]]:
    """`GET …/csp2/options?planCode=`: the licences, as options of the license-group offer."""
    if sandbox.cart_shape != OPTIONS_SHAPE or plan_code != GROUP_PLAN_CODE:
        return []
    return [
        {"planCode": e.plan_code, "productName": _name(sandbox, e), "productType": "delivery",
         "family": "license", "mandatory": False, "exclusive": False,
         "prices": [_price(e.monthly_price, e.limit)]}
        for e in _licences()
    ]  # fmt: skip


def _item_json(cart: Cart, item: CartItem) -> dict[str, Any]:
    return {
        "itemId": item.item_id,
        "cartId": cart.cart_id,
        "productId": "csp2",
        "duration": item.duration,
        "offerId": None,
        "parentItemId": item.parent_id,
        "settings": {
            "planCode": item.plan_code,
            "pricingMode": item.pricing_mode,
            "quantity": item.quantity,
        },
        "configurations": list(item.config_ids),
        "options": [i.item_id for i in cart.items.values() if i.parent_id == item.item_id],
        "prices": [],
    }


# --- configuration ----------------------------------------------------------------------------


def requirements_of(sandbox: SandboxProvider, item: CartItem) -> list[Requirement]:
    """What an item must be configured with: the license-group item, or (one offer per
    licence) every item; a licence option takes no configuration of its own."""
    if item.parent_id is not None:
        return []
    return list(sandbox.order_requirements)


def check_value(book: CartBook, req: Requirement, value: Any) -> str:
    """A configuration value as OVHcloud's cart types accept it (configuration.en.md)."""
    if not isinstance(value, str) or not value:
        raise bad(f"[value] A value is required for {req.label}")
    kind = req.kind
    if kind == "boolean" and value not in ("true", "false"):
        raise bad(f'[value] {req.label} is a Boolean: "true" or "false", not {value!r}')
    if kind == "integer" and not value.isdigit():
        raise bad(f"[value] {req.label} is an Integer: digits only, not {value!r}")
    if kind == CONTACT_TYPE:
        prefix = CONTACT_TYPE + "/"
        contact_id = value.removeprefix(prefix)
        if not value.startswith(prefix) or not contact_id.isdigit():
            raise bad(f"[value] {req.label} expects the path of a contact ({prefix}{{id}})")
        contact = book.contacts.get(int(contact_id))
        if contact is None:
            raise bad(f"[value] {value} does not exist")
        absent = [f for f in req.fields or [] if not contact.get(f.partition(".")[0])]
        if absent:
            raise bad(f"[value] The contact lacks {', '.join(absent)}, which {req.label} needs")
    elif kind.startswith("/"):
        raise bad(f"[value] The sandbox cannot check a {req.type} value")
    return value


def order_from(book: CartBook, sandbox: SandboxProvider, cart: Cart) -> NewTenantOrder:
    """What the configured labels (and the contact they point at) say, as the order the
    sandbox understands."""
    kinds = {r.label: r.kind for r in sandbox.order_requirements}
    values: dict[str, str] = {}
    contact: dict[str, Any] = {}
    for item in cart.items.values():
        for label, value in item.config.items():
            if kinds.get(label) == CONTACT_TYPE:
                contact = contact or book.contacts[int(value.rsplit("/", 1)[1])]
            elif kinds.get(label) == "string" and (order_key := order_field(label)):
                values.setdefault(order_key, value)
    address = contact.get("address") or {}
    person = {
        "first_name": contact.get("firstName"), "last_name": contact.get("lastName"),
        "email": contact.get("email"), "phone": contact.get("phone"),
        "address": address.get("line1"), "city": address.get("city"),
        "zip_code": address.get("zip"), "country": address.get("country"),
    }  # fmt: skip
    fields = {f: values.get(f) or person.get(f) or "" for f in CustomerContact.model_fields}
    return NewTenantOrder(
        mpn_id=values.get("mpn_id", ""),
        subdomain=values.get("subdomain"),
        display_name=values.get("display_name") or contact.get("organisationName"),
        contact=CustomerContact(**fields),
        licenses=[
            LicenseLine(license_id=i.entry.id, quantity=i.quantity)
            for i in cart.items.values()
            if i.entry is not None
        ],
    )


# --- the routes -------------------------------------------------------------------------------


def cart_routes(prefix: str, sandbox: SandboxProvider, book: CartBook) -> list[web.RouteDef]:
    base = f"{prefix}/order/cart"
    one = base + "/{cartId}"
    item_path = one + "/item/{itemId:\\d+}"

    def cart_of(request: web.Request) -> Cart:
        cart = book.carts.get(request.match_info["cartId"])
        if cart is None or cart.checked_out:
            raise not_found("This cart does not exist")
        return cart

    def item_of(request: web.Request) -> tuple[Cart, CartItem]:
        cart = cart_of(request)
        item = cart.items.get(int(request.match_info["itemId"]))
        if item is None:
            raise not_found("This item does not exist")
        return cart, item

    def new_item(cart: Cart, body: dict[str, Any], **what: Any) -> CartItem:
        if body.get("duration") != "P1M" or body.get("pricingMode") != "default":
            raise bad("This duration and pricing mode are not offered for this product")
        quantity = body.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise bad("[quantity] must be at least 1")
        item = CartItem(
            book.next_item_id, str(body["planCode"]), "P1M", "default", quantity, **what
        )
        book.next_item_id += 1
        cart.items[item.item_id] = item
        return item

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
            raise bad("[ovhSubsidiary] Property is mandatory")
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
        cart = cart_of(request)
        if cart.subsidiary != sandbox.subsidiary:  # inferred: an account buys from its own
            raise bad(
                f"This cart was made for {cart.subsidiary}; the account is {sandbox.subsidiary}"
            )
        cart.assigned = True
        return web.json_response(None)

    async def list_offers(request: web.Request) -> web.Response:
        cart_of(request)
        return web.json_response(offers(sandbox))

    async def list_options(request: web.Request) -> web.Response:
        cart_of(request)
        plan_code = request.query.get("planCode")
        if not plan_code:
            raise bad("[planCode] Property is mandatory")
        return web.json_response(options(sandbox, plan_code))

    async def add_item(request: web.Request) -> web.Response:
        cart, body = cart_of(request), await body_of(request)
        code = body.get("planCode")
        if sandbox.cart_shape == OPTIONS_SHAPE:
            if code != GROUP_PLAN_CODE:
                raise bad(f"Unknown planCode {code!r}")
            if body.get("quantity") != 1:
                raise bad("[quantity] One license group per item")
            entry = None
        else:
            entry = next((e for e in _licences() if e.plan_code == code), None)
            if entry is None:
                raise bad(f"Unknown planCode {code!r}")
        sandbox.record("addCartItem", body)
        item = new_item(cart, body, entry=entry)
        return web.json_response(_item_json(cart, item))

    async def add_option(request: web.Request) -> web.Response:
        cart, body = cart_of(request), await body_of(request)
        item_id = body.get("itemId")
        parent = cart.items.get(item_id) if isinstance(item_id, int) else None
        if parent is None or parent.entry is not None or parent.parent_id is not None:
            raise bad(f"[itemId] {body.get('itemId')!r} is not a license group in this cart")
        codes = {o["planCode"] for o in options(sandbox, parent.plan_code)}
        if body.get("planCode") not in codes:
            raise bad(f"Unknown option {body.get('planCode')!r} for {parent.plan_code}")
        entry = next(e for e in _licences() if e.plan_code == body["planCode"])
        if (
            entry.limit is not None
            and isinstance(body.get("quantity"), int)
            and (body["quantity"] > entry.limit)
        ):
            raise bad(f"[quantity] {entry.name} is limited to {entry.limit}")
        sandbox.record("addCartOption", body)
        item = new_item(cart, body, entry=entry, parent_id=parent.item_id)
        return web.json_response(_item_json(cart, item))

    async def get_item(request: web.Request) -> web.Response:
        cart, item = item_of(request)
        return web.json_response(_item_json(cart, item))

    async def required(request: web.Request) -> web.Response:
        _, item = item_of(request)
        return web.json_response([r.model_dump() for r in requirements_of(sandbox, item)])

    async def configure(request: web.Request) -> web.Response:
        (_, item), body = item_of(request), await body_of(request)
        label = body.get("label")
        req = next((r for r in requirements_of(sandbox, item) if r.label == label), None)
        if req is None:
            raise bad(f"Unknown configuration label {label!r}")
        label = req.label  # the same text, as the requirement's str
        item.config[label] = check_value(book, req, body.get("value"))
        sandbox.record("configureCartItem", body, target=item.item_id)
        config_id = book.next_config_id
        book.next_config_id += 1
        item.config_ids.append(config_id)
        return web.json_response({"id": config_id, "label": label, "value": item.config[label]})

    def check_complete(cart: Cart) -> None:
        if not any(i.entry is not None for i in cart.items.values()):
            raise bad("The cart holds no license")
        for item in cart.items.values():
            missing = [
                r.label
                for r in requirements_of(sandbox, item)
                if r.required and r.label not in item.config
            ]
            if missing:
                raise bad(f"Item {item.item_id} misses configuration: {', '.join(missing)}")

    async def checkout(request: web.Request) -> web.Response:
        cart = cart_of(request)
        check_complete(cart)
        order = order_from(book, sandbox, cart)
        if request.method == "GET":  # a preview: nothing is ordered
            preview = sandbox_orders.preview(order)
            return web.json_response(sandbox_orders.order_json(preview))
        if not cart.assigned:
            raise bad("The cart is not assigned to an account")
        body = await body_of(request)
        paid = body.get("autoPayWithPreferredPaymentMethod") is True
        sandbox.record("checkoutCart", body)
        record = await sandbox.place_order(order, paid)
        cart.checked_out = True
        order_id = record.order_id if sandbox.checkout_order_ids else None
        return web.json_response(sandbox_orders.order_json(record, order_id))

    return [
        web.post(base, create),
        web.get(one, get_cart),
        web.delete(one, delete_cart),
        web.post(one + "/assign", assign),
        web.get(one + "/csp2", list_offers),
        web.post(one + "/csp2", add_item),
        web.get(one + "/csp2/options", list_options),
        web.post(one + "/csp2/options", add_option),
        web.get(item_path, get_item),
        web.get(item_path + "/requiredConfiguration", required),
        web.post(item_path + "/configuration", configure),
        web.get(one + "/checkout", checkout),
        web.post(one + "/checkout", checkout),
    ]
