"""The metrics that come from the database, read when Prometheus scrapes.

Requests by kind and state, the worker's queue and how long its oldest entries have waited,
and each license group's sync age are facts of the shared database, not of this process:
every replica reports the same values (alert on `max()` of them). They are read in one short
transaction per scrape (`store.stats`), at most one read at a time; a scrape that finds the
database slow or down serves the last values and counts the failure, and never waits longer
than `REFRESH_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from store import stats

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

#: A scrape never waits longer than this on the database.
REFRESH_TIMEOUT = 2.0


@dataclass
class Snapshot:
    at: datetime | None = None
    counts: list[tuple[str, str, int]] = field(default_factory=list)
    waiting: stats.Waiting | None = None
    groups: list[stats.GroupFreshness] = field(default_factory=list)


def _age(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


class StateCollector(Collector):
    """Serves the last `Snapshot`; `refresh()` replaces it (the scrape handler calls it)."""

    def __init__(self, runtime: Runtime, group_durations: dict[str, float]) -> None:
        self.runtime = runtime
        self.snapshot = Snapshot()
        self.group_durations = group_durations  # this replica's last read of each group
        self.failures = 0
        self._refreshing: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        """Reads the database now; concurrent scrapes share one read."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._read(), name="metrics:state")
            # a read that outlives its scrape may fail later, unawaited: collect its error
            self._refreshing.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            await asyncio.wait_for(asyncio.shield(self._refreshing), REFRESH_TIMEOUT)
        except Exception as exc:
            self.failures += 1
            log.warning("metrics: database figures not refreshed: %s", exc.__class__.__name__)

    async def _read(self) -> None:
        now = self.runtime.clock.now()
        async with self.runtime.db.session() as session:
            counts = await stats.request_counts(session)
            waiting = await stats.waiting(session, now)
            groups = await stats.group_freshness(session)
        self.snapshot = Snapshot(now, counts, waiting, groups)

    def describe(self) -> list[Metric]:
        return list(self._families(Snapshot()))

    def collect(self) -> Iterator[Metric]:
        yield from self._families(self.snapshot)

    def _families(self, snap: Snapshot) -> Iterator[Metric]:
        now = snap.at
        requests = GaugeMetricFamily(
            "csp_requests", "Requests in the database, by kind and state.",
            labels=["kind", "state"],
        )  # fmt: skip
        for kind, state, n in sorted(snap.counts):
            requests.add_metric([kind, state], n)
        yield requests

        w = snap.waiting
        yield GaugeMetricFamily(
            "csp_worker_queue_depth", "Queued requests due now: what the workers should take.",
            value=w.due if w else 0,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "csp_worker_queue_deferred",
            "Queued requests waiting to retry a transient provider failure later.",
            value=w.deferred if w else 0,
        )
        yield GaugeMetricFamily(
            "csp_worker_oldest_waiting_seconds",
            "How long the oldest due queued request has waited for a worker (0: none).",
            value=_age(now, w.oldest_due) if w and now else 0,
        )
        yield GaugeMetricFamily(
            "csp_worker_oldest_running_seconds",
            "How long the request running longest has been running (0: none).",
            value=_age(now, w.oldest_running) if w and now else 0,
        )
        yield GaugeMetricFamily(
            "csp_approvals_oldest_waiting_seconds",
            "How long the oldest request awaiting approval has waited (0: none).",
            value=_age(now, w.oldest_awaiting) if w and now else 0,
        )

        age = GaugeMetricFamily(
            "csp_sync_age_seconds",
            "Seconds since each license group was last read whole from the provider.",
            labels=["license_group"],
        )
        failing = GaugeMetricFamily(
            "csp_sync_failing",
            "1 when the last read of a license group failed (its cached data is older).",
            labels=["license_group"],
        )
        duration = GaugeMetricFamily(
            "csp_sync_last_duration_seconds",
            "How long this replica's last read of each license group took.",
            labels=["license_group"],
        )
        for group in snap.groups:
            age.add_metric([group.service_name], _age(now, group.synced_at) if now else 0)
            failing.add_metric([group.service_name], 1 if group.failing else 0)
            seconds = self.group_durations.get(group.service_name)
            if seconds is not None:
                duration.add_metric([group.service_name], seconds)
        yield age
        yield failing
        yield duration
        yield GaugeMetricFamily(
            "csp_sync_interval_seconds",
            "CSP_SYNC_INTERVAL: the period of the full sync (0: start-up and on demand only).",
            value=getattr(getattr(self.runtime, "settings", None), "csp_sync_interval", 0),
        )
        yield CounterMetricFamily(
            "csp_metrics_refresh_failures",
            "Scrapes that could not read the database figures and served the last ones.",
            value=self.failures,
        )
