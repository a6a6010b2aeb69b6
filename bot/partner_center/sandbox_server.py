"""The Partner Center sandbox served over HTTP(S) as Partner Center serves `/v1`, with Entra ID's
token endpoint beside it.

Its purpose is to keep `client.py` honest: the contract suite runs the real client (msal for
tokens, aiohttp for the API) against this server, which checks every bearer token (signature,
audience, expiry; an App+User token without MFA is refused 401 900421), speaks Partner Center's
error bodies (and the odd 429 body with `Retry-After`), echoes `MS-RequestId` and
`MS-CorrelationId` and adds `MS-CV`/`MS-ServerId` [D headers], pages collections with
`links.next` + `MS-ContinuationToken` [SDK CustomerCollectionOperations.cs], and hands the
`MS-RequestId` of a write to the sandbox, which replays the first answer to a repeat.

Injected faults surface as in production: a Timeout holds the request for `hang_seconds`, then
answers 504; Unavailable drops the connection. It is also `csp-bot pc-sandbox`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.partner_center import errors
from bot.partner_center.catalog import TargetView
from bot.partner_center.customers import CustomerSearchField
from bot.partner_center.entra_standin import EntraStandIn
from bot.partner_center.errors import H_CORRELATION_ID, H_REQUEST_ID
from bot.partner_center.orders import Cart, CartLineItem, Order, OrderLineItem
from bot.partner_center.sandbox import PartnerCenterSandbox
from bot.partner_center.sandbox_rules import Caller
from bot.partner_center.software import Subscription, SubscriptionStatus
from bot.provider.base import ProviderError, ProviderTimeout, ProviderUnavailable

PREFIX = "/v1"
H_CONTINUATION = "MS-ContinuationToken"


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    request_id: str | None
    correlation_id: str | None
    caller: str | None
    continuation: str | None = None


@dataclass
class ServerOptions:
    """How the server pages and answers where Microsoft leaves a choice."""

    #: Page every collection after this many items (None: only customers, by `size`); whether
    #: orders, subscriptions or entitlements page is an open question, so tests turn it on.
    page_size: int | None = None
    #: `links.next.uri` spelt without `/v1` (usual [D]), with it, or without a leading slash.
    next_uri_style: str = "bare"
    hang_seconds: float = 1.0


@dataclass
class ServerState:
    sandbox: PartnerCenterSandbox
    entra: EntraStandIn
    options: ServerOptions
    requests: list[SeenRequest] = field(default_factory=list)
    _node: str = field(default_factory=lambda: secrets.token_hex(3))


STATE = web.AppKey("partner_center_sandbox_state", ServerState)
CALLER = web.RequestKey("partner_center_caller", Caller)


def _answer(err: ProviderError, state: ServerState) -> web.Response:
    status = err.status or type(err).http_status
    resp = web.json_response(errors.error_body(err), status=status)
    if err.retry_after is not None:
        resp.headers["Retry-After"] = str(int(err.retry_after))
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return resp


@web.middleware
async def envelope(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Log the request, answer failures with Partner Center's bodies, echo the ids."""
    state = request.app[STATE]
    api = request.path.startswith(PREFIX + "/")
    if api:
        state.requests.append(
            SeenRequest(
                request.method,
                request.path_qs,
                request.headers.get(H_REQUEST_ID),
                request.headers.get(H_CORRELATION_ID),
                None,
                request.headers.get(H_CONTINUATION),
            )
        )
    try:
        resp = await handler(request)
    except ProviderTimeout as err:
        await asyncio.sleep(state.options.hang_seconds)
        resp = _answer(err, state)
    except ProviderUnavailable:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=503)
    except ProviderError as err:
        resp = _answer(err, state)
    except web.HTTPException as exc:
        if exc.status < 400 or not api:
            raise
        resp = web.json_response(
            {"code": 0, "description": exc.reason, "data": [], "source": "PartnerFD"},
            status=exc.status,
        )
    if api:
        for name in (H_REQUEST_ID, H_CORRELATION_ID):
            if name in request.headers:
                resp.headers[name] = request.headers[name]
        resp.headers["MS-CV"] = secrets.token_urlsafe(8) + ".0"
        resp.headers["MS-ServerId"] = f"sandbox-{state._node}"
    return resp


@web.middleware
async def bearer_auth(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every `/v1` call needs a token from the stand-in; the caller it names goes to the
    sandbox, which applies the MFA and App+User rules."""
    if not request.path.startswith(PREFIX + "/"):
        return await handler(request)
    state = request.app[STATE]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise errors.AuthenticationFailed(description="Authorization header is missing.")
    try:
        claims = state.entra.verify(token.strip())
    except jwt.InvalidTokenError as exc:
        raise errors.AuthenticationFailed(description=f"Invalid token: {exc}") from None
    if claims.get("tid") != state.entra.tenant_id:
        raise errors.AuthenticationFailed(description="The token is for another tenant.")
    request[CALLER] = state.entra.caller_of(claims)
    return await handler(request)


# --- helpers ------------------------------------------------------------------------------


def _wire(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _ok(value: Any, status: int = 200) -> web.Response:
    return web.json_response(_wire(value), status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise errors.BadRequest(description="The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise errors.BadRequest(description="The request body must be a JSON object.")
    return data


def _model(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.BadRequest(description=f"Invalid body: {exc.errors()[0]['msg']}") from None


def _token(offset: int, path: str) -> str:
    raw = json.dumps({"o": offset, "p": path}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str, path: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["p"] == path and isinstance(data["o"], int) and data["o"] >= 0:
            return data["o"]
    except (ValueError, KeyError, TypeError):
        pass
    raise errors.BadRequest(description="The continuation token is invalid.")


def _collection(
    request: web.Request, items: Sequence[Any], object_type: str, size: int | None = None
) -> web.Response:
    """One page of `items` with `links.next` (uri + MS-ContinuationToken header) when more
    remain."""
    state = request.app[STATE]
    size = min((x for x in (size, state.options.page_size) if x), default=None)
    resource = request.path.removeprefix(PREFIX)
    token = request.headers.get(H_CONTINUATION)
    start = _offset(token, resource) if token else 0
    end = len(items) if not size else start + size
    page = list(items[start:end])
    links: dict[str, Any] = {"self": {"uri": request.path_qs.removeprefix(PREFIX), "method": "GET"}}
    if end < len(items):
        query = {k: v for k, v in request.query.items() if k != "seekOperation"}
        query["seekOperation"] = "Next"
        uri = resource + "?" + urlencode(query)
        style = state.options.next_uri_style
        uri = PREFIX + uri if style == "v1" else uri.lstrip("/") if style == "relative" else uri
        links["next"] = {
            "uri": uri,
            "method": "GET",
            "headers": [{"key": H_CONTINUATION, "value": _token(end, resource)}],
        }
    return web.json_response(
        {
            "totalCount": len(page),
            "items": _wire(page),
            "links": links,
            "attributes": {"objectType": object_type},
        }
    )


def _filter_prefix(raw: str) -> str:
    """The `starts_with` value of a Domain filter [D get-a-customer-by-name]."""
    try:
        data = json.loads(raw)
        field_name, value = data["Field"], data["Value"]
    except (ValueError, KeyError, TypeError):
        raise errors.BadRequest(description="The filter is not valid JSON.") from None
    if str(field_name).lower() != CustomerSearchField.DOMAIN.lower() or not isinstance(value, str):
        raise errors.BadRequest(description="The sandbox filters customers by Domain only.")
    if str(data.get("Operator", "")).lower() != "starts_with":
        raise errors.BadRequest(description="Only the starts_with operator is supported.")
    return value


# --- routes -------------------------------------------------------------------------------


def partner_center_routes(sandbox: PartnerCenterSandbox) -> list[web.RouteDef]:
    customer = PREFIX + "/customers/{cid}"

    def who(request: web.Request) -> dict[str, Caller]:
        return {"caller": request[CALLER]}

    def rid(request: web.Request) -> str | None:
        return request.headers.get(H_REQUEST_ID)

    def cid(request: web.Request) -> str:
        return request.match_info["cid"]

    async def customers(request: web.Request) -> web.Response:
        raw = request.query.get("filter")
        if raw:
            found = await sandbox.find_customers(_filter_prefix(raw), **who(request))
        else:
            found = await sandbox.list_customers(**who(request))
        try:
            size = int(request.query.get("size", "0"))
        except ValueError:
            raise errors.BadRequest(description="size must be a number.") from None
        return _collection(request, found, "Customer", size if size > 0 else None)

    async def get_customer(request: web.Request) -> web.Response:
        return _ok(await sandbox.get_customer(cid(request), **who(request)))

    def country(request: web.Request) -> str:
        value = request.query.get("country")
        if not value:
            raise errors.BadRequest(description="The country parameter is required.")
        return value

    async def products(request: web.Request) -> web.Response:
        view = request.query.get("targetView") or ""
        known = {v.lower(): v for v in TargetView}
        found = await sandbox.list_products(
            country(request), known.get(view.lower(), view), **who(request)
        )
        return _collection(request, found, "Product")

    async def skus(request: web.Request) -> web.Response:
        found = await sandbox.list_skus(request.match_info["pid"], country(request), **who(request))
        return _collection(request, found, "Sku")

    async def availabilities(request: web.Request) -> web.Response:
        m = request.match_info
        found = await sandbox.list_availabilities(
            m["pid"], m["sid"], country(request), **who(request)
        )
        return _collection(request, found, "Availability")

    async def create_cart(request: web.Request) -> web.Response:
        body = await _body(request)
        lines = [_model(CartLineItem, li) for li in body.get("lineItems") or []]
        cart = await sandbox.create_cart(
            cid(request), lines, request_id=rid(request), **who(request)
        )
        return _ok(cart, 201)

    async def get_cart(request: web.Request) -> web.Response:
        return _ok(await sandbox.get_cart(cid(request), request.match_info["cart"], **who(request)))

    async def put_cart(request: web.Request) -> web.Response:
        cart = _model(Cart, {**await _body(request), "id": request.match_info["cart"]})
        answer = await sandbox.update_cart(
            cid(request), cart, request_id=rid(request), **who(request)
        )
        return _ok(answer)

    async def checkout(request: web.Request) -> web.Response:
        result = await sandbox.checkout(
            cid(request), request.match_info["cart"], request_id=rid(request), **who(request)
        )
        return _ok(result, 201)

    async def orders(request: web.Request) -> web.Response:
        found = await sandbox.list_orders(cid(request), **who(request))
        billing = request.query.get("billingType")
        if billing:
            found = [o for o in found if str(o.billing_cycle) == billing]
        return _collection(request, found, "Order")

    async def get_order(request: web.Request) -> web.Response:
        return _ok(await sandbox.get_order(cid(request), request.match_info["oid"], **who(request)))

    async def patch_order(request: web.Request) -> web.Response:
        body = await _body(request)
        if str(body.get("status", "")).lower() != "cancelled":
            raise errors.BadRequest(description="Only status cancelled is supported.")
        raw_lines = body.get("lineItems") or []
        lines = [_model(OrderLineItem, li) for li in raw_lines]
        order = Order(id=request.match_info["oid"], line_items=lines)
        numbers = [li.line_item_number for li in lines] if raw_lines else None
        answer = await sandbox.cancel_order(
            cid(request), order, numbers, request_id=rid(request), **who(request)
        )
        return _ok(answer)

    async def provisioning(request: web.Request) -> web.Response:
        found = await sandbox.provisioning_status(
            cid(request), request.match_info["oid"], **who(request)
        )
        return _collection(request, found, "OrderLineItemProvisioningStatus")

    async def subscriptions(request: web.Request) -> web.Response:
        found = await sandbox.list_subscriptions(
            cid(request), request.query.get("order_id"), **who(request)
        )
        return _collection(request, found, "Subscription")

    async def get_subscription(request: web.Request) -> web.Response:
        sub_id = request.match_info["sub"]
        return _ok(await sandbox.get_subscription(cid(request), sub_id, **who(request)))

    async def patch_subscription(request: web.Request) -> web.Response:
        sub_id = request.match_info["sub"]
        sub = _model(Subscription, {**await _body(request), "id": sub_id})
        if str(sub.status) != SubscriptionStatus.DELETED:
            raise errors.BadRequest(
                description="The sandbox changes a subscription's status to deleted only."
            )
        answer = await sandbox.cancel_subscription(
            cid(request), sub, request_id=rid(request), **who(request)
        )
        if sandbox.behaviour.subscription_patch_accepted:
            where = f"/customers/{cid(request)}/subscriptions/{sub_id}"
            return web.Response(status=202, headers={"Location": where})
        return _ok(answer)

    async def entitlements(request: web.Request) -> web.Response:
        kind = request.query.get("entitlementType")
        found = await sandbox.list_entitlements(cid(request), **who(request))
        if kind:
            found = [e for e in found if str(e.entitlement_type).lower() == kind.lower()]
        return _collection(request, found, "Entitlement")

    order = customer + "/orders/{oid}"
    cart = customer + "/carts/{cart}"
    sku = PREFIX + "/products/{pid}/skus/{sid}"
    return [
        web.get(PREFIX + "/customers", customers),
        web.get(customer, get_customer),
        web.get(PREFIX + "/products", products),
        web.get(PREFIX + "/products/{pid}/skus", skus),
        web.get(sku + "/availabilities", availabilities),
        web.post(customer + "/carts", create_cart),
        web.get(cart, get_cart),
        web.put(cart, put_cart),
        web.post(cart + "/checkout", checkout),
        web.get(customer + "/orders", orders),
        web.get(order, get_order),
        web.patch(order, patch_order),
        web.get(order + "/provisioningstatus", provisioning),
        web.get(customer + "/subscriptions", subscriptions),
        web.get(customer + "/subscriptions/{sub}", get_subscription),
        web.patch(customer + "/subscriptions/{sub}", patch_subscription),
        web.get(customer + "/entitlements", entitlements),
    ]


def create_partner_center_app(
    sandbox: PartnerCenterSandbox, entra: EntraStandIn, options: ServerOptions | None = None
) -> web.Application:
    """Partner Center's `/v1` and, on the same origin, Entra ID's token endpoint for `entra`'s
    tenant (point PARTNER_CENTER_API_URL and PARTNER_CENTER_AUTHORITY_URL at it)."""
    app = web.Application(middlewares=[envelope, bearer_auth])
    app[STATE] = ServerState(sandbox, entra, options or ServerOptions())
    app.router.add_routes(partner_center_routes(sandbox))
    app.router.add_routes(entra.routes())
    return app


async def start_partner_center_server(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[web.AppRunner, str]:
    """Start `app`; returns the runner and its base URL (`https://host:port` with TLS, which
    msal needs for the token endpoint). Stop with `await runner.cleanup()`."""
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    bound = runner.addresses[0][1]
    scheme = "https" if ssl_context else "http"
    return runner, f"{scheme}://{host}:{bound}"
