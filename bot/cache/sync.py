"""Keeps the local cache equal to the provider: a full sync and a per-group refresh.

Why a cache at all: Slack gives a listener 3 seconds and OVHcloud can take longer than that, or
be down. So every "what do we have" answer, every modal and every typeahead reads the cache, and
this module keeps it fresh:
- at start-up and every `CSP_SYNC_INTERVAL` seconds (the "sync" loop, `Syncer.run_once`);
- on demand (`/csp sync`, the Refresh buttons — started in the background, never on the ack);
- after every completed request, for the group concerned (`refresh_tenant`).

Groups are read with bounded concurrency (`CSP_SYNC_CONCURRENCY`), each with the provider's
batch reads (one by one while OVHcloud refuses them; the report says so); a failing group keeps
its cached data, gets `tenants.sync_error`, and never fails the others. Groups and
subscriptions deleted upstream leave the cache. On PostgreSQL an advisory lock lets one replica
run the full sync at a time; per-group writes are serialised too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.app.metrics import timed_group, timed_run
from bot.core.domain import UsagePeriod
from bot.core.i18n import _, ngettext
from bot.provider.base import NotFound, ProviderError
from store import cache, cache_sync, cache_usage
from store.cache import record_seat_batch  # re-exported for the pipeline
from store.cache_sync import TenantSnapshot
from store.cache_usage import UsageSnapshot

if TYPE_CHECKING:
    from bot.app.runtime import Runtime
    from bot.core.domain import Subscription, UsageStatistics
    from bot.provider.base import CspProvider

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["SyncReport", "Syncer", "TenantOutcome", "record_seat_batch", "refresh_tenant"]


@dataclass
class TenantOutcome:
    """What refreshing one license group did."""

    service_name: str
    ok: bool
    error: str | None = None
    removed: bool = False  # the group no longer exists upstream
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    seat_batches: int = 0
    #: Usage was read this time (it is read at most every CSP_USAGE_REFRESH_HOURS) ...
    usage_read: bool = False
    #: ... and what refused it, if anything (the other figures of the group are synced).
    usage_errors: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    """The result of a full sync, for the CLI, `/csp sync` and the logs."""

    started_at: datetime
    finished_at: datetime | None = None
    outcomes: list[TenantOutcome] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: The provider could not even list the groups: the whole cache is as it was.
    error: str | None = None
    #: Another replica holds the sync lock; it is syncing right now.
    skipped: bool = False
    #: OVHcloud refused batch reads during this sync (its reason): objects were read one by
    #: one, which costs more requests but loses nothing.
    batch_reads_off: str | None = None

    @property
    def ok(self) -> list[str]:
        return [o.service_name for o in self.outcomes if o.ok]

    @property
    def failed(self) -> dict[str, str]:
        return {o.service_name: o.error or "" for o in self.outcomes if not o.ok}

    @property
    def seat_batches(self) -> int:
        return sum(o.seat_batches for o in self.outcomes)

    def summary(self) -> str:
        if self.skipped:
            return _("Another instance of the bot is syncing right now; try again in a minute.")
        if self.error:
            return _("The provider could not be reached: {error}", error=self.error)
        text = ngettext("Synced {n} license group", "Synced {n} license groups", len(self.ok))
        if self.removed:
            text += "; " + _("{n} removed (deleted upstream)", n=len(self.removed))
        if self.failed:
            text += "; " + _("{n} failed", n=len(self.failed))
        text += "."
        if self.batch_reads_off:
            text += " " + _("OVHcloud refused batch reads ({reason}), so objects were read one "
                            "by one.", reason=self.batch_reads_off)
        return text


class SyncProgress(Protocol):
    def started(self, total: int) -> None: ...
    def advanced(self, outcome: TenantOutcome) -> None: ...


class Syncer:
    """One per process (`runtime.syncer`)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._full: asyncio.Task[SyncReport] | None = None
        self._writes = asyncio.Lock()  # SQLite: one writer at a time, in order
        self._background: set[asyncio.Task[Any]] = set()
        self.last_report: SyncReport | None = None

    @property
    def _provider(self) -> CspProvider:
        return self.runtime.provider

    def _now(self) -> datetime:
        return self.runtime.clock.now()

    # --- full sync -------------------------------------------------------------------------

    async def run_once(self) -> SyncReport:
        """The sync loop's iteration."""
        return await self.sync_all()

    async def sync_all(self, progress: SyncProgress | None = None) -> SyncReport:
        """Sync every group. A full sync already running in this process is joined, not
        doubled."""
        if self._full is None or self._full.done():
            self._full = asyncio.create_task(self._sync_all(progress), name="sync:all")
        report = await asyncio.shield(self._full)
        self.last_report = report
        return report

    @timed_run
    async def _sync_all(self, progress: SyncProgress | None) -> SyncReport:
        db = self.runtime.db
        report = SyncReport(started_at=self._now())
        async with cache_sync.sync_lock(db.engine) as ours:
            if not ours:
                report.skipped = True
                log.info("sync skipped: another replica holds the sync lock")
                return report
            async with db.transaction() as session:
                run_id = await cache_sync.start_sync_run(session, "all", report.started_at)
            self._provider.retry_batch_reads()  # refused last time? OVHcloud may take them again
            try:
                names = await self._provider.list_tenants()
            except ProviderError as exc:
                report.error = str(exc)
                log.warning("sync: cannot list license groups: %s", exc)
            else:
                if progress is not None:
                    progress.started(len(names))
                report.outcomes = await self._refresh_many(names, progress)
                async with self._writes, db.transaction() as session:
                    gone = await cache_sync.cached_service_names(session) - set(names)
                    report.removed = await cache_sync.remove_tenants(session, gone)
                    keep = timedelta(days=self.runtime.settings.csp_task_history_days)
                    await cache_sync.prune_tasks(session, self._now() - keep)
            report.finished_at = self._now()
            report.batch_reads_off = self._provider.batch_reads_off()
            failed = report.failed
            async with db.transaction() as session:
                await cache_sync.finish_sync_run(
                    session,
                    run_id,
                    report.finished_at,
                    len(report.ok),
                    len(failed),
                    report.error or _failures_text(failed),
                )
        log.info("sync: %s", report.summary())
        return report

    # --- incremental sync ------------------------------------------------------------------

    async def sync_changes(self) -> SyncReport:
        """The incremental sync (every CSP_SYNC_CHANGES_INTERVAL, between full syncs): reads
        only the groups that changed upstream.

        How it knows: per group it reads the subscriptions alone (their ids and one batch read:
        2 calls, where a full read of a group makes about 30) and compares them with the cache —
        a subscription added or gone, other seats, another status, a newer `lastUpdate`, a task
        pending — or the cache still waits for a task of the group to finish. Only such groups,
        and groups new upstream, are read in full (`refresh_tenant`). A change to a group's own
        details, or a group deleted upstream, waits for the next full sync."""
        report = SyncReport(started_at=self._now())
        if self._full is None or not self._full.done():
            report.skipped = True  # the full sync at start-up (or one under way) comes first
            return report
        async with cache_sync.sync_lock(self.runtime.db.engine) as ours:
            if not ours:
                report.skipped = True
                return report
            try:
                names = await self._provider.list_tenants()
            except ProviderError as exc:
                report.error = str(exc)
                log.warning("incremental sync: cannot list license groups: %s", exc)
                return report
            async with self.runtime.db.session() as session:
                cached = await cache_sync.cached_service_names(session)
            gate = asyncio.Semaphore(self.runtime.settings.csp_sync_concurrency)

            async def one(service_name: str) -> TenantOutcome | None:
                async with gate:
                    if service_name in cached and not await self._changed(service_name):
                        return None
                    return await self.refresh_tenant(service_name)

            outcomes = await asyncio.gather(*(one(sn) for sn in names))
        report.outcomes = [o for o in outcomes if o is not None]
        report.finished_at = self._now()
        self.last_report = report
        if report.outcomes:
            log.info("incremental sync: %s", report.summary())
        return report

    async def _changed(self, sn: str) -> bool:
        try:
            subscriptions = await self._provider.get_subscriptions(sn)
        except ProviderError:
            return True  # the full read of the group records what is wrong
        async with self.runtime.db.session() as session:
            cached = await cache_sync.cached_subscription_states(session, sn)
            waiting = await cache_sync.unfinished_task_ids(session, sn)
        upstream = {s.id: cache_sync.subscription_state(s) for s in subscriptions}
        return bool(waiting) or upstream != cached

    async def _refresh_many(
        self, names: list[str], progress: SyncProgress | None
    ) -> list[TenantOutcome]:
        gate = asyncio.Semaphore(self.runtime.settings.csp_sync_concurrency)

        async def one(service_name: str) -> TenantOutcome:
            async with gate:
                outcome = await self.refresh_tenant(service_name)
            if progress is not None:
                progress.advanced(outcome)
            return outcome

        return list(await asyncio.gather(*(one(sn) for sn in names)))

    # --- one group -------------------------------------------------------------------------

    @timed_group
    async def refresh_tenant(self, service_name: str) -> TenantOutcome:
        """Re-read one group into the cache. Never raises for a provider failure: the outcome
        says what went wrong, and the group's cached data stays with `sync_error` set."""
        db = self.runtime.db
        try:
            snapshot = await self._read(service_name)
        except NotFound:
            async with self._writes, db.transaction() as session:
                await cache_sync.remove_tenants(session, [service_name])
            return TenantOutcome(service_name, ok=True, removed=True)
        except Exception as exc:  # one group's failure never fails the others
            error = str(exc) if isinstance(exc, ProviderError) else _unexpected(exc)
            if not isinstance(exc, ProviderError):
                log.exception("sync of %s failed", service_name)
            else:
                log.warning("sync of %s failed: %s", service_name, exc)
            async with self._writes, db.transaction() as session:
                await cache_sync.record_tenant_failure(session, service_name, error, self._now())
            return TenantOutcome(service_name, ok=False, error=error)
        async with self._writes, db.transaction() as session:
            result = await cache_sync.apply_tenant_snapshot(session, snapshot, self._now())
        return TenantOutcome(
            service_name,
            ok=True,
            added=result.added,
            changed=result.changed,
            deleted=result.removed,
            seat_batches=len(result.seat_batches),
            usage_read=snapshot.usage is not None,
            usage_errors=snapshot.usage.errors if snapshot.usage is not None else [],
        )

    async def _read(self, sn: str) -> TenantSnapshot:
        """Everything about one group, in a handful of calls (batch reads), one at a time so
        that `CSP_SYNC_CONCURRENCY` bounds the calls in flight."""
        p, db = self._provider, self.runtime.db
        read_at = self._now()
        tenant = await p.get_tenant(sn)
        licenses = await p.get_licenses(sn)
        subscriptions = await p.get_subscriptions(sn)
        pending = await p.list_tasks(sn)
        async with db.session() as session:
            earlier = await cache_sync.unfinished_task_ids(session, sn)
            known_names = await cache_sync.cached_license_names(session, sn)
            parents = await cache_sync.cached_parents(session, sn)
            usage_read_at = await cache_usage.usage_read_at(session, sn)
            known_addons = await cache.addon_eligibility(session, sn)
        # tasks we saw running last time are read again, to learn how they ended
        ids = sorted(set(pending) | earlier)
        tasks = await p.get_tasks(sn, ids) if ids else []
        service_info = await p.service_infos(sn)
        usage = await self._usage(sn, usage_read_at, read_at)

        orderable = {lic.id for lic in licenses}
        unknown = sorted({s.license_id for s in subscriptions} - orderable - set(known_names))
        extra = {lic.id: lic.name for lic in await p.get_licenses(sn, unknown)} if unknown else {}
        live = {s.id for s in subscriptions}
        parents = {child: parent for child, parent in parents.items() if child in live}
        addon_ids = {lic.id for lic in licenses if lic.is_addon}
        orphans = {s.id for s in subscriptions if s.license_id in addon_ids} - set(parents)
        for sub in subscriptions:
            if not orphans:
                break
            if sub.license_id in addon_ids:
                continue
            for child in await p.list_addon_subscriptions(sn, sub.id):
                if child in orphans:
                    parents[child] = sub.id
                    orphans.discard(child)
        # read again with the usage (every CSP_USAGE_REFRESH_HOURS), else only what changed
        eligible = await self._addon_eligibility(
            sn, subscriptions, addon_ids, parents, known={} if usage is not None else known_addons)
        return TenantSnapshot(
            tenant=tenant,
            licenses=licenses,
            subscriptions=subscriptions,
            tasks=tasks,
            read_at=read_at,
            parents=parents,
            extra_license_names=extra,
            service_info=service_info,
            usage=usage,
            addon_licenses=eligible,
        )

    async def _usage(self, sn: str, last_read: datetime | None, now: datetime
                     ) -> UsageSnapshot | None:
        """The group's usage, when it is due (None when it is not): usageStatistics for the
        last quarter and the last month, and billingPeriodPeaks. Both periods are asked for
        because OVHcloud does not say whether they are rolling (the quarter then holds the
        month) or calendar ones (then they differ): days are kept by date either way
        (inferred). A refused call costs the group nothing else; it is asked again when the
        usage is next due, so a key without those rights adds no call per sync."""
        every = timedelta(hours=self.runtime.settings.csp_usage_refresh_hours)
        if last_read is not None and now - last_read < every:
            return None
        p = self._provider
        days: list[UsageStatistics] = []
        usage = UsageSnapshot(days=days)
        for period in (UsagePeriod.LAST_QUARTER, UsagePeriod.LAST_MONTH):
            try:
                days += await p.usage_statistics(sn, period)
            except ProviderError as exc:
                usage.errors.append(f"usageStatistics {period}: {exc}")
        if len(usage.errors) == 2:
            usage.days = None
        try:
            usage.peaks = await p.billing_period_peaks(sn)
        except ProviderError as exc:
            usage.errors.append(f"billingPeriodPeaks: {exc}")
        if usage.errors:
            log.warning("sync of %s: usage not read: %s", sn, "; ".join(usage.errors))
        return usage

    async def _addon_eligibility(
        self, sn: str, subscriptions: list[Subscription], addon_ids: set[int],
        parents: dict[int, int],
        known: dict[int, tuple[int, datetime | None, int | None, list[int]]] | None = None,
    ) -> dict[int, list[int]]:
        """What each main subscription may take as add-ons (`availableAddonLicenses`), one call
        each, so the order form offers an add-on only where OVHcloud takes it. A group that
        offers no add-on license needs no call: nothing can be offered.

        `known`: what the cache holds from an earlier read (`cache.addon_eligibility`); it is
        kept, without a call, for a subscription whose license, `lastUpdate` and pending task
        are the same as then. OVHcloud's reference says only that the call lists the licenses
        a subscription may take as add-ons, not when that list changes; that it changes with
        the subscription (a change shows in `lastUpdate`) or rarely (the usage's refresh
        period reads every list again) is inferred. Those calls were two thirds of a full
        sync's (one per main subscription against ten per group for everything else)."""
        main = [s for s in subscriptions if s.license_id not in addon_ids and s.id not in parents]
        if not addon_ids:
            return {s.id: [] for s in main}
        known = known or {}
        eligible = {}
        for sub in main:
            earlier = known.get(sub.id)
            if earlier is not None and earlier[:3] == (
                sub.license_id, sub.last_update, sub.task_pending_id
            ):
                eligible[sub.id] = earlier[3]
                continue
            try:
                eligible[sub.id] = await self._provider.available_addon_licenses(sn, sub.id)
            except NotFound:
                continue  # gone since it was listed: the next sync forgets it
        return eligible

    # --- work started from a listener ------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        """Run `work` after the listener has answered Slack (a Refresh button, an edit).

        Not durable: only for work that may be lost on a restart (a refresh, a re-render).
        """
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work %s failed", task.get_name(), exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until the background work started so far is finished (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def _failures_text(failed: dict[str, str]) -> str | None:
    if not failed:
        return None
    return "; ".join(f"{sn}: {error}" for sn, error in sorted(failed.items()))


def _unexpected(exc: Exception) -> str:
    return _("unexpected error ({kind}); see the bot's log", kind=exc.__class__.__name__)


def syncer_of(runtime: Runtime) -> Syncer:
    """The runtime's syncer (installed by `Runtime._install_loops`)."""
    syncer = getattr(runtime, "syncer", None)
    if syncer is None:
        syncer = runtime.syncer = Syncer(runtime)
    return syncer


async def refresh_tenant(runtime: Runtime, service_name: str) -> TenantOutcome:
    """Re-read one license group into the cache (the worker calls it after each request)."""
    return await syncer_of(runtime).refresh_tenant(service_name)
