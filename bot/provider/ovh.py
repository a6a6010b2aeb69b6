"""OVHcloud's `/saas/csp2` API over HTTP: the production CspProvider.

What matters here is being a good API citizen and never doing a write twice:
- every call is signed over the exact bytes sent, with a timestamp corrected by the server's
  clock (`GET /auth/time`, read once);
- lists of subscriptions, licenses and tasks are read in batches (`X-Ovh-Batch: ,`), 50 ids per
  call, so a sync costs a handful of requests instead of one per subscription — and one by one
  while OVHcloud refuses batches (`ovh_batch`);
- a semaphore bounds concurrent requests; each attempt has a timeout;
- only GETs are retried (429, 5xx, timeouts, connection failures; exponential backoff with
  jitter, Retry-After honoured). A POST/PUT/DELETE that failed or timed out is never sent again:
  its outcome may be unknown, and deciding what to do is the pipeline's job;
- every failure becomes a typed error from `base.py` carrying the HTTP status, OVHcloud's
  `class`, `errorCode`, `message`, `details` and the `X-OVH-QUERYID` to quote to support.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
from pydantic import BaseModel
from yarl import URL

from bot.core.domain import (
    BillingPeaks,
    License,
    NewTenantOrder,
    ProviderTask,
    Renew,
    ServiceInfo,
    Subscription,
    Tenant,
    TenantOrder,
    TenantUpdate,
    UsagePeriod,
    UsageStatistics,
)
from bot.provider import ovh_cart
from bot.provider.base import (
    AuthenticationError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    ServerError,
    error_type_for,
)
from bot.provider.observe import observed_call
from bot.provider.ovh_batch import BATCH_SIZE, BatchReads
from bot.provider.ovh_batch import RETRY_SECONDS as BATCH_RETRY_SECONDS
from bot.provider.signing import (
    H_APPLICATION,
    H_BATCH,
    H_CONSUMER,
    H_QUERY_ID,
    H_SIGNATURE,
    H_TIMESTAMP,
    sign,
)

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

ENDPOINTS = {
    "ovh-eu": "https://eu.api.ovh.com/1.0",
    "ovh-ca": "https://ca.api.ovh.com/1.0",
    "ovh-us": "https://api.us.ovhcloud.com/1.0",
}
_RETRY_AFTER_MAX = 60.0


def resolve_endpoint(endpoint: str) -> str:
    """`ovh-eu` (the one CSP2 lives on), `ovh-ca`, `ovh-us`, or a base URL such as a sandbox's."""
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    if endpoint.startswith(("http://", "https://")):
        return endpoint.rstrip("/")
    raise ValueError(f"Unknown OVHcloud endpoint {endpoint!r}: use one of {sorted(ENDPOINTS)}")


def _secret(value: Any) -> str:
    """Accept plain strings and pydantic SecretStr alike, without ever logging them."""
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter else str(value)


def _seg(value: object) -> str:
    return quote(str(value), safe="")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class OvhProvider:
    """CspProvider over OVHcloud's API. One aiohttp session per instance, created on first use
    and closed by `close()` (an injected `session` stays the caller's to close)."""

    def __init__(
        self,
        endpoint: str,
        application_key: str,
        application_secret: Any,
        consumer_key: Any,
        *,
        timeout: float = 30.0,
        max_concurrency: int = 8,
        retries: int = 3,
        clock: Callable[[], float] = time.time,
        session: aiohttp.ClientSession | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 10.0,
        batch_size: int = BATCH_SIZE,
        batch_retry_seconds: float = BATCH_RETRY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        ovh_subsidiary: str | None = None,
        plan_codes: Mapping[str, str] | None = None,
        auto_pay: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = resolve_endpoint(endpoint)
        self.application_key = application_key
        self._secret = _secret(application_secret)
        self._consumer = _secret(consumer_key)
        self.timeout = timeout
        self.retries = retries
        self.ovh_subsidiary = ovh_subsidiary
        self.plan_codes = dict(plan_codes or {})
        self.auto_pay = auto_pay
        self._clock = clock
        self._backoff = (backoff_base, backoff_max)
        self._rng = rng or random.Random()
        self._session = session
        self._owns_session = session is None
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._time_lock = asyncio.Lock()
        self._delta: int | None = None
        self._license_names: dict[int, str] | None = None
        self._subsidiary_lock = asyncio.Lock()
        self.batch = BatchReads(
            self.call, monotonic, size=batch_size, retry_seconds=batch_retry_seconds
        )

    def __repr__(self) -> str:
        return f"OvhProvider({self.base_url!r}, application_key={self.application_key!r})"

    # -- transport ---------------------------------------------------------------------------

    @observed_call
    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        batch: bool = False,
        signed: bool = True,
    ) -> Any:
        """One API call, with the retry policy: GETs are retried on transient failures, other
        methods never. A "Query out of time" refusal (the request was not executed) refreshes the
        server-time delta and is sent once more, whatever the method."""
        method = method.upper()
        attempts = 1 + (self.retries if method == "GET" else 0)
        attempt, time_refreshed = 0, False
        while True:
            try:
                return await self._send(method, path, body, query, batch, signed)
            except AuthenticationError as err:
                if err.error_code != "QUERY_TIME_OUT" or time_refreshed or not signed:
                    raise
                log.warning("OVHcloud says our clock is off; reading /auth/time again")
                self._delta, time_refreshed = None, True
            except ProviderError as err:
                attempt += 1
                if not err.retryable or attempt >= attempts:
                    raise
                delay = self._delay(attempt, err)
                log.info(
                    "GET %s failed (%s); retry %d/%d in %.2fs",
                    path,
                    err,
                    attempt,
                    self.retries,
                    delay,
                )
                await asyncio.sleep(delay)

    def _delay(self, attempt: int, err: ProviderError) -> float:
        """Exponential backoff with full jitter; a Retry-After from the server wins."""
        if err.retry_after is not None:
            return min(err.retry_after, _RETRY_AFTER_MAX)
        base, cap = self._backoff
        return self._rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))

    async def _send(
        self,
        method: str,
        path: str,
        body: Any,
        query: Mapping[str, Any] | None,
        batch: bool,
        signed: bool,
    ) -> Any:
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        data = "" if body is None else json.dumps(body, separators=(",", ":"))
        headers = {H_APPLICATION: self.application_key}
        if data:
            headers["Content-Type"] = "application/json"
        if batch:
            headers[H_BATCH] = ","
        delta = await self._server_delta() if signed else 0
        session = self._get_session()
        async with self._semaphore:
            if signed:  # sign once a slot is free, so queueing never ages the timestamp
                timestamp = int(self._clock()) + delta
                headers[H_CONSUMER] = self._consumer
                headers[H_TIMESTAMP] = str(timestamp)
                headers[H_SIGNATURE] = sign(
                    self._secret, self._consumer, method, url, data, timestamp
                )
            try:
                async with session.request(
                    method,
                    URL(url, encoded=True),  # send exactly the URL we signed
                    data=data.encode() if data else None,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as resp:
                    text = await resp.text()
                    if resp.status >= 400:
                        raise self._error(resp.status, text, resp.headers)
            except TimeoutError:
                raise ProviderTimeout(
                    f"No answer from OVHcloud within {self.timeout:g}s ({method} {path})"
                ) from None
            except aiohttp.ClientError as exc:
                raise ProviderUnavailable(
                    f"Cannot reach OVHcloud ({method} {path}): {exc!r}"
                ) from exc
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise ServerError(
                f"Unreadable answer to {method} {path}",
                status=resp.status,
                query_id=resp.headers.get(H_QUERY_ID),
            ) from None

    @staticmethod
    def _error(status: int, text: str, headers: Mapping[str, str]) -> ProviderError:
        try:
            payload = json.loads(text) if text else {}
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        code = payload.get("errorCode")
        cls = error_type_for(status, code)
        err = cls(
            str(payload.get("message") or text.strip() or f"HTTP {status}"),
            status=status,
            error_class=payload.get("class"),
            error_code=code,
            query_id=headers.get(H_QUERY_ID),
            details=payload.get("details") if isinstance(payload.get("details"), dict) else None,
        )
        err.retry_after = _retry_after(headers)
        level = logging.WARNING if status >= 500 or cls is AuthenticationError else logging.INFO
        log.log(level, "OVHcloud error: %s", err)
        return err

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _server_delta(self) -> int:
        """Server time minus local time, read once from the unsigned `GET /auth/time`: an
        unsynchronised host must still sign with the server's clock. The lock makes a burst of
        first calls share one read."""
        delta = self._delta
        if delta is None:
            async with self._time_lock:
                if self._delta is None:
                    server_time = await self.call("GET", "/auth/time", signed=False)
                    self._delta = int(server_time) - int(self._clock())
                delta = self._delta
        return delta

    async def _batch(self, prefix: str, ids: Sequence[int], model: type[M]) -> list[M]:
        """Many objects with few requests (see `ovh_batch`); ids that no longer exist are left
        out."""
        return await self.batch.read(prefix, ids, model.model_validate)

    def batch_reads_off(self) -> str | None:
        return self.batch.off()

    def retry_batch_reads(self) -> None:
        self.batch.retry()

    # -- license groups ----------------------------------------------------------------------

    async def list_tenants(self) -> list[str]:
        return list(await self.call("GET", "/saas/csp2"))

    async def get_tenant(self, service_name: str) -> Tenant:
        return Tenant.model_validate(await self.call("GET", f"/saas/csp2/{_seg(service_name)}"))

    async def update_tenant(self, service_name: str, update: TenantUpdate) -> None:
        await self.call("PUT", f"/saas/csp2/{_seg(service_name)}", update.to_wire())

    async def service_infos(self, service_name: str) -> ServiceInfo:
        data = await self.call("GET", f"/saas/csp2/{_seg(service_name)}/serviceInfos")
        return ServiceInfo.model_validate(data)

    async def update_service_infos(self, service_name: str, renew: Renew) -> None:
        """Only `renew` is writable on serviceInfos."""
        path = f"/saas/csp2/{_seg(service_name)}/serviceInfos"
        await self.call("PUT", path, {"renew": renew.to_wire()})

    # -- licenses ----------------------------------------------------------------------------

    async def list_orderable_licenses(self, service_name: str) -> list[int]:
        return list(await self.call("GET", f"/saas/csp2/{_seg(service_name)}/orderableLicenses"))

    async def get_licenses(
        self, service_name: str, ids: Sequence[int] | None = None
    ) -> list[License]:
        if ids is None:
            ids = await self.list_orderable_licenses(service_name)
        return await self._batch(f"/saas/csp2/{_seg(service_name)}/orderableLicenses", ids, License)

    # -- subscriptions -----------------------------------------------------------------------

    def _subs(self, service_name: str) -> str:
        return f"/saas/csp2/{_seg(service_name)}/subscription"

    async def list_subscriptions(self, service_name: str) -> list[int]:
        return list(await self.call("GET", self._subs(service_name)))

    async def get_subscription(self, service_name: str, subscription_id: int) -> Subscription:
        data = await self.call("GET", f"{self._subs(service_name)}/{int(subscription_id)}")
        return Subscription.model_validate(data)

    async def get_subscriptions(
        self, service_name: str, ids: Sequence[int] | None = None
    ) -> list[Subscription]:
        if ids is None:
            ids = await self.list_subscriptions(service_name)
        return await self._batch(self._subs(service_name), ids, Subscription)

    async def add_subscription(
        self, service_name: str, license_id: int, quantity: int
    ) -> ProviderTask:
        body = {"licenseId": int(license_id), "quantity": int(quantity)}
        return ProviderTask.model_validate(await self.call("POST", self._subs(service_name), body))

    async def change_quantity(
        self, service_name: str, subscription_id: int, quantity: int
    ) -> ProviderTask:
        path = f"{self._subs(service_name)}/{int(subscription_id)}/changeQuantity"
        return ProviderTask.model_validate(
            await self.call("POST", path, {"quantity": int(quantity)})
        )

    async def delete_subscription(self, service_name: str, subscription_id: int) -> ProviderTask:
        path = f"{self._subs(service_name)}/{int(subscription_id)}"
        return ProviderTask.model_validate(await self.call("DELETE", path))

    async def list_addon_subscriptions(self, service_name: str, subscription_id: int) -> list[int]:
        path = f"{self._subs(service_name)}/{int(subscription_id)}/addonsSubscriptionIds"
        return list(await self.call("GET", path))

    async def available_addon_licenses(self, service_name: str, subscription_id: int) -> list[int]:
        path = f"{self._subs(service_name)}/{int(subscription_id)}/availableAddonLicenses"
        return list(await self.call("GET", path))

    async def order_addon(
        self, service_name: str, subscription_id: int, license_id: int, quantity: int
    ) -> ProviderTask:
        path = f"{self._subs(service_name)}/{int(subscription_id)}/orderAddon"
        body = {"licenseId": int(license_id), "quantity": int(quantity)}
        return ProviderTask.model_validate(await self.call("POST", path, body))

    # -- tasks -------------------------------------------------------------------------------

    async def list_tasks(self, service_name: str) -> list[int]:
        return list(await self.call("GET", f"/saas/csp2/{_seg(service_name)}/task"))

    async def get_task(self, service_name: str, task_id: int) -> ProviderTask:
        data = await self.call("GET", f"/saas/csp2/{_seg(service_name)}/task/{int(task_id)}")
        return ProviderTask.model_validate(data)

    async def get_tasks(
        self, service_name: str, ids: Sequence[int] | None = None
    ) -> list[ProviderTask]:
        if ids is None:
            ids = await self.list_tasks(service_name)
        return await self._batch(f"/saas/csp2/{_seg(service_name)}/task", ids, ProviderTask)

    # -- statistics --------------------------------------------------------------------------

    async def usage_statistics(
        self, service_name: str, period: UsagePeriod = UsagePeriod.LAST_MONTH
    ) -> list[UsageStatistics]:
        data = await self.call(
            "GET",
            f"/saas/csp2/{_seg(service_name)}/usageStatistics",
            query={"timePeriod": str(period)},
        )
        return [UsageStatistics.model_validate(day) for day in data or []]

    async def billing_period_peaks(self, service_name: str) -> BillingPeaks:
        data = await self.call("GET", f"/saas/csp2/{_seg(service_name)}/billingPeriodPeaks")
        return BillingPeaks.model_validate(data)

    # -- ordering a new license group --------------------------------------------------------

    async def order_tenant(self, order: NewTenantOrder) -> TenantOrder:
        """Order a new license group through OVHcloud's order cart (see `ovh_cart`)."""
        return await ovh_cart.CartOrder(self, order).place()

    async def order_status(self, order_id: int) -> str:
        return await ovh_cart.order_status(self, order_id)

    async def order_domains(self, order_id: int) -> list[str]:
        return await ovh_cart.order_domains(self, order_id)

    async def subsidiary(self) -> str:
        """The subsidiary carts are created in: `ovh_subsidiary` when set (OVH_SUBSIDIARY),
        else the account's own, read once from `GET /me` (`nichandle.Nichandle.ovhSubsidiary`)."""
        async with self._subsidiary_lock:
            if not self.ovh_subsidiary:
                me = await self.call("GET", "/me")
                self.ovh_subsidiary = str((me or {}).get("ovhSubsidiary") or "") or None
                if not self.ovh_subsidiary:
                    raise ProviderError("GET /me named no ovhSubsidiary: set OVH_SUBSIDIARY")
            return self.ovh_subsidiary

    async def license_names(self) -> dict[int, str]:
        """License names by id, read once from the first license group (the catalogue is the
        same for every group); the cart needs them to recognise plan codes."""
        if self._license_names is None:
            names: dict[int, str] = {}
            for service_name in (await self.list_tenants())[:1]:
                names = {lic.id: lic.name for lic in await self.get_licenses(service_name)}
            self._license_names = names
        return self._license_names

    async def close(self) -> None:
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()
        self._session = None
