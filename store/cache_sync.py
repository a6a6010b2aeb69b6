"""The writes of sync: one license group's snapshot into the cache, deletions, sync runs, and
the locks that keep several replicas from syncing at once.

`bot/cache/sync.py` reads the provider and builds a `TenantSnapshot`; `apply_tenant_snapshot` makes
the cache equal to it in one transaction, including the seat-batch ledger:
- a subscription seen for the first time gets a "creation" batch of its quantity at its
  creation date (minus seats a request of ours already recorded for it);
- an increase beyond `subscriptions.batched_seats` gets a "sync" batch of the difference at the
  time seen — unless a request of ours on that subscription is still queued or running: the
  pipeline records that increase itself (`store.cache.record_seat_batch`) when the request is
  done, so sync leaves the ledger alone until then;
- a decrease lowers `batched_seats`, so a later increase back up is a new batch.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import QueryableAttribute

from bot.core.domain import License, ProviderTask, ServiceInfo, Subscription, Tenant
from store.cache import SOURCE_CREATION, SOURCE_SYNC
from store.cache_usage import UsageSnapshot, apply_usage
from store.db import affected
from store.models import (
    LicenseRow,
    ProviderTaskRow,
    RequestRow,
    RequestStepRow,
    SeatBatchRow,
    SubscriptionRow,
    SyncRunRow,
    TenantRow,
)
from store.search import forget_licenses, subscription_search_text, tenant_search_text

#: pg_advisory_lock keys: (namespace, object). One namespace for the whole sync, one for the
#: per-group write transactions.
_SYNC_LOCK = (0x0C5B, 1)
_TENANT_LOCK_NAMESPACE = 0x0C5C
IN_FLIGHT_STATES = ("queued", "running")
#: The writable OfficeTenant fields, copied as they are.
TENANT_FIELDS = (
    "display_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "city",
    "zip_code",
    "mpn_id",
)


@dataclass
class TenantSnapshot:
    """Everything the provider said about one license group, read at `read_at`."""

    tenant: Tenant
    licenses: list[License]
    subscriptions: list[Subscription]
    tasks: list[ProviderTask]
    read_at: datetime
    #: subscription id → parent subscription id, for add-ons
    parents: dict[int, int] = field(default_factory=dict)
    #: names of licenses that subscriptions use but that are no longer orderable
    extra_license_names: dict[int, str] = field(default_factory=dict)
    service_info: ServiceInfo | None = None
    #: usageStatistics and billingPeriodPeaks, when they were due (`store.cache_usage`)
    usage: UsageSnapshot | None = None
    #: main subscription id → the license ids it may take as add-ons (availableAddonLicenses)
    addon_licenses: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class SnapshotResult:
    applied: bool = True
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    seat_batches: list[tuple[int, int, str]] = field(default_factory=list)  # (sub, seats, source)


# --- locks -----------------------------------------------------------------------------------


@asynccontextmanager
async def sync_lock(engine: AsyncEngine) -> AsyncIterator[bool]:
    """Yields True when this process may run a full sync now, False when another replica is.

    On PostgreSQL: a session-level advisory lock held on its own connection for the whole
    sync (a crashed replica's connection closes, which frees it). SQLite serves one process,
    which `bot.cache.sync.Syncer` serialises itself.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = (
            await conn.execute(
                text("SELECT pg_try_advisory_lock(:a, :b)"),
                {"a": _SYNC_LOCK[0], "b": _SYNC_LOCK[1]},
            )
        ).scalar_one()
        try:
            yield bool(got)
        finally:
            if got:
                await conn.execute(
                    text("SELECT pg_advisory_unlock(:a, :b)"),
                    {"a": _SYNC_LOCK[0], "b": _SYNC_LOCK[1]},
                )


async def lock_tenant(session: AsyncSession, service_name: str) -> None:
    """Serialise writes of one group across replicas until the transaction ends (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(service_name.encode()) - 2**31
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _TENANT_LOCK_NAMESPACE, "b": key}
    )


# --- sync runs -------------------------------------------------------------------------------


async def start_sync_run(session: AsyncSession, scope: str, now: datetime) -> int:
    row = SyncRunRow(scope=scope, started_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def finish_sync_run(
    session: AsyncSession, run_id: int, now: datetime, ok: int, failed: int, error: str | None
) -> None:
    row = await session.get(SyncRunRow, run_id)
    if row is not None:
        row.finished_at, row.tenants_ok, row.tenants_failed = now, ok, failed
        row.error = error[:4000] if error else None


# --- reads sync needs ------------------------------------------------------------------------


async def cached_service_names(session: AsyncSession) -> set[str]:
    return set((await session.execute(select(TenantRow.service_name))).scalars())


async def unfinished_task_ids(session: AsyncSession, service_name: str) -> set[int]:
    query = select(ProviderTaskRow.id).where(
        ProviderTaskRow.service_name == service_name,
        ProviderTaskRow.status.in_(("todo", "doing")),
    )
    return set((await session.execute(query)).scalars())


def subscription_state(sub: Subscription) -> tuple[int, str, datetime | None, int | None]:
    """What `cached_subscription_states` holds for `sub`, as the cache would store it."""
    return sub.quantity, _clip(sub.status, SubscriptionRow.status), sub.last_update, \
        sub.task_pending_id


async def cached_subscription_states(
    session: AsyncSession, service_name: str
) -> dict[int, tuple[int, str, datetime | None, int | None]]:
    """Each cached subscription of the group: (quantity, status, last update, pending task),
    the fields an incremental sync compares with OVHcloud's."""
    query = select(SubscriptionRow.id, SubscriptionRow.quantity, SubscriptionRow.status,
                   SubscriptionRow.last_update, SubscriptionRow.task_pending_id
                   ).where(SubscriptionRow.service_name == service_name)
    return {r.id: (r.quantity, r.status, r.last_update, r.task_pending_id)
            for r in (await session.execute(query)).all()}


async def cached_license_names(session: AsyncSession, service_name: str) -> dict[int, str]:
    query = select(SubscriptionRow.license_id, SubscriptionRow.license_name).where(
        SubscriptionRow.service_name == service_name
    )
    return {lid: name for lid, name in (await session.execute(query)).all() if name}


async def cached_parents(session: AsyncSession, service_name: str) -> dict[int, int]:
    """Add-on → parent subscription, as already known (a parent never changes)."""
    query = select(SubscriptionRow.id, SubscriptionRow.parent_id).where(
        SubscriptionRow.service_name == service_name, SubscriptionRow.parent_id.is_not(None)
    )
    rows = (await session.execute(query)).all()
    return {sid: parent for sid, parent in rows if parent is not None}  # the query excludes None


# --- writes ----------------------------------------------------------------------------------


async def record_tenant_failure(
    session: AsyncSession, service_name: str, error: str, now: datetime
) -> None:
    """The group's cached data stays; the error says why it may be stale."""
    row = await session.get(TenantRow, service_name)
    if row is not None:
        row.sync_error, row.sync_error_at = error[:4000], now


async def remove_tenants(session: AsyncSession, service_names: Iterable[str]) -> list[str]:
    """Forget groups that no longer exist upstream, with everything cached under them."""
    names = sorted(set(service_names))
    if not names:
        return []
    sub_ids = select(SubscriptionRow.id).where(SubscriptionRow.service_name.in_(names))
    await session.execute(delete(SeatBatchRow).where(SeatBatchRow.subscription_id.in_(sub_ids)))
    await session.execute(delete(SubscriptionRow).where(SubscriptionRow.service_name.in_(names)))
    await session.execute(delete(LicenseRow).where(LicenseRow.service_name.in_(names)))
    await session.execute(delete(ProviderTaskRow).where(ProviderTaskRow.service_name.in_(names)))
    await session.execute(delete(TenantRow).where(TenantRow.service_name.in_(names)))
    return names


async def prune_tasks(session: AsyncSession, finished_before: datetime) -> int:
    finished = ProviderTaskRow.status.in_(("done", "error", "cancelled"))
    when = func.coalesce(ProviderTaskRow.finish_date, ProviderTaskRow.synced_at)
    result = await session.execute(delete(ProviderTaskRow).where(finished, when < finished_before))
    return affected(result) or 0


async def _in_flight(session: AsyncSession, service_name: str) -> tuple[set[int], bool]:
    """Subscriptions with a request of ours under way, and whether an order is under way."""
    query = select(RequestRow.kind, RequestRow.subscription_id).where(
        RequestRow.tenant == service_name, RequestRow.state.in_(IN_FLIGHT_STATES)
    )
    rows = (await session.execute(query)).all()
    return {sid for _, sid in rows if sid is not None}, any(k == "order" for k, _ in rows)


async def apply_tenant_snapshot(
    session: AsyncSession, snap: TenantSnapshot, now: datetime
) -> SnapshotResult:
    """Make the cache of one group equal to `snap` (a no-op if a newer one is already in)."""
    t = snap.tenant
    sn = t.service_name
    await lock_tenant(session, sn)
    row = await session.get(TenantRow, sn)
    if row is not None and row.synced_at > snap.read_at:
        return SnapshotResult(applied=False)
    if row is None:
        row = TenantRow(service_name=sn)
        session.add(row)
    for name in TENANT_FIELDS:
        setattr(row, name, getattr(t, name))
    row.status = _clip(t.status, TenantRow.status)
    row.mpn_issue_flag, row.creation_date = t.mpn_issue_flag, t.creation_date
    row.has_accepted_new_mca = t.has_accepted_new_mca
    if snap.service_info is not None:
        row.service_info = snap.service_info.model_dump(mode="json")
    row.search_text = tenant_search_text(t.display_name, sn)
    row.sync_error = row.sync_error_at = None
    row.synced_at = now
    await session.flush()
    if snap.usage is not None:
        await apply_usage(session, row, snap.usage, snap.read_at)

    names = await cached_license_names(session, sn)
    names.update(snap.extra_license_names)
    await _apply_licenses(session, sn, snap.licenses, now)
    names.update({lic.id: lic.name for lic in snap.licenses})
    result = SnapshotResult()
    await _apply_subscriptions(session, snap, names, now, result)
    forget_licenses()
    await _apply_tasks(session, snap, now)
    return result


async def _apply_licenses(
    session: AsyncSession, sn: str, licenses: list[License], now: datetime
) -> None:
    existing = {
        r.license_id: r
        for r in (
            await session.execute(select(LicenseRow).where(LicenseRow.service_name == sn))
        ).scalars()
    }
    for lic in licenses:
        row = existing.pop(lic.id, None)
        if row is None:
            row = LicenseRow(service_name=sn, license_id=lic.id)
            session.add(row)
        row.name, row.licence_type, row.limit = lic.name, str(lic.licence_type), lic.limit
        row.new_seats_allowed = lic.new_seats_allowed
        row.new_subscriptions_allowed = lic.new_subscriptions_allowed
        row.synced_at = now
    for row in existing.values():
        await session.delete(row)


async def _apply_subscriptions(
    session: AsyncSession,
    snap: TenantSnapshot,
    names: dict[int, str],
    now: datetime,
    result: SnapshotResult,
) -> None:
    sn, display = snap.tenant.service_name, snap.tenant.display_name
    query = select(SubscriptionRow).where(SubscriptionRow.service_name == sn)
    existing = {r.id: r for r in (await session.execute(query)).scalars()}
    busy, ordering = await _in_flight(session, sn)
    recorded = await _recorded_seats(
        session, [s.id for s in snap.subscriptions if s.id not in existing]
    )
    for sub in snap.subscriptions:
        row = existing.pop(sub.id, None)
        new = row is None
        if row is None:
            batched = recorded.get(sub.id, 0)
            row = SubscriptionRow(id=sub.id, service_name=sn, batched_seats=batched)
            session.add(row)
            result.added.append(sub.id)
        status = _clip(sub.status, SubscriptionRow.status)
        if not new and (row.quantity != sub.quantity or row.status != status):
            result.changed.append(sub.id)
        license_name = names.get(sub.license_id) or f"License {sub.license_id}"
        row.license_id, row.license_name = sub.license_id, license_name
        row.quantity, row.status = sub.quantity, status
        row.creation_date, row.last_update = sub.creation_date, sub.last_update
        row.task_pending_id = sub.task_pending_id
        row.parent_id = snap.parents.get(sub.id)
        row.available_addon_licenses = snap.addon_licenses.get(sub.id)
        row.search_text = subscription_search_text(sub.id, license_name, display, sn)
        row.synced_at = now
        deferred = sub.id in busy or (new and ordering)
        if not deferred:
            batch = _ledger_batch(row, sub, new, now)
            if batch is not None:
                seats, source, at = batch
                session.add(
                    SeatBatchRow(subscription_id=sub.id, seats=seats, added_at=at, source=source)
                )
                result.seat_batches.append((sub.id, seats, source))
    gone = list(existing)
    if gone:
        await session.execute(delete(SeatBatchRow).where(SeatBatchRow.subscription_id.in_(gone)))
        for row in existing.values():
            await session.delete(row)
        result.removed.extend(gone)
    await session.flush()


def _clip(value: object, column: QueryableAttribute[str]) -> str:
    """A provider string cut to its column (statuses and task functions are free strings)."""
    length = column.type.length if isinstance(column.type, String) else None
    return str(value)[:length]


def _ledger_batch(
    row: SubscriptionRow, sub: Subscription, new: bool, now: datetime
) -> tuple[int, str, datetime] | None:
    """The batch to record for what sync sees now, and move the ledger; see the module doc."""
    accounted = row.batched_seats or 0
    if sub.quantity <= accounted:
        row.batched_seats = sub.quantity
        return None
    row.batched_seats = sub.quantity
    if new and accounted == 0:
        return sub.quantity, SOURCE_CREATION, sub.creation_date or now
    return sub.quantity - accounted, SOURCE_SYNC, now


async def _recorded_seats(session: AsyncSession, subscription_ids: list[int]) -> dict[int, int]:
    """Seats requests of ours recorded before sync first saw these subscriptions."""
    if not subscription_ids:
        return {}
    query = (
        select(SeatBatchRow.subscription_id, func.sum(SeatBatchRow.seats))
        .where(SeatBatchRow.subscription_id.in_(subscription_ids))
        .group_by(SeatBatchRow.subscription_id)
    )
    return {sid: int(seats) for sid, seats in (await session.execute(query)).all()}


async def record_task(
    session: AsyncSession,
    service_name: str,
    task: ProviderTask,
    now: datetime,
    *,
    subscription_id: int | None = None,
    request_id: int | None = None,
) -> None:
    """Keeps what is known of one provider task: sync writes what it lists, and the worker what
    it follows. OVHcloud lists only pending tasks, so a task that starts and ends between two
    syncs is known from the worker alone: that is how finished tasks reach `/csp tasks`."""
    row = await session.get(ProviderTaskRow, task.id)
    if row is None:
        row = ProviderTaskRow(id=task.id, service_name=service_name)
        session.add(row)
    row.function, row.status = _clip(task.function, ProviderTaskRow.function), str(task.status)
    row.todo_date, row.finish_date = task.todo_date, task.finish_date
    row.subscription_id = subscription_id if subscription_id is not None else row.subscription_id
    row.request_id = request_id if request_id is not None else row.request_id
    row.synced_at = now


async def _apply_tasks(session: AsyncSession, snap: TenantSnapshot, now: datetime) -> None:
    sn = snap.tenant.service_name
    by_task = {s.task_pending_id: s.id for s in snap.subscriptions if s.task_pending_id}
    ids = [task.id for task in snap.tasks]
    requests: dict[int, int] = {}
    if ids:
        query = select(RequestStepRow.provider_task_id, RequestStepRow.request_id).where(
            RequestStepRow.provider_task_id.in_(ids)
        )
        rows = (await session.execute(query)).all()
        requests = {tid: rid for tid, rid in rows if tid is not None}  # in_(ids) excludes None
    seen = set()
    for task in snap.tasks:
        seen.add(task.id)
        await record_task(session, sn, task, now, subscription_id=by_task.get(task.id),
                          request_id=requests.get(task.id))
    # unfinished tasks the provider no longer knows of: nothing more will be learnt about them
    forgotten = await unfinished_task_ids(session, sn) - seen
    if forgotten:
        await session.execute(delete(ProviderTaskRow).where(ProviderTaskRow.id.in_(forgotten)))
