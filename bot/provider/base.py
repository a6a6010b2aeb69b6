"""The one interface through which the bot reads and changes licenses, and its errors.

Two implementations keep this contract: `ovh.OvhProvider` (the real API over HTTP) and
`sandbox.SandboxProvider` (the embedded default). Both pass `tests/provider/` unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

from bot.core.domain import (
    BillingPeaks,
    License,
    NewTenantOrder,
    ProviderTask,
    ServiceInfo,
    Subscription,
    Tenant,
    TenantOrder,
    TenantUpdate,
    UsagePeriod,
    UsageStatistics,
)


class ProviderError(Exception):
    """A provider call failed. Carries what an operator needs to follow it up with OVHcloud."""

    retryable: bool = False
    #: Set on a failure of a create that certainly ordered nothing (e.g. the cart failed
    #: before its checkout): sending it again later is safe even when `retryable`.
    nothing_ordered: bool = False
    #: The HTTP status and OVH error `class` this error travels as on the wire. The sandbox
    #: server answers with them; the client maps statuses back through `error_type_for`.
    http_status: ClassVar[int] = 500
    ovh_class: ClassVar[str] = "Server::InternalServerError"
    #: Seconds the provider asked us to wait before trying again (Retry-After), if it said.
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_class: str | None = None,
        error_code: str | None = None,
        query_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_class = error_class
        self.error_code = error_code
        self.query_id = query_id
        self.details = details or {}

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.error_code:
            parts.append(self.error_code)
        if self.query_id:
            parts.append(f"query id {self.query_id}")
        return " — ".join(parts)


class BadParameters(ProviderError):
    """400: the provider refused the input."""

    http_status = 400
    ovh_class = "Client::BadRequest"


class AuthenticationError(ProviderError):
    """An auth errorCode (400 INVALID_SIGNATURE or QUERY_TIME_OUT, 403 INVALID_KEY,
    INVALID_CREDENTIAL, NOT_GRANTED_CALL …), or any 401/403."""

    http_status = 403
    ovh_class = "Client::Forbidden"


class NotFound(ProviderError):
    """404: unknown service, subscription, license or task."""

    http_status = 404
    ovh_class = "Client::NotFound"


class Conflict(ProviderError):
    """409: e.g. a task is already pending on the subscription."""

    http_status = 409
    ovh_class = "Client::Conflict"


class ExpiredResource(ProviderError):
    """460: the service has expired."""

    http_status = 460
    ovh_class = "Client::ExpiredResource"


class RateLimited(ProviderError):
    """429: too many requests."""

    http_status = 429
    ovh_class = "Client::TooManyRequests"
    retryable = True


class ServerError(ProviderError):
    """5xx: the provider failed."""

    http_status = 500
    ovh_class = "Server::InternalServerError"
    retryable = True


class ProviderTimeout(ProviderError):
    """No answer in time. For a write, the outcome is unknown."""

    http_status = 504
    ovh_class = "Server::GatewayTimeout"
    retryable = True


class ProviderUnavailable(ProviderError):
    """The connection failed (refused, reset, DNS)."""

    http_status = 503
    ovh_class = "Server::ServiceUnavailable"
    retryable = True


class UnfillableConfiguration(ProviderError):
    """The order cart requires configuration the bot cannot fill; nothing was ordered.

    `gaps` are `cart_config.Gap`s (a label and why) or bare labels; `labels` their names."""

    http_status = 400
    ovh_class = "Client::BadRequest"
    nothing_ordered = True

    def __init__(self, gaps: Sequence[object], **kwargs: Any) -> None:
        self.labels = [str(getattr(g, "label", g)) for g in gaps]
        super().__init__(
            "OVHcloud's order form asks for what the bot cannot fill in, so nothing was "
            "ordered: " + "; ".join(str(g) for g in gaps),
            **kwargs,
        )


#: errorCode values of OVHcloud's authentication layer. Any answer carrying one of them is an
#: authentication failure whatever its status (OVHcloud has answered INVALID_SIGNATURE with both
#: 400 and 403 over the years). QUERY_TIME_OUT ("Query out of time") means the signed timestamp
#: was too far from the server's clock.
AUTH_ERROR_CODES = frozenset(
    {
        "INVALID_SIGNATURE",
        "NOT_GRANTED_CALL",
        "NOT_CREDENTIAL",
        "INVALID_KEY",
        "INVALID_CREDENTIAL",
        "FORBIDDEN",
        "QUERY_TIME_OUT",
    }
)

_ERRORS_BY_STATUS: dict[int, type[ProviderError]] = {
    400: BadParameters,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
    460: ExpiredResource,
}


def error_type_for(status: int, error_code: str | None = None) -> type[ProviderError]:
    """The typed error for an OVHcloud error answer, the way the official clients map them."""
    if error_code in AUTH_ERROR_CODES:
        return AuthenticationError
    if status in _ERRORS_BY_STATUS:
        return _ERRORS_BY_STATUS[status]
    if status >= 500:
        return ServerError
    return ProviderError


def named_domains(values: Iterable[object]) -> list[str]:
    """Order detail domains that may name a service: "*" and blanks are not names."""
    return list(dict.fromkeys(str(v) for v in values if v and str(v).strip() not in ("*", "")))


@runtime_checkable
class CspProvider(Protocol):
    """Operations on OVHcloud's `/saas/csp2` service. Every write returns the provider task."""

    # license groups
    async def list_tenants(self) -> list[str]: ...
    async def get_tenant(self, service_name: str) -> Tenant: ...
    async def update_tenant(self, service_name: str, update: TenantUpdate) -> None: ...
    async def service_infos(self, service_name: str) -> ServiceInfo: ...
    async def order_tenant(self, order: NewTenantOrder) -> TenantOrder:
        """Orders a new license group (the order cart, up to its checkout). The group exists
        only once the order is paid and delivered: follow it with `order_status`."""
        ...

    async def order_status(self, order_id: int) -> str:
        """`GET /me/order/{orderId}/status`: one of `billing.order.OrderStatusEnum` (notPaid,
        checking, delivering, delivered, cancelling, cancelled, documentsRequested, unknown)
        — read as a free string."""
        ...

    async def order_domains(self, order_id: int) -> list[str]:
        """The `domain` of the order's details (`/me/order/{orderId}/details/{id}`), "*" and
        blanks left out: what may name the service the order delivered."""
        ...

    # licenses
    async def list_orderable_licenses(self, service_name: str) -> list[int]: ...
    async def get_licenses(
        self, service_name: str, ids: Sequence[int] | None = None
    ) -> list[License]:
        """Details of the given (default: all orderable) licenses, read in batches."""
        ...

    # subscriptions
    async def list_subscriptions(self, service_name: str) -> list[int]: ...
    async def get_subscription(self, service_name: str, subscription_id: int) -> Subscription: ...
    async def get_subscriptions(
        self, service_name: str, ids: Sequence[int] | None = None
    ) -> list[Subscription]:
        """Details of the given (default: all) subscriptions, read in batches; ids that no
        longer exist are left out."""
        ...

    async def add_subscription(
        self, service_name: str, license_id: int, quantity: int
    ) -> ProviderTask: ...
    async def change_quantity(
        self, service_name: str, subscription_id: int, quantity: int
    ) -> ProviderTask:
        """Set the TOTAL number of seats (not a difference): safe to repeat."""
        ...

    async def delete_subscription(
        self, service_name: str, subscription_id: int
    ) -> ProviderTask: ...
    async def list_addon_subscriptions(
        self, service_name: str, subscription_id: int
    ) -> list[int]: ...
    async def available_addon_licenses(
        self, service_name: str, subscription_id: int
    ) -> list[int]: ...
    async def order_addon(
        self, service_name: str, subscription_id: int, license_id: int, quantity: int
    ) -> ProviderTask: ...

    # tasks
    async def list_tasks(self, service_name: str) -> list[int]: ...
    async def get_task(self, service_name: str, task_id: int) -> ProviderTask: ...
    async def get_tasks(
        self, service_name: str, ids: Sequence[int] | None = None
    ) -> list[ProviderTask]: ...

    # statistics
    async def usage_statistics(
        self, service_name: str, period: UsagePeriod = UsagePeriod.LAST_MONTH
    ) -> list[UsageStatistics]: ...
    async def billing_period_peaks(self, service_name: str) -> BillingPeaks: ...

    # reading in batches
    def batch_reads_off(self) -> str | None:
        """Why OVHcloud's batch reads are off for now (objects are read one by one), or None
        when they work (the in-process sandbox has no batches to refuse)."""
        ...

    def retry_batch_reads(self) -> None:
        """Try batch reads again at the next read (every full sync does)."""
        ...

    async def close(self) -> None: ...
