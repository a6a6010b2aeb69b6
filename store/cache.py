"""Reads of the local state cache, for browsing, typeahead, flows and policy.

The cache is what the bot knows of the provider as of the last sync (`bot/cache/sync.py` writes it
through `store/cache_sync.py`): every listener answers from here, so nothing on Slack's 3-second
path waits on OVHcloud. Each cached object carries `synced_at` so a view can say "as of".
Callers own the session (`async with runtime.db.session() as session:`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import (
    BillingPeaks,
    License,
    ProviderTask,
    ServiceInfo,
    Subscription,
    TaskStatus,
    Tenant,
)
from store.models import (
    LicenseRow,
    ProviderTaskRow,
    SeatBatchRow,
    SubscriptionRow,
    SyncRunRow,
    TenantRow,
)

#: Sources of a seat batch (seat_batches.source).
SOURCE_REQUEST = "request"  # seats added by one of our requests (the pipeline records it)
SOURCE_SYNC = "sync"  # an increase sync saw that no request of ours explains
SOURCE_CREATION = "creation"  # the quantity a subscription had when the cache first saw it


# --- what the cache hands out ----------------------------------------------------------------


class CachedTenant(Tenant):
    """A license group as last synced, with its billing details and its sync health."""

    service_info: ServiceInfo | None = None
    usage_peaks: BillingPeaks | None = None
    #: When usage_peaks (and the usage figures) were read from OVHcloud.
    usage_read_at: datetime | None = None
    sync_error: str | None = None
    sync_error_at: datetime | None = None
    synced_at: datetime


class TenantSummary(CachedTenant):
    """A license group with its totals, for lists and the App Home."""

    subscription_count: int = 0
    seat_count: int = 0


class CachedLicense(License):
    service_name: str
    synced_at: datetime


class CachedSubscription(Subscription):
    service_name: str
    license_name: str = ""
    parent_id: int | None = None
    #: What OVHcloud's `availableAddonLicenses` said at the last sync (None: not read).
    available_addon_licenses: list[int] | None = None
    synced_at: datetime

    @property
    def label(self) -> str:
        return f"{self.license_name or self.license_id} ({self.id})"


class CachedTask(ProviderTask):
    service_name: str
    subscription_id: int | None = None
    request_id: int | None = None
    synced_at: datetime


class SeatBatch(BaseModel):
    """Seats added at one time; Microsoft lets each batch be removed within its own window."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    subscription_id: int
    seats: int
    added_at: datetime
    source: str
    request_id: int | None = None


class SyncRun(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    scope: str
    started_at: datetime
    finished_at: datetime | None = None
    tenants_ok: int = 0
    tenants_failed: int = 0
    error: str | None = None


# --- row → model -----------------------------------------------------------------------------

_TENANT_FIELDS = (
    "service_name",
    "display_name",
    "status",
    "mpn_id",
    "mpn_issue_flag",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "city",
    "zip_code",
    "creation_date",
    "has_accepted_new_mca",
    "usage_read_at",
    "sync_error",
    "sync_error_at",
    "synced_at",
)


def tenant_from_row(row: TenantRow) -> CachedTenant:
    return CachedTenant(
        **{f: getattr(row, f) for f in _TENANT_FIELDS},
        service_info=ServiceInfo.model_validate(row.service_info) if row.service_info else None,
        usage_peaks=BillingPeaks.model_validate(row.usage_peaks) if row.usage_peaks else None,
    )


def license_from_row(row: LicenseRow) -> CachedLicense:
    return CachedLicense(
        id=row.license_id,
        name=row.name,
        licence_type=row.licence_type,
        limit=row.limit,
        new_seats_allowed=row.new_seats_allowed,
        new_subscriptions_allowed=row.new_subscriptions_allowed,
        service_name=row.service_name,
        synced_at=row.synced_at,
    )


def subscription_from_row(row: SubscriptionRow) -> CachedSubscription:
    return CachedSubscription(
        id=row.id,
        license_id=row.license_id,
        quantity=row.quantity,
        status=row.status,
        creation_date=row.creation_date,
        last_update=row.last_update,
        task_pending_id=row.task_pending_id,
        service_name=row.service_name,
        license_name=row.license_name,
        parent_id=row.parent_id,
        available_addon_licenses=row.available_addon_licenses,
        synced_at=row.synced_at,
    )


def task_from_row(row: ProviderTaskRow) -> CachedTask:
    return CachedTask(
        id=row.id,
        function=row.function,
        status=row.status,
        todo_date=row.todo_date,
        finish_date=row.finish_date,
        service_name=row.service_name,
        subscription_id=row.subscription_id,
        request_id=row.request_id,
        synced_at=row.synced_at,
    )


# --- tenants ---------------------------------------------------------------------------------


async def get_tenant(session: AsyncSession, service_name: str) -> CachedTenant | None:
    row = await session.get(TenantRow, service_name)
    return tenant_from_row(row) if row is not None else None


async def tenant_summaries(
    session: AsyncSession, service_names: Sequence[str] | None = None
) -> list[TenantSummary]:
    """License groups (all, or the named ones) with subscription and seat totals, by name."""
    totals = (
        select(
            SubscriptionRow.service_name.label("sn"),
            func.count(SubscriptionRow.id).label("subs"),
            func.coalesce(func.sum(SubscriptionRow.quantity), 0).label("seats"),
        )
        .group_by(SubscriptionRow.service_name)
        .subquery()
    )
    query = select(TenantRow, totals.c.subs, totals.c.seats).outerjoin(
        totals, totals.c.sn == TenantRow.service_name
    )
    if service_names is not None:
        query = query.where(TenantRow.service_name.in_(list(service_names)))
    query = query.order_by(
        func.lower(func.coalesce(TenantRow.display_name, TenantRow.service_name)),
        TenantRow.service_name,
    )
    out = []
    for row, subs, seats in (await session.execute(query)).all():
        tenant = tenant_from_row(row)
        out.append(
            TenantSummary(
                **tenant.model_dump(), subscription_count=subs or 0, seat_count=seats or 0
            )
        )
    return out


async def tenant_names(session: AsyncSession) -> list[tuple[str, str | None]]:
    """(service name, display name) of every cached license group: for "did you mean"."""
    query = select(TenantRow.service_name, TenantRow.display_name).order_by(TenantRow.service_name)
    return [(sn, dn) for sn, dn in (await session.execute(query)).all()]


async def tenants_matching(session: AsyncSession, words: Sequence[str]) -> list[CachedTenant]:
    """License groups whose search text contains every word (words are normalised)."""
    query = select(TenantRow)
    for word in words:
        query = query.where(TenantRow.search_text.contains(word, autoescape=True))
    query = query.order_by(TenantRow.service_name).limit(200)
    return [tenant_from_row(r) for r in (await session.execute(query)).scalars()]


# --- licenses --------------------------------------------------------------------------------


async def licenses_of(
    session: AsyncSession, service_name: str, *, orderable_only: bool = False
) -> list[CachedLicense]:
    """The licenses of a group; `orderable_only` keeps those open to new subscriptions."""
    query = select(LicenseRow).where(LicenseRow.service_name == service_name)
    if orderable_only:
        query = query.where(LicenseRow.new_subscriptions_allowed.is_(True))
    query = query.order_by(LicenseRow.name, LicenseRow.license_id)
    return [license_from_row(r) for r in (await session.execute(query)).scalars()]


async def get_license(
    session: AsyncSession, service_name: str, license_id: int
) -> CachedLicense | None:
    row = await session.get(LicenseRow, (service_name, license_id))
    return license_from_row(row) if row is not None else None


# --- subscriptions ---------------------------------------------------------------------------


async def subscriptions_of(session: AsyncSession, service_name: str) -> list[CachedSubscription]:
    """A group's subscriptions in the control panel's order (by id)."""
    query = (
        select(SubscriptionRow)
        .where(SubscriptionRow.service_name == service_name)
        .order_by(SubscriptionRow.id)
    )
    return [subscription_from_row(r) for r in (await session.execute(query)).scalars()]


async def get_subscription(
    session: AsyncSession, subscription_id: int
) -> CachedSubscription | None:
    row = await session.get(SubscriptionRow, subscription_id)
    return subscription_from_row(row) if row is not None else None


async def get_subscriptions(session: AsyncSession, ids: Sequence[int]) -> list[CachedSubscription]:
    if not ids:
        return []
    query = select(SubscriptionRow).where(SubscriptionRow.id.in_(list(ids)))
    return [subscription_from_row(r) for r in (await session.execute(query)).scalars()]


# --- provider tasks --------------------------------------------------------------------------


async def tasks_of(
    session: AsyncSession, service_name: str | None, *, finished_since: datetime
) -> list[CachedTask]:
    """Tasks still running, then those finished since `finished_since`; newest first."""
    unfinished = ProviderTaskRow.status.not_in([s.value for s in TaskStatus if s.finished])
    recent = func.coalesce(ProviderTaskRow.finish_date, ProviderTaskRow.synced_at)
    query = select(ProviderTaskRow).where(or_(unfinished, recent >= finished_since))
    if service_name is not None:
        query = query.where(ProviderTaskRow.service_name == service_name)
    query = query.order_by(ProviderTaskRow.id.desc())
    rows = [task_from_row(r) for r in (await session.execute(query)).scalars()]
    return sorted(rows, key=lambda t: (t.status.finished, -t.id))


# --- seat batches ----------------------------------------------------------------------------


async def seat_batches(session: AsyncSession, subscription_id: int) -> list[SeatBatch]:
    """Every batch of seats recorded for a subscription, oldest first (for the seat policy)."""
    query = (
        select(SeatBatchRow)
        .where(SeatBatchRow.subscription_id == subscription_id)
        .order_by(SeatBatchRow.added_at, SeatBatchRow.id)
    )
    return [SeatBatch.model_validate(r) for r in (await session.execute(query)).scalars()]


async def record_seat_batch(
    session: AsyncSession,
    subscription_id: int,
    seats: int,
    added_at: datetime,
    request_id: int | None = None,
    *,
    source: str = SOURCE_REQUEST,
) -> SeatBatch:
    """Record seats our own request added (a seat increase, or a new subscription's quantity).

    Call it in the transaction that moves the request to `done`: while the request is queued
    or running, sync leaves the increase to this call, and once it is done the batch is here,
    so the seats are counted exactly once (see `cache_sync.apply_tenant_snapshot`).
    """
    if seats <= 0:
        raise ValueError("a seat batch adds at least one seat")
    row = SeatBatchRow(
        subscription_id=subscription_id,
        seats=seats,
        added_at=added_at,
        source=source,
        request_id=request_id,
    )
    session.add(row)
    sub = await session.get(SubscriptionRow, subscription_id)
    if sub is not None:
        sub.batched_seats = (sub.batched_seats or 0) + seats
    await session.flush()
    return SeatBatch.model_validate(row)


# --- sync runs -------------------------------------------------------------------------------


async def last_sync_run(session: AsyncSession, *, finished: bool = True) -> SyncRun | None:
    """The latest full sync (finished ones only, by default)."""
    query = select(SyncRunRow).where(SyncRunRow.scope == "all")
    if finished:
        query = query.where(SyncRunRow.finished_at.is_not(None))
    query = query.order_by(SyncRunRow.id.desc()).limit(1)
    row = (await session.execute(query)).scalar_one_or_none()
    return SyncRun.model_validate(row) if row is not None else None


async def last_good_sync_at(session: AsyncSession) -> datetime | None:
    """When a full sync last reached the provider (even if some groups failed)."""
    query = select(func.max(SyncRunRow.finished_at)).where(
        SyncRunRow.scope == "all", SyncRunRow.error.is_(None)
    )
    return (await session.execute(query)).scalar_one_or_none()
