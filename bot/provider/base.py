"""The one interface through which the bot reads and changes licenses, and its errors.

Two implementations keep this contract: `ovh.OvhProvider` (the real API over HTTP) and
`sandbox.SandboxProvider` (the embedded default). Both pass `tests/provider/` unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.domain import (
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

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_class: str | None = None,
        error_code: str | None = None,
        query_id: str | None = None,
        details: dict | None = None,
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


class AuthenticationError(ProviderError):
    """403 with an auth errorCode (INVALID_SIGNATURE, INVALID_CREDENTIAL, NOT_GRANTED_CALL …)."""


class NotFound(ProviderError):
    """404: unknown service, subscription, license or task."""


class Conflict(ProviderError):
    """409: e.g. a task is already pending on the subscription."""


class ExpiredResource(ProviderError):
    """460: the service has expired."""


class RateLimited(ProviderError):
    """429: too many requests."""

    retryable = True


class ServerError(ProviderError):
    """5xx: the provider failed."""

    retryable = True


class ProviderTimeout(ProviderError):
    """No answer in time. For a write, the outcome is unknown."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """The connection failed (refused, reset, DNS)."""

    retryable = True


class UnfillableConfiguration(ProviderError):
    """The order cart requires configuration labels the bot cannot fill."""

    def __init__(self, labels: Sequence[str], **kwargs) -> None:
        self.labels = list(labels)
        super().__init__(
            "The order needs configuration the bot cannot fill: " + ", ".join(self.labels),
            **kwargs,
        )


@runtime_checkable
class CspProvider(Protocol):
    """Operations on OVHcloud's `/saas/csp2` service. Every write returns the provider task."""

    # license groups
    async def list_tenants(self) -> list[str]: ...
    async def get_tenant(self, service_name: str) -> Tenant: ...
    async def update_tenant(self, service_name: str, update: TenantUpdate) -> None: ...
    async def service_infos(self, service_name: str) -> ServiceInfo: ...
    async def order_tenant(self, order: NewTenantOrder) -> TenantOrder: ...

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

    async def delete_subscription(self, service_name: str, subscription_id: int) -> ProviderTask: ...
    async def list_addon_subscriptions(self, service_name: str, subscription_id: int) -> list[int]: ...
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

    async def close(self) -> None: ...
