"""The durable executor of the request pipeline (the outbox): sends each step of a `queued`
request to the provider exactly once, follows the provider tasks, and settles the request.

Exactly once rests on three habits:
- a step is committed `sending` BEFORE its call, and `running` with the task id right after, so
  a worker that dies in between leaves a trace; the next one reconciles with what the provider
  shows (`bot/pipeline/execution.py`) instead of sending blindly;
- a worker holds a lease on each request it works on, renewed by a heartbeat (also during a
  long provider call) and before every write; when the worker dies, the lease runs out within
  `CSP_WORKER_LEASE_SECONDS` and another worker resumes the request — at once, when it is the
  restarted bot and can prove its predecessor is gone (`bot/pipeline/leases.py`);
- on PostgreSQL, claiming uses FOR UPDATE SKIP LOCKED so replicas split the queue, and every
  move is a conditional update, so two workers never both win.

docs/pipeline.md tells the whole story: states, steps, leases, reconcile.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.log_context import REQUEST_REF, about_request
from bot.cache.sync import record_seat_batch, refresh_tenant
from bot.core import formats
from bot.core.domain import ProviderTask, Request, RequestState, RequestStep, StepState
from bot.core.i18n import _
from bot.orders import delivery as order_delivery
from bot.orders import new_group_view as new_group
from bot.orders.delivery import Outcome
from bot.pipeline import execution
from bot.pipeline.execution import Finding, Remedy, Sent
from bot.pipeline.kinds import spec_of
from bot.pipeline.leases import LeaseKeeper, dead_owners, this_process
from bot.pipeline.transitions import WORKER, move_step, record_change, transition
from bot.provider.base import ProviderError
from bot.software import steps as software_steps
from bot.software.sync import record_order
from store import cache_sync
from store import leases as lease_sql
from store import requests as repo

if TYPE_CHECKING:
    from bot.app.config import Settings
    from bot.app.runtime import PeriodicLoop, Runtime

log = logging.getLogger(__name__)

#: How the worker signs audit events and state changes.
ACTOR = WORKER
#: Requests claimed per database round trip.
CLAIM_BATCH = 10

S, St = RequestState, StepState
UNSETTLED = frozenset({St.PENDING, St.SENDING, St.RUNNING})


@dataclass
class WorkerReport:
    """What one pass did; tests assert on it, the loop logs it."""

    claimed: int = 0  # requests taken (queued → running, or a running one whose lease was free)
    resumed: int = 0  # of which a dead worker's (its lease ran out, or its process is gone)
    sent: int = 0  # provider writes made
    adopted: int = 0  # lost calls found as a task pending on the subscription
    polled: int = 0  # provider tasks looked at
    steps_done: int = 0
    steps_failed: int = 0
    steps_unknown: int = 0
    deferred: int = 0  # requests sent back to the queue to retry a transient failure later
    done: int = 0
    failed: int = 0
    needs_attention: int = 0
    crashed: int = 0  # requests whose pass ended in an unexpected error (logged)

    def __bool__(self) -> bool:
        return any(vars(self).values())


class LostLease(Exception):
    """Another worker took the request over (this one was too slow): stop touching it."""


class Worker:
    def __init__(self, runtime: Runtime, *, worker_id: str | None = None,
                 rng: random.Random | None = None) -> None:
        self.runtime = runtime
        self.identity = this_process()
        self.worker_id = worker_id or self.identity.worker_id
        self.rng = rng or random.Random()
        #: the PeriodicLoop running this worker, when installed in a Runtime
        self.loop: PeriodicLoop | None = None
        self.leases = LeaseKeeper(
            runtime.db, self.worker_id, self._lease_end,
            runtime.settings.csp_worker_heartbeat_seconds,
        )  # fmt: skip
        #: Owners of leases found provably dead at the first pass (a predecessor's).
        self.dead_owners: set[str] | None = None

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def wake(self) -> None:
        """Look at the queue now rather than at the next interval (after a confirm, an
        approval or a retry)."""
        if self.loop is not None:
            self.loop.wake()

    def _now(self) -> datetime:
        return self.runtime.clock.now()

    def _lease_end(self) -> datetime:
        return self._now() + timedelta(seconds=self.settings.csp_worker_lease_seconds)

    # --- the pass ---------------------------------------------------------------------------

    async def run_once(self) -> WorkerReport:
        """Claims and works every request that is due, once each; returns what it did. The
        heartbeat renews the leases of the pass while it runs."""
        report, seen = WorkerReport(), set[int]()
        if self.dead_owners is None and not self.runtime.draining:
            self.dead_owners = await dead_owners(self.runtime.db, self.identity, self._now())
            if self.dead_owners:
                log.warning("taking over the requests of stopped workers %s",
                            sorted(self.dead_owners))  # fmt: skip
        self.leases.start()
        try:
            while not self.runtime.draining:
                claimed = await self._claim(seen, report)
                if not claimed:
                    break
                for i, request in enumerate(claimed):
                    if self.runtime.draining:
                        await self._let_go(claimed[i:])
                        break
                    try:
                        await self._work(request, report)
                    except LostLease:
                        log.warning("worker %s lost %s to another worker", self.worker_id,
                                    request.ref, extra={REQUEST_REF: request.ref})
                    except Exception:
                        report.crashed += 1
                        log.exception(
                            "worker %s failed on %s; it is resumed when its lease runs out",
                            self.worker_id,
                            request.ref,
                            extra={REQUEST_REF: request.ref},
                        )
                    finally:
                        self.leases.release(request.id)
        finally:
            await self.leases.stop()
        if report:
            log.info("worker pass: %s", report)
        return report

    async def _claim(self, seen: set[int], report: WorkerReport) -> list[Request]:
        now, until = self._now(), self._lease_end()
        claimed = []
        async with self.runtime.db.transaction() as session:
            ids = await lease_sql.claimable_ids(
                session, now, skip_locked=self.runtime.db.is_postgres, limit=CLAIM_BATCH,
                dead_owners=self.dead_owners or (),
            )  # fmt: skip
            for request_id in ids:
                if request_id in seen:
                    continue
                row = await repo.get_request(session, request_id)
                if row is None:
                    continue
                lease = {"lease_owner": self.worker_id, "lease_until": until}
                if row.state in (S.QUEUED, S.SCHEDULED):  # a scheduled one: its time came
                    note = _("sending") if row.state == S.QUEUED else _("sending at the renewal")
                    request = await transition(
                        session, request_id, {S(row.state)}, S.RUNNING, ACTOR, note,
                        values={**lease, "next_attempt_at": None},
                        data={"worker": self.worker_id},
                    )  # fmt: skip
                else:
                    dead = row.lease_owner
                    taken = await lease_sql.take_lease(
                        session, request_id, self.worker_id, until, now,
                        dead_owners=self.dead_owners or (),
                    )  # fmt: skip
                    request = None if taken is None else Request.model_validate(taken)
                    if request is not None and dead:
                        report.resumed += 1
                        await self._audit(
                            session, request, "resume",
                            note=_("resumed after worker {dead} stopped", dead=dead),
                        )  # fmt: skip
                if request is not None:
                    seen.add(request_id)
                    claimed.append(request)
                    self.leases.hold(request_id)
        report.claimed += len(claimed)
        return claimed

    async def _let_go(self, requests: list[Request]) -> None:
        """Shutting down: hand the requests claimed but not worked back at once."""
        async with self.runtime.db.transaction() as session:
            for request in requests:
                await lease_sql.release_lease(session, request.id, self.worker_id, self._now())
                self.leases.release(request.id)

    @about_request
    async def _work(self, request: Request, report: WorkerReport) -> None:
        """Resume lost calls, send what is pending (every line before any polling: order lines
        are independent), follow the tasks, then settle. Stops wherever the request is sent
        back to wait."""
        steps = await self._steps(request.id)
        if any(s.state is St.SENDING for s in steps):
            for step in [s for s in steps if s.state is St.SENDING]:
                if not await self._resume(request, step, report):
                    return
            steps = await self._steps(request.id)
        if any(s.state is St.PENDING for s in steps):
            for step in [s for s in steps if s.state is St.PENDING]:
                if not await self._send(request, step, report):
                    return
            steps = await self._steps(request.id)
        tracked = [s for s in steps if s.state is St.RUNNING and s.provider_task_id is not None]
        if tracked:
            if not await self._poll(request, tracked, report):
                return
            steps = await self._steps(request.id)
        for step in steps:
            if order_delivery.following(step):
                await self._follow_order(request, step, report)
            elif software_steps.following(step):
                await self._follow_software(request, step, report)
            elif step.state is St.RUNNING and step.provider_task_id is None:
                await self._complete(request, step, None, report)  # nothing to wait for
        await self._settle(request, report)

    # --- sending ----------------------------------------------------------------------------

    async def _send(self, request: Request, step: RequestStep, report: WorkerReport) -> bool:
        """pending → sending (committed) → the call. False when the request must stop here.
        A seat change is compared with the subscription first (`execution.compare_seats`)."""
        async with self.runtime.db.transaction() as session:
            await self._hold(session, request)
            if not await move_step(session, step.id, {St.PENDING}, St.SENDING):
                return True  # moved meanwhile: the next look sees where it went
        if step.action in execution.COMPARED or request.run_at is not None:
            # a seat change, and anything scheduled: the subscription is read first
            return await self._resume(request, step, report, ours=execution.maybe_sent(step))
        return await self._call(request, step, report)

    async def _call(self, request: Request, step: RequestStep, report: WorkerReport) -> bool:
        try:
            if step.action in software_steps.ACTIONS:
                sent = await software_steps.send(self.runtime.software, request, step)
            else:
                sent = await execution.send(self.runtime.provider, request, step)
        except ProviderError as exc:
            return await self._call_failed(request, step, exc, report)
        report.sent += 1
        await self._record(request, step, sent, action="provider_call")
        return True

    async def _record(self, request: Request, step: RequestStep, sent: Sent, action: str) -> None:
        """sending → running with the task to follow (None: the call did the work itself)."""
        result = {**(step.result or {}), **sent.result}
        async with self.runtime.db.transaction() as session:
            await self._hold(session, request)
            values = {"provider_task_id": sent.task_id, "result": result, "error": None,
                      "provider_query_id": None}  # fmt: skip
            if not await move_step(session, step.id, {St.SENDING}, St.RUNNING, values):
                return
            if request.attempts:  # progress: the next transient failure starts a fresh count
                await repo.update_fields(session, request.id, {"attempts": 0})
                request.attempts = 0
            await self._audit(
                session, request, action, step=step, task_id=sent.task_id,
                data={"step": step.seq, "action": step.action, "params": step.params, **result},
            )  # fmt: skip

    async def _call_failed(
        self, request: Request, step: RequestStep, exc: ProviderError, report: WorkerReport
    ) -> bool:
        match execution.remedy(step, exc):
            case Remedy.LATER:
                return await self._defer(request, step, exc, report, back_to=St.PENDING)
            case Remedy.RECONCILE:  # the step stays `sending`: the next attempt reads first
                return await self._defer(request, step, exc, report, back_to=None)
            case Remedy.UNKNOWN:
                error = execution.unknown_error(step, exc, request)
                await self._end_step(request, step, St.UNKNOWN, error, exc, report)
            case Remedy.FAILED if step.action in software_steps.ACTIONS:
                error = software_steps.refusal_error(step, exc)
                await self._end_step(request, step, St.FAILED, error, exc, report)
            case Remedy.FAILED:
                error = execution.refusal_error(step, exc)
                await self._end_step(request, step, St.FAILED, error, exc, report)
        return True

    async def _defer(
        self,
        request: Request,
        step: RequestStep,
        exc: ProviderError,
        report: WorkerReport,
        *,
        back_to: StepState | None,
    ) -> bool:
        """A transient failure: back to the queue with a growing delay, or give up."""
        attempts = request.attempts + 1
        if attempts >= self.settings.csp_worker_max_attempts:
            error = (software_steps.gave_up_error(attempts, exc)
                     if step.action in software_steps.ACTIONS
                     else execution.gave_up_error(attempts, exc))
            # still `sending`: the call may have reached OVHcloud, which a Retry must know
            lost = {execution.MAYBE_SENT: True} if back_to is None else {}
            await self._end_step(request, step, St.FAILED, error, exc, report, result=lost)
            return True
        base = self.settings.csp_worker_backoff_seconds
        delay = execution.backoff(base, attempts, exc.retry_after, self.rng.random())
        async with self.runtime.db.transaction() as session:
            await self._hold(session, request)
            if back_to is not None:
                await move_step(session, step.id, {St.SENDING}, back_to)
            moved = await transition(
                session, request.id, {S.RUNNING}, S.QUEUED, ACTOR,
                _("{provider} failed for now ({error}); retrying in {delay}",
                  provider=spec_of(request.kind).provider, error=exc,
                  delay=formats.seconds(delay)),
                values={"attempts": attempts, "next_attempt_at": self._now() + delay,
                        "lease_owner": None, "lease_until": None, "error": str(exc),
                        "error_query_id": exc.query_id},
                data={"step": step.seq, "provider_query_id": exc.query_id,
                      "worker": self.worker_id},
            )  # fmt: skip
        if moved is not None:
            report.deferred += 1
        return False

    async def _end_step(
        self,
        request: Request,
        step: RequestStep,
        state: StepState,
        error: str,
        exc: ProviderError | None,
        report: WorkerReport,
        *,
        result: dict[str, Any] | None = None,
    ) -> None:
        """A step ends without its effect: failed (refused) or unknown (a person must check).
        `result` is added to what the step remembers."""
        query_id = exc.query_id if exc is not None else None
        async with self.runtime.db.transaction() as session:
            await self._hold(session, request)
            values: dict[str, Any] = {"error": error, "provider_query_id": query_id}
            if result:
                values["result"] = {**(step.result or {}), **result}
            if not await move_step(session, step.id, {St.SENDING, St.RUNNING}, state, values):
                return
            await self._audit(
                session, request, f"step_{state}", step=step, note=error,
                task_id=step.provider_task_id, query_id=query_id,
            )  # fmt: skip
        if state is St.UNKNOWN:
            report.steps_unknown += 1
        else:
            report.steps_failed += 1

    # --- resuming a step whose outcome was lost ---------------------------------------------

    async def _resume(
        self, request: Request, step: RequestStep, report: WorkerReport, *, ours: bool = True
    ) -> bool:
        """Reads the subscription before (re)sending a `sending` step. `ours`: an earlier call
        of this step may have reached OVHcloud; False for a seat change never sent before,
        which goes back to `pending` when the read fails for now."""
        try:
            if step.action in software_steps.ACTIONS:
                found = await software_steps.reconcile(self.runtime.software, request, step)
            else:
                found = await execution.reconcile(self.runtime.provider, request, step, ours=ours)
        except ProviderError as exc:
            if exc.retryable:
                back_to = None if ours else St.PENDING
                return await self._defer(request, step, exc, report, back_to=back_to)
            await self._end_step(request, step, St.FAILED, exc.message, exc, report)
            return True
        match found.finding:
            case Finding.SEND:
                async with self.runtime.db.transaction() as session:
                    await self._hold(session, request)
                return await self._call(request, step, report)
            case Finding.ADOPT:
                report.adopted += 1
                sent = Sent(found.task_id, {"adopted": True})
                await self._record(request, step, sent, action="provider_task_adopted")
            case Finding.DONE:
                await self._record(request, step, Sent(None), action="provider_call_confirmed")
            case Finding.UNKNOWN:
                error = execution.unknown_error(step, _("the worker stopped mid-call"), request)
                await self._end_step(request, step, St.UNKNOWN, error, None, report)
            case Finding.ALREADY:  # scheduled, and its effect is there: nothing to send
                sent = Sent(None, {execution.UNCHANGED: found.quantity})
                await self._record(request, step, sent, action="scheduled_already_done")
            case Finding.STALE:  # never sent: a total computed from another count
                error = execution.stale_error(step, found.quantity)
                await self._end_step(request, step, St.FAILED, error, None, report)
        return True

    # --- following provider tasks -----------------------------------------------------------

    async def _poll(self, request: Request, steps: list[RequestStep], report: WorkerReport) -> bool:
        by_service: dict[str, list[RequestStep]] = {}
        for step in steps:
            if step.provider_task_id is not None:
                by_service.setdefault(execution.service_of(request, step), []).append(step)
        for service, group in by_service.items():
            ids = [s.provider_task_id for s in group if s.provider_task_id is not None]
            try:
                tasks = await execution.read_tasks(self.runtime.provider, service, ids)
            except ProviderError as exc:
                log.warning("cannot read tasks %s of %s now: %s", ids, request.ref, exc)
                continue
            report.polled += len(ids)
            await self._remember_tasks(request, service, group, tasks)
            for step in group:
                task = tasks[step.provider_task_id] if step.provider_task_id is not None else None
                if not await self._follow(request, step, task, report):
                    return False
        return True

    async def _remember_tasks(
        self,
        request: Request,
        service: str,
        steps: list[RequestStep],
        tasks: dict[int, ProviderTask | None],
    ) -> None:
        """Keeps the tasks just read in the cache, for `/csp tasks`: OVHcloud lists only
        pending tasks, so one that ends between two syncs is known from here alone."""
        subscriptions = {
            s.provider_task_id: s.params.get("subscription_id", request.subscription_id)
            for s in steps
        }
        found = [task for task in tasks.values() if task is not None]
        for attempt in (1, 2):  # a sync may insert the same task at the same moment
            try:
                async with self.runtime.db.transaction() as session:
                    for task in found:
                        await cache_sync.record_task(
                            session, service, task, self._now(),
                            subscription_id=subscriptions.get(task.id), request_id=request.id,
                        )  # fmt: skip
                return
            except IntegrityError:
                if attempt == 2:
                    log.warning("%s: tasks %s not kept in the cache", request.ref,
                                [t.id for t in found])

    async def _follow(
        self, request: Request, step: RequestStep, task: ProviderTask | None,
        report: WorkerReport,
    ) -> bool:
        """Acts on a task's news; False when the request must stop here (sent back to wait)."""
        if task is not None and not task.status.finished:
            return True
        adopted = (step.result or {}).get("adopted")
        if adopted or (task is None and step.action in execution.READABLE):
            # Not surely our task, or a task the provider forgot: let the subscription say
            # whether the change is there.
            async with self.runtime.db.transaction() as session:
                await self._hold(session, request)
                result = {k: v for k, v in (step.result or {}).items() if k != "adopted"}
                if not await move_step(session, step.id, {St.RUNNING}, St.SENDING,
                                       {"result": result}):  # fmt: skip
                    return True
            step = step.model_copy(update={"state": St.SENDING, "result": result})
            return await self._resume(request, step, report)
        elif task is None and step.action in execution.FINDABLE:
            await self._lost_create(request, step, report)
        elif task is None:
            error = execution.lost_task_error(step, request)
            await self._end_step(request, step, St.UNKNOWN, error, None, report)
        elif task.status == "done":
            await self._complete(request, step, task, report)
        else:
            error = execution.task_error(step, task)
            await self._end_step(request, step, St.FAILED, error, None, report)
        return True

    async def _lost_create(self, request: Request, step: RequestStep, report: WorkerReport) -> None:
        """OVHcloud no longer answers for a create's task (some forget finished tasks at
        once): done if the subscription it made is there, else a person must check."""
        if execution.task_started(step) is not None:  # else nothing tells its creation apart
            found = await self._created(request, step, None)
            if found.get("subscription_id"):
                await self._complete(request, step, None, report, found=found)
                return
        error = execution.lost_task_error(step, request)
        await self._end_step(request, step, St.UNKNOWN, error, None, report)

    async def _created(
        self, request: Request, step: RequestStep, task: ProviderTask | None
    ) -> dict[str, Any]:
        others = [s.result or {} for s in await self._steps(request.id) if s.id != step.id]
        taken = {int(r["subscription_id"]) for r in others if r.get("subscription_id")}
        return await execution.created_subscriptions(
            self.runtime.provider, request, step, task, taken
        )

    async def _complete(
        self,
        request: Request,
        step: RequestStep,
        task: ProviderTask | None,
        report: WorkerReport,
        *,
        found: dict[str, Any] | None = None,
    ) -> None:
        """running → done, with what it created and the seats it added (same transaction)."""
        if found is None:
            found = await self._created(request, step, task)
        result = {**(step.result or {}), **found}
        added_at = (task.finish_date if task else None) or self._now()
        async with self.runtime.db.transaction() as session:
            await self._hold(session, request)
            values = {"result": result, "error": None}
            if not await move_step(session, step.id, {St.RUNNING}, St.DONE, values):
                return
            await self._audit(
                session, request, "step_done", step=step, task_id=step.provider_task_id,
                data={"step": step.seq, **result},
            )  # fmt: skip
            for subscription_id, seats in execution.added_seats(request, step, result):
                await record_seat_batch(session, subscription_id, seats, added_at, request.id)
        report.steps_done += 1

    async def _follow_order(self, request: Request, step: RequestStep,
                            report: WorkerReport) -> None:
        """A new license group's order after its checkout: one look (payment, delivery, the
        group and its subscriptions: bot/orders/delivery.py), what changed recorded. The step
        is done once the group is there, and ends visibly when it will not be."""
        now, days = self._now(), self.settings.csp_order_delivery_days
        news = await order_delivery.follow(self.runtime.provider, step, now, days)
        if news.outcome is Outcome.DONE:
            await self._complete(request, step.model_copy(update={"result": news.result}),
                                 None, report)  # fmt: skip
            return
        if news.outcome is not Outcome.WAIT:
            state = St.FAILED if news.outcome is Outcome.FAILED else St.UNKNOWN
            await self._end_step(request, step, state, news.error or "", None, report,
                                 result=news.result)  # fmt: skip
            return
        if news.result == (step.result or {}):
            return
        r = news.result
        async with self.runtime.db.transaction() as session:
            await self._hold(session, request)
            if not await move_step(session, step.id, {St.RUNNING}, St.RUNNING, {"result": r}):
                return
            if r.get("phase") != (step.result or {}).get("phase"):
                await self._audit(session, request, "order_progress", step=step, data={
                    "step": step.seq, "phase": r.get("phase"), "order_id": r.get("order_id"),
                    "order_status": r.get("order_status")})  # fmt: skip
            record_change(session, request, ACTOR)  # the card shows where the order is
        if news.tell_requester:
            try:
                with (await self.runtime.locales.of(request.requester)).speaking():
                    card = new_group.waiting_for_payment_news(request, news.result)
                await self.runtime.notifier.direct_message(request.requester, card)
            except Exception:
                log.exception("could not tell %s that %s waits for payment", request.requester,
                              request.ref)  # fmt: skip

    async def _follow_software(self, request: Request, step: RequestStep,
                               report: WorkerReport) -> None:
        """A placed software order: one look; done once Partner Center says `completed`
        (with its subscription ids), failed when it ended otherwise, else looked at again."""
        try:
            news = await software_steps.follow(self.runtime.software, step)
        except ProviderError as exc:
            log.warning("cannot read the order of %s now: %s", request.ref, exc)
            return
        if news.state is St.DONE:
            await self._complete(request, step.model_copy(update={"result": news.result}),
                                 None, report, found={})  # fmt: skip
        elif news.state is St.FAILED:
            await self._end_step(request, step, St.FAILED, news.error or "", None, report,
                                 result=news.result)  # fmt: skip
        elif news.result != (step.result or {}) or not (step.result or {}).get("shown"):
            # placed: the card names the order while it is pending
            result = {**news.result, "shown": True}
            async with self.runtime.db.transaction() as session:
                await self._hold(session, request)
                if not await move_step(session, step.id, {St.RUNNING}, St.RUNNING,
                                       values={"result": result}):
                    return
                record_change(session, request, ACTOR)  # the card names the order

    async def _record_software(self, request: Request, steps: list[RequestStep]) -> None:
        """Best effort: the software cache shows a purchase (and who bought it) or a
        cancellation at once, not at the next software sync."""
        for step in steps:
            order_id = step.params.get("order_id") or (step.result or {}).get("order_id")
            if step.action not in software_steps.ACTIONS or not order_id:
                continue
            bought = step.action is software_steps.A.BUY_SOFTWARE
            try:
                await record_order(self.runtime, step.params["customer_id"], order_id,
                                   bought_by=request.requester if bought else None,
                                   request_id=request.id if bought else None)  # fmt: skip
            except Exception:
                log.warning("could not record order %s of %s", order_id, request.ref,
                            exc_info=True)  # fmt: skip

    # --- settling the request ---------------------------------------------------------------

    async def _settle(self, request: Request, report: WorkerReport) -> None:
        steps = await self._steps(request.id)
        if any(s.state in UNSETTLED for s in steps):
            seconds = self.settings.csp_worker_poll_seconds
            if all(order_delivery.following(s) for s in steps if s.state in UNSETTLED):
                seconds = self.settings.csp_order_poll_seconds  # payment may take days
            look_again = self._now() + timedelta(seconds=seconds)
            async with self.runtime.db.transaction() as session:
                await lease_sql.release_lease(session, request.id, self.worker_id, look_again)
            return
        await self._record_software(request, steps)
        for service in sorted({execution.service_of(request, s) for s in steps} - {""}):
            try:  # best effort: the cache shows the change at once, or at the next sync
                await refresh_tenant(self.runtime, service)
            except Exception:
                log.warning("could not refresh the cache of %s", service, exc_info=True)
        state, error, query_id = execution.outcome_of(steps, request)
        async with self.runtime.db.transaction() as session:
            await self._hold(session, request)
            moved = await transition(
                session, request.id, {S.RUNNING}, state, ACTOR, error or _("all steps done"),
                values={"error": error, "error_query_id": query_id, "lease_owner": None,
                        "lease_until": None, "next_attempt_at": None, "attempts": 0},
                data={"worker": self.worker_id, "provider_query_id": query_id},
            )  # fmt: skip
        if moved is None:
            return
        setattr(report, str(state), getattr(report, str(state)) + 1)

    # --- plumbing ---------------------------------------------------------------------------

    async def _hold(self, session: AsyncSession, request: Request) -> None:
        """Renews the lease before a write; raises LostLease when another worker has it (the
        heartbeat may have found out already)."""
        if self.leases.is_lost(request.id):
            raise LostLease(request.ref)
        if not await lease_sql.hold_lease(session, request.id, self.worker_id, self._lease_end()):
            raise LostLease(request.ref)

    async def _steps(self, request_id: int) -> list[RequestStep]:
        async with self.runtime.db.session() as session:
            rows = await repo.get_steps(session, request_id)
            return [RequestStep.model_validate(r) for r in rows]

    async def _audit(
        self,
        session: AsyncSession,
        request: Request,
        action: str,
        *,
        step: RequestStep | None = None,
        note: str | None = None,
        task_id: int | None = None,
        query_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        if data is None and step is not None:
            data = {"step": step.seq, "action": step.action}
        await repo.add_audit(
            session,
            request_id=request.id,
            tenant=request.tenant,
            subscription_id=request.subscription_id,
            actor=ACTOR,
            action=action,
            note=note,
            data={**(data or {}), "worker": self.worker_id},
            provider_task_id=task_id,
            provider_query_id=query_id,
        )
