"""The few `/me` routes a new license group's order needs, as OVHcloud's /me schema has them
(UrielCh/api-ovh-node `code/gen/models/ovh-api/me.ts`):

- `GET /me` (`nichandle.Nichandle`): the account, whose `ovhSubsidiary` carts are made in;
- `POST /me/contact`, `GET /me/contact/{contactId}` (`me.contact.Contact`): the contact a
  `/me/contact` cart configuration points at; the schema's non-null fields are mandatory;
- `GET /me/order/{orderId}` (`billing.Order`), `…/status` (`billing.order.OrderStatusEnum`),
  `…/details` and `…/details/{orderDetailId}` (`billing.OrderDetail`);
- `POST /me/order/{orderId}/payWithRegisteredPaymentMean`: pays an order waiting for payment,
  as the account's registered payment mean would (the sandbox takes any).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.provider import sandbox_orders
from bot.provider.cart_config import CONTACT_LANGUAGES
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_cart import CartBook, bad, body_of, not_found

#: `nichandle.LegalFormEnum`.
LEGAL_FORMS = (
    "administration", "association", "corporation", "individual", "other", "personalcorporation",
)  # fmt: skip


def check_contact(body: dict[str, Any]) -> dict[str, Any]:
    """A `me.contact.Contact` to create: its non-null fields, and enums, are checked."""
    for name in ("email", "firstName", "lastName", "language", "legalForm", "address"):
        if not body.get(name):
            raise bad(f"[{name}] Property is mandatory")
    address = body["address"]
    if not isinstance(address, dict):
        raise bad("[address] Given data is not valid for type me.contact.Address")
    for name in ("line1", "city", "country"):
        if not address.get(name):
            raise bad(f"[address.{name}] Property is mandatory")
    if body["language"] not in CONTACT_LANGUAGES:
        raise bad(f"[language] Given data ({body['language']}) does not belong to the enum")
    if body["legalForm"] not in LEGAL_FORMS:
        raise bad(f"[legalForm] Given data ({body['legalForm']}) does not belong to the enum")
    if "@" not in str(body["email"]):
        raise bad(f"[email] Invalid email address: {body['email']}")
    return {k: v for k, v in body.items() if k != "id"}


def me_routes(prefix: str, sandbox: SandboxProvider, book: CartBook) -> list[web.RouteDef]:
    me = f"{prefix}/me"
    order = me + "/order/{orderId:\\d+}"

    def order_id(request: web.Request) -> int:
        return int(request.match_info["orderId"])

    async def account(request: web.Request) -> web.Response:
        return web.json_response({
            "nichandle": "sr12345-ovh",
            "ovhSubsidiary": sandbox.subsidiary,
            "ovhCompany": "ovh",
            "country": sandbox.subsidiary,
            "email": "reseller@sandbox.invalid",
            "legalform": "corporation",
            "currency": {"code": "EUR", "symbol": "€"},
            "state": "complete",
        })  # fmt: skip

    async def create_contact(request: web.Request) -> web.Response:
        contact = check_contact(await body_of(request))
        contact_id = book.next_contact_id
        book.next_contact_id += 1
        book.contacts[contact_id] = {**contact, "id": contact_id}
        sandbox.record("createContact", contact, target=contact_id)
        return web.json_response(book.contacts[contact_id])

    async def get_contact(request: web.Request) -> web.Response:
        contact = book.contacts.get(int(request.match_info["contactId"]))
        if contact is None:
            raise not_found("This contact does not exist")
        return web.json_response(contact)

    async def get_order(request: web.Request) -> web.Response:
        record = sandbox_orders.order_of(sandbox.world, order_id(request))
        price = sandbox_orders.order_json(record)["prices"]["withTax"]
        return web.json_response({
            "orderId": record.order_id, "date": record.placed_at.isoformat(),
            "expirationDate": None, "retractionDate": None, "url": record.url,
            "pdfUrl": record.url + ".pdf", "password": "sandbox",
            "priceWithTax": price, "priceWithoutTax": price, "tax": {**price, "value": 0},
        })  # fmt: skip

    async def status(request: web.Request) -> web.Response:
        return web.json_response(await sandbox.order_status(order_id(request)))

    async def details(request: web.Request) -> web.Response:
        found = await sandbox.order_details(order_id(request))
        return web.json_response([d["orderDetailId"] for d in found])

    async def detail(request: web.Request) -> web.Response:
        found = await sandbox.order_details(order_id(request))
        wanted = int(request.match_info["detailId"])
        match = next((d for d in found if d["orderDetailId"] == wanted), None)
        if match is None:
            raise not_found(f"The requested object (orderDetailId = {wanted}) does not exist")
        return web.json_response(match)

    async def pay(request: web.Request) -> web.Response:
        body = await body_of(request)
        if not body.get("paymentMean"):
            raise bad("[paymentMean] Property is mandatory")
        await sandbox.pay_order(order_id(request))
        return web.json_response(None)

    return [
        web.get(me, account),
        web.post(me + "/contact", create_contact),
        web.get(me + "/contact/{contactId:\\d+}", get_contact),
        web.get(order, get_order),
        web.get(order + "/status", status),
        web.get(order + "/details", details),
        web.get(order + "/details/{detailId:\\d+}", detail),
        web.post(order + "/payWithRegisteredPaymentMean", pay),
    ]
