"""The sandbox served over HTTP exactly as OVHcloud serves `/saas/csp2` (and the order cart,
and the `/me` routes an order needs).

Its purpose is to keep `ovh.py` honest: the contract suite runs the real client against this
server, which checks every signature, answers batch reads, speaks OVHcloud's error bodies and
tags every answer with an `X-OVH-QUERYID`. It is also `csp-bot sandbox --port N`, so a second
process (or a colleague's client) can practise against a realistic API.

Auth answers, as the official clients' issue threads show OVHcloud giving them (2016–2024),
each body with `errorCode`, `httpCode`, `message` and `class`: unknown application → 403
INVALID_KEY; unknown consumer key → 403 INVALID_CREDENTIAL; a timestamp more than `max_skew`
seconds from the server clock → 400 QUERY_TIME_OUT "Query out of time"; bad signature → 400
INVALID_SIGNATURE "Invalid signature" (403 in the `legacy` conventions). `GET /auth/time` is
unsigned. Removed routes (changeAdministratorPassword, configureDomain) answer 404 like any
unknown URL. What the schema leaves open (batch reads, finished tasks, idle `taskPendingId`,
datetimes) follows `sandbox.conventions` (see `sandbox_conventions`).

Injected faults surface the way they would in production: a ProviderTimeout holds the request
for `faults.hang_seconds` and then answers 504; a ProviderUnavailable drops the connection.
Depends on nothing outside bot/provider and bot/domain.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from bot.core.domain import Renew, TenantUpdate, UsagePeriod
from bot.provider.base import (
    AuthenticationError,
    BadParameters,
    NotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
)
from bot.provider.sandbox import OPTIONS_SHAPE, SandboxProvider
from bot.provider.sandbox_cart import CartBook, cart_routes
from bot.provider.sandbox_conventions import OVHCLOUD, Conventions
from bot.provider.sandbox_me import me_routes
from bot.provider.signing import (
    H_APPLICATION,
    H_BATCH,
    H_CONSUMER,
    H_QUERY_ID,
    H_SIGNATURE,
    H_TIMESTAMP,
    signature_matches,
)

PREFIX = "/1.0"
DEFAULT_APPLICATION_KEY = "sandbox-application"
DEFAULT_APPLICATION_SECRET = "sandbox-secret"
DEFAULT_CONSUMER_KEY = "sandbox-consumer"


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    batch: bool


@dataclass
class ServerState:
    """What the app knows beyond the sandbox: credentials, clock, request log, carts."""

    sandbox: SandboxProvider
    application_key: str
    application_secret: str
    consumer_key: str
    time_source: Callable[[], float]
    max_skew: int
    public_url: str | None
    requests: list[SeenRequest] = field(default_factory=list)
    carts: CartBook = field(default_factory=CartBook)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _node: str = field(default_factory=lambda: secrets.token_hex(4))

    def query_id(self) -> str:
        return f"EU.sandbox-1.{self._node}.{next(self._ids)}.{secrets.token_hex(3)}"


STATE = web.AppKey("csp2_sandbox_state", ServerState)


_REASONS = {400: "Bad Request", 403: "Forbidden"}


def _error(err: ProviderError) -> web.Response:
    status = err.status or type(err).http_status
    body: dict[str, Any] = {
        "class": err.error_class or type(err).ovh_class,
        "message": err.message,
    }
    if err.error_code:
        body["errorCode"] = err.error_code
        body["httpCode"] = f"{status} {_REASONS.get(status, 'Error')}"
    if err.details:
        body["details"] = err.details
    resp = web.json_response(body, status=status)
    if err.retry_after is not None:
        resp.headers["Retry-After"] = str(int(err.retry_after))
    return resp


def _auth(code: str, message: str, status: int = 403) -> AuthenticationError:
    cls = "Client::BadRequest" if status == 400 else "Client::Forbidden"
    return AuthenticationError(message, status=status, error_class=cls, error_code=code)


def bad(message: str) -> BadParameters:
    return BadParameters(message, status=400, error_class="Client::BadRequest")


@web.middleware
async def envelope(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Log the request, turn every failure into an OVHcloud error body, tag the answer."""
    state = request.app[STATE]
    state.requests.append(SeenRequest(request.method, request.path_qs, H_BATCH in request.headers))
    try:
        resp = await handler(request)
    except ProviderTimeout as err:
        await asyncio.sleep(state.sandbox.faults.hang_seconds)
        resp = _error(err)
    except ProviderUnavailable:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=503)
    except ProviderError as err:
        resp = _error(err)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = "Got an invalid (or empty) URL" if exc.status == 404 else exc.reason
        cls = {404: "Client::NotFound", 405: "Client::MethodNotAllowed"}.get(
            exc.status, "Client::BadRequest"
        )
        resp = web.json_response({"class": cls, "message": message}, status=exc.status)
    resp.headers[H_QUERY_ID] = state.query_id()
    return resp


@web.middleware
async def verify_signature(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> Any:
    state = request.app[STATE]
    if request.path == f"{PREFIX}/auth/time":
        return await handler(request)
    headers = request.headers
    if headers.get(H_APPLICATION) != state.application_key:
        raise _auth("INVALID_KEY", "This application key is invalid")
    consumer = headers.get(H_CONSUMER, "")
    if consumer != state.consumer_key:
        raise _auth("INVALID_CREDENTIAL", "This credential does not exist")
    try:
        timestamp = int(headers.get(H_TIMESTAMP, ""))
    except ValueError:
        raise bad("Invalid or missing X-Ovh-Timestamp") from None
    if abs(timestamp - state.time_source()) > state.max_skew:
        raise _auth("QUERY_TIME_OUT", "Query out of time", 400)
    body = await request.read()
    base = state.public_url or f"{request.scheme}://{request.host}"
    full_url = base.rstrip("/") + request.raw_path
    ok = signature_matches(
        headers.get(H_SIGNATURE, ""),
        state.application_secret,
        consumer,
        request.method,
        full_url,
        body,
        timestamp,
    )
    if not ok:
        status = state.sandbox.conventions.signature_error_status
        raise _auth("INVALID_SIGNATURE", "Invalid signature", status)
    return await handler(request)


# --- helpers for handlers -------------------------------------------------------------------


def answer(conventions: Conventions, value: Any = None) -> web.Response:
    """Models as OVHcloud sends them (camelCase, nulls included, see `Conventions.wire`)."""
    return web.json_response(conventions.wire(value))


async def body_of(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise bad("Invalid JSON body") from None
    if not isinstance(data, dict):
        raise bad("The body must be a JSON object")
    return data


def int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if value is None:
        raise bad(f"[{name}] Property is mandatory")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f"[{name}] Given data ({value}) is not valid for type long")
    return value


def ids_in(
    request: web.Request, conventions: Conventions, name: str = "ids"
) -> tuple[list[int], bool]:
    """The id(s) of a path segment; several only with `X-Ovh-Batch: ,`, in conventions that
    answer batch reads (otherwise the batch is refused with a 400: inferred wording)."""
    raw = request.match_info[name]
    batch = request.headers.get(H_BATCH)
    if batch and not conventions.batch_reads:
        raise bad("Batch mode is not available on this call")
    parts = raw.split(batch) if batch else [raw]
    try:
        return [int(p) for p in parts], bool(batch)
    except ValueError:
        raise bad(f"Invalid id: {raw}") from None


async def batch_answer(
    conventions: Conventions, ids: Sequence[int], read_one: Callable[[int], Awaitable[Any]]
) -> web.Response:
    """One `{key, value, error}` per requested id, in the requested order (the shape the
    control panel consumes; inferred). Each id is read on its own, as OVHcloud's gateway would,
    so a fault injected on the single read (`getSubscription` …) fails that entry only."""
    entries = []
    for i in ids:
        try:
            value = conventions.wire(await read_one(i))
        except ProviderError as err:
            entries.append({"key": str(i), "value": None, "error": err.message})
        else:
            entries.append({"key": str(i), "value": value, "error": None})
    return web.json_response(entries)


# --- /saas/csp2 -----------------------------------------------------------------------------


def csp2_routes(sandbox: SandboxProvider) -> list[web.RouteDef]:
    base = f"{PREFIX}/saas/csp2"
    one = base + "/{sn}"
    sub = one + "/subscription/{sid:\\d+}"

    def ok(value: Any = None) -> web.Response:
        return answer(sandbox.conventions, value)

    def known_service(request: web.Request) -> None:
        """A batch read of an unknown service is a 404 as a whole, not one per entry."""
        sn = request.match_info["sn"]
        if sn not in sandbox.world.tenants:
            raise NotFound(f"This service does not exist: {sn}", status=404,
                           error_class="Client::NotFound")

    async def list_tenants(request: web.Request) -> web.Response:
        return ok(await sandbox.list_tenants())

    async def get_tenant(request: web.Request) -> web.Response:
        return ok(await sandbox.get_tenant(request.match_info["sn"]))

    async def put_tenant(request: web.Request) -> web.Response:
        try:
            update = TenantUpdate.model_validate(await body_of(request))
        except ValidationError as exc:
            raise bad(str(exc)) from None
        await sandbox.update_tenant(request.match_info["sn"], update)
        return ok()

    async def service_infos(request: web.Request) -> web.Response:
        return ok(await sandbox.service_infos(request.match_info["sn"]))

    async def put_service_infos(request: web.Request) -> web.Response:
        renew = Renew.model_validate((await body_of(request)).get("renew") or {})
        await sandbox.update_service_infos(request.match_info["sn"], renew)
        return ok()

    async def peaks(request: web.Request) -> web.Response:
        return ok(await sandbox.billing_period_peaks(request.match_info["sn"]))

    async def usage(request: web.Request) -> web.Response:
        raw = request.query.get("timePeriod")
        try:
            period = UsagePeriod(raw or "")  # no period, like an unknown one: the same 400
        except ValueError:
            raise bad(f"[timePeriod] Given data ({raw}) does not belong to the enum") from None
        return ok(await sandbox.usage_statistics(request.match_info["sn"], period))

    async def licenses(request: web.Request) -> web.Response:
        return ok(await sandbox.list_orderable_licenses(request.match_info["sn"]))

    async def license_ids(request: web.Request) -> web.Response:
        ids, batch = ids_in(request, sandbox.conventions)
        sn = request.match_info["sn"]
        if batch:
            known_service(request)
            return await batch_answer(
                sandbox.conventions, ids, lambda i: sandbox.get_license(sn, i)
            )
        return ok(await sandbox.get_license(sn, ids[0]))

    async def subscriptions(request: web.Request) -> web.Response:
        return ok(await sandbox.list_subscriptions(request.match_info["sn"]))

    async def add_subscription(request: web.Request) -> web.Response:
        body = await body_of(request)
        task = await sandbox.add_subscription(
            request.match_info["sn"], int_field(body, "licenseId"), int_field(body, "quantity")
        )
        return ok(task)

    async def subscription_ids(request: web.Request) -> web.Response:
        ids, batch = ids_in(request, sandbox.conventions)
        sn = request.match_info["sn"]
        if batch:
            known_service(request)
            return await batch_answer(
                sandbox.conventions, ids, lambda i: sandbox.get_subscription(sn, i)
            )
        return ok(await sandbox.get_subscription(sn, ids[0]))

    async def delete_subscription(request: web.Request) -> web.Response:
        ids, batch = ids_in(request, sandbox.conventions)
        if batch or len(ids) != 1:
            raise bad("One subscription at a time")
        return ok(await sandbox.delete_subscription(request.match_info["sn"], ids[0]))

    def sid(request: web.Request) -> tuple[str, int]:
        return request.match_info["sn"], int(request.match_info["sid"])

    async def addons(request: web.Request) -> web.Response:
        return ok(await sandbox.list_addon_subscriptions(*sid(request)))

    async def available_addons(request: web.Request) -> web.Response:
        return ok(await sandbox.available_addon_licenses(*sid(request)))

    async def change_quantity(request: web.Request) -> web.Response:
        body = await body_of(request)
        return ok(await sandbox.change_quantity(*sid(request), int_field(body, "quantity")))

    async def order_addon(request: web.Request) -> web.Response:
        body = await body_of(request)
        task = await sandbox.order_addon(
            *sid(request), int_field(body, "licenseId"), int_field(body, "quantity")
        )
        return ok(task)

    async def tasks(request: web.Request) -> web.Response:
        return ok(await sandbox.list_tasks(request.match_info["sn"]))

    async def task_ids(request: web.Request) -> web.Response:
        ids, batch = ids_in(request, sandbox.conventions)
        sn = request.match_info["sn"]
        if batch:
            known_service(request)
            return await batch_answer(sandbox.conventions, ids, lambda i: sandbox.get_task(sn, i))
        return ok(await sandbox.get_task(sn, ids[0]))

    return [
        web.get(base, list_tenants),
        web.get(one, get_tenant),
        web.put(one, put_tenant),
        web.get(one + "/serviceInfos", service_infos),
        web.put(one + "/serviceInfos", put_service_infos),
        web.get(one + "/billingPeriodPeaks", peaks),
        web.get(one + "/usageStatistics", usage),
        web.get(one + "/orderableLicenses", licenses),
        web.get(one + "/orderableLicenses/{ids}", license_ids),
        web.get(one + "/subscription", subscriptions),
        web.post(one + "/subscription", add_subscription),
        web.get(one + "/subscription/{ids}", subscription_ids),
        web.delete(one + "/subscription/{ids}", delete_subscription),
        web.get(sub + "/addonsSubscriptionIds", addons),
        web.get(sub + "/availableAddonLicenses", available_addons),
        web.post(sub + "/changeQuantity", change_quantity),
        web.post(sub + "/orderAddon", order_addon),
        web.get(one + "/task", tasks),
        web.get(one + "/task/{ids}", task_ids),
    ]


# --- the application ------------------------------------------------------------------------


def create_sandbox_app(
    sandbox: SandboxProvider,
    application_key: str = DEFAULT_APPLICATION_KEY,
    application_secret: str = DEFAULT_APPLICATION_SECRET,
    consumer_key: str = DEFAULT_CONSUMER_KEY,
    *,
    time_source: Callable[[], float] = time.time,
    max_skew: int = 300,
    public_url: str | None = None,
) -> web.Application:
    """`time_source` is the server's wall clock for /auth/time and timestamp checks — separate
    from the sandbox's business clock, which tests step freely. `public_url` is the base URL
    clients sign with when the server sits behind a proxy (default: scheme://Host)."""
    app = web.Application(middlewares=[envelope, verify_signature])
    app[STATE] = ServerState(
        sandbox,
        application_key,
        application_secret,
        consumer_key,
        time_source,
        max_skew,
        public_url,
    )

    async def auth_time(request: web.Request) -> web.Response:
        return web.json_response(int(time_source()))

    app.router.add_get(f"{PREFIX}/auth/time", auth_time)
    app.router.add_routes(csp2_routes(sandbox))
    app.router.add_routes(cart_routes(PREFIX, sandbox, app[STATE].carts))
    app.router.add_routes(me_routes(PREFIX, sandbox, app[STATE].carts))
    return app


async def start_sandbox_server(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Start `app` and return its runner and API base URL (`http://host:port/1.0`); port 0
    picks a free one. Stop with `await runner.cleanup()`."""
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    return runner, f"http://{host}:{bound_port}{PREFIX}"


async def serve_sandbox(
    host: str,
    port: int,
    *,
    sandbox: SandboxProvider | None = None,
    state_path: str | Path | None = None,
    application_key: str = DEFAULT_APPLICATION_KEY,
    application_secret: str = DEFAULT_APPLICATION_SECRET,
    consumer_key: str = DEFAULT_CONSUMER_KEY,
    task_duration: timedelta = timedelta(seconds=20),
    cart_shape: str = OPTIONS_SHAPE,
    conventions: Conventions = OVHCLOUD,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until cancelled. `ready` is called with the base URL once listening."""
    sandbox = sandbox or SandboxProvider(
        state_path=state_path, task_duration=task_duration, cart_shape=cart_shape,
        conventions=conventions,
    )
    app = create_sandbox_app(sandbox, application_key, application_secret, consumer_key)
    runner, url = await start_sandbox_server(app, host, port)
    try:
        if ready is not None:
            ready(url)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await sandbox.close()


def run_sandbox_server(
    host: str,
    port: int,
    *,
    state_path: str | Path | None = None,
    application_key: str = DEFAULT_APPLICATION_KEY,
    application_secret: str = DEFAULT_APPLICATION_SECRET,
    consumer_key: str = DEFAULT_CONSUMER_KEY,
    task_duration: timedelta = timedelta(seconds=20),
    cart_shape: str = OPTIONS_SHAPE,
    conventions: Conventions = OVHCLOUD,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Blocking entry point for `csp-bot sandbox --port N`: serves until Ctrl-C."""
    try:
        asyncio.run(
            serve_sandbox(
                host,
                port,
                state_path=state_path,
                application_key=application_key,
                application_secret=application_secret,
                consumer_key=consumer_key,
                task_duration=task_duration,
                cart_shape=cart_shape,
                conventions=conventions,
                ready=ready,
            )
        )
    except KeyboardInterrupt:
        pass
