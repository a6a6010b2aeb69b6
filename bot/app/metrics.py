"""Prometheus metrics, served at `/metrics` on the bot's own HTTP server.

One registry per `Runtime` (never the process-wide default one), so that several bots in one
process — the tests, the soak — each count only their own work. The families, their labels and
the alert rules built on them are listed in docs/operations.md.

What is counted where:
- Slack requests and their ack latency: `bot.app.slack_observe` (middleware and bolt dispatch);
- Web API calls and 429s: `bot.app.slack_observe.WebApiObserver`, a retry handler that watches;
- provider calls: `bot.provider.observe`, through the provider's `observer` attribute;
- syncs: the `timed_*` decorators on `bot.cache.sync.Syncer`;
- approval waits: `approval_decided`, after a decision is committed;
- requests, the queue and sync ages: `bot.app.metrics_state`, from the database at scrape time.
Label values are bounded: routes without ids, Slack method names, error codes of a fixed
shape; anything else becomes `other`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

from bot.app import slack_observe
from bot.app.metrics_state import StateCollector
from store import requests as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")
S = TypeVar("S")
P = ParamSpec("P")

# `*_created` series double every counter and histogram and tell an operator nothing here.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated

#: Slack waits 3 s for an answer: the buckets are dense below that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
PROVIDER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SYNC_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
#: People decide in minutes to days.
APPROVAL_BUCKETS = (60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400)

#: The state a decision leaves a request in → the decision (an approved change is queued).
DECISIONS = {"queued": "approved", "approved": "approved"}

_SLACK_METHOD = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,63}$")
_SLACK_ERROR = re.compile(r"^[a-z0-9_]{1,64}$")


def _bounded(value: str, pattern: re.Pattern[str]) -> str:
    return value if pattern.match(value) else "other"


def _package_version() -> str:
    try:
        return version("csp-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


class Metrics:
    """The families of one runtime and the calls that move them."""

    def __init__(self, runtime: Runtime) -> None:
        self.registry = r = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=r)  # memory, CPU, file descriptors, GC: of this process
        Info("csp_bot", "The running version.", registry=r).info(
            {"version": _package_version()}
        )
        self.slack_requests = Counter(
            "csp_slack_requests", "Slack requests answered, by kind and outcome.",
            ["kind", "outcome"], registry=r,
        )  # fmt: skip
        self.slack_ack = Histogram(
            "csp_slack_ack_seconds", "Time from a Slack request's arrival to its answer.",
            ["kind"], buckets=ACK_BUCKETS, registry=r,
        )  # fmt: skip
        self.slack_api_calls = Counter(
            "csp_slack_api_calls",
            "Slack Web API responses (each attempt), by method and outcome (ok or the error).",
            ["method", "outcome"], registry=r,
        )  # fmt: skip
        self.slack_api_rate_limited = Counter(
            "csp_slack_api_rate_limited", "Slack Web API answers 429 (rate limited), by method.",
            ["method"], registry=r,
        )  # fmt: skip
        self.provider_calls = Counter(
            "csp_provider_calls", "Provider calls, by endpoint and outcome.",
            ["endpoint", "outcome"], registry=r,
        )  # fmt: skip
        self.provider_seconds = Histogram(
            "csp_provider_call_seconds", "Provider call latency (retries of a GET included).",
            ["endpoint"], buckets=PROVIDER_BUCKETS, registry=r,
        )  # fmt: skip
        self.sync_runs = Counter(
            "csp_sync_runs", "Full syncs by outcome: ok, partial, error, skipped (another "
            "replica held the lock).", ["outcome"], registry=r,
        )  # fmt: skip
        self.sync_run_seconds = Histogram(
            "csp_sync_run_seconds", "Duration of the full syncs this replica ran.",
            buckets=SYNC_BUCKETS, registry=r,
        )  # fmt: skip
        self.sync_group_seconds = Histogram(
            "csp_sync_group_seconds", "Duration of reading one license group, by outcome.",
            ["outcome"], buckets=SYNC_BUCKETS, registry=r,
        )  # fmt: skip
        self.approval_wait = Histogram(
            "csp_approval_wait_seconds",
            "Time from awaiting_approval to the decision, by kind and decision.",
            ["kind", "decision"], buckets=APPROVAL_BUCKETS, registry=r,
        )  # fmt: skip
        self.group_durations: dict[str, float] = {}
        self.state = StateCollector(runtime, self.group_durations)
        r.register(self.state)
        self.runtime = runtime
        self._pending: set[asyncio.Task[Any]] = set()

    # --- recording ------------------------------------------------------------------------

    def slack_request(self, kind: str, outcome: str, seconds: float) -> None:
        self.slack_requests.labels(kind, outcome).inc()
        self.slack_ack.labels(kind).observe(seconds)

    def slack_api_call(self, method: str, outcome: str) -> None:
        method = _bounded(method, _SLACK_METHOD)
        self.slack_api_calls.labels(method, _bounded(outcome, _SLACK_ERROR)).inc()
        if outcome == "ratelimited":
            self.slack_api_rate_limited.labels(method).inc()

    def provider_call(self, endpoint: str, outcome: str, seconds: float) -> None:
        self.provider_calls.labels(endpoint, outcome).inc()
        self.provider_seconds.labels(endpoint).observe(seconds)

    def sync_group(self, service_name: str, ok: bool, seconds: float) -> None:
        self.sync_group_seconds.labels("ok" if ok else "error").observe(seconds)
        self.group_durations[service_name] = seconds

    def sync_run(self, report: Any, seconds: float) -> None:
        if report.skipped:
            outcome = "skipped"
        elif report.error:
            outcome = "error"
        else:
            outcome = "partial" if report.failed else "ok"
        self.sync_runs.labels(outcome).inc()
        if not report.skipped:
            self.sync_run_seconds.observe(seconds)

    def approval_decided(self, request: Any) -> None:
        """After a decision on `request` (committed): measures its wait from the audit trail,
        in the background so the click's answer does not wait for it."""
        task = asyncio.create_task(self._approval_wait(request), name="metrics:approval")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _approval_wait(self, request: Any) -> None:
        try:
            async with self.runtime.db.session() as session:
                entered = await repo.last_transition_to(session, request.id, "awaiting_approval")
                decided = await repo.last_transition_to(session, request.id, str(request.state))
        except Exception:
            log.warning("metrics: could not read the approval wait of %s", request.ref)
            return
        if entered is None or decided is None:
            return
        wait = max(0.0, (decided.created_at - entered.created_at).total_seconds())
        decision = DECISIONS.get(str(request.state), str(request.state))
        self.approval_wait.labels(str(request.kind), decision).observe(wait)

    # --- serving --------------------------------------------------------------------------

    async def scrape(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition (text or OpenMetrics, as `accept` asks) after a fresh database read
        and the measurements still under way."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=1.0)
        await self.state.refresh()
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type


def instrument(runtime: Runtime) -> Metrics:
    """Metrics for `runtime`, with its provider and Slack client reporting into them."""
    metrics = Metrics(runtime)
    try:
        # not part of CspProvider: a provider may refuse it (bot.provider.observe reads it)
        runtime.provider.observer = metrics.provider_call  # type: ignore[attr-defined]
    except AttributeError:  # a provider that takes no attributes goes unmeasured
        log.debug("provider %r is not measured", runtime.provider)
    slack_observe.observe_web_api(runtime.slack, metrics)
    return metrics


def approval_decided(runtime: Runtime, request: Any) -> None:
    """The decision hook for `bot.pipeline.approvals` (a runtime without metrics measures
    nothing)."""
    metrics = getattr(runtime, "metrics", None)
    if metrics is not None:
        metrics.approval_decided(request)


def metrics_handler(metrics: Metrics) -> Callable[[web.Request], Awaitable[web.Response]]:
    """`GET /metrics` for aiohttp."""

    async def handler(request: web.Request) -> web.Response:
        body, content_type = await metrics.scrape(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handler


# --- the sync's hooks -------------------------------------------------------------------------


def _metrics_of(syncer: Any) -> Metrics | None:
    return getattr(getattr(syncer, "runtime", None), "metrics", None)


def timed_group(
    method: Callable[Concatenate[S, str, P], Awaitable[T]],
) -> Callable[Concatenate[S, str, P], Coroutine[Any, Any, T]]:
    """Decorates `Syncer.refresh_tenant(service_name)`: its duration and outcome."""

    @functools.wraps(method)
    async def wrapper(self: S, service_name: str, /, *args: P.args, **kwargs: P.kwargs) -> T:
        started = time.perf_counter()
        outcome = await method(self, service_name, *args, **kwargs)
        metrics = _metrics_of(self)
        if metrics is not None:
            ok = bool(getattr(outcome, "ok", True))
            metrics.sync_group(service_name, ok, time.perf_counter() - started)
        return outcome

    return wrapper


def timed_run(
    method: Callable[Concatenate[S, P], Awaitable[T]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, T]]:
    """Decorates the full sync (`Syncer._sync_all`): its duration and outcome."""

    @functools.wraps(method)
    async def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        started = time.perf_counter()
        report = await method(self, *args, **kwargs)
        metrics = _metrics_of(self)
        if metrics is not None:
            metrics.sync_run(report, time.perf_counter() - started)
        return report

    return wrapper
