"""The worker against the real sandbox and the real database: every request is executed exactly
once, transient failures come back later, unknown outcomes go to a person, and a worker that
dies anywhere in a step is resumed by another with no loss and no duplicate.

Requests are built the way flows build them (create_draft + confirm); the worker is driven with
`run_once()` under the FakeClock, never by sleeping.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from bot.app.config import Settings
from bot.app.runtime import Runtime
from bot.core.domain import (
    LicenseLine,
    RequestKind,
    RequestState,
    RequestStep,
    Role,
    StepAction,
    StepState,
    TenantUpdate,
)
from bot.core.errors import AlreadyHandled, NotAllowed
from bot.pipeline import execution
from bot.pipeline.actions import resolve, retry
from bot.pipeline.execution import Remedy
from bot.pipeline.transitions import DraftSpec, StepSpec, confirm, create_draft, load, load_steps
from bot.pipeline.worker import Worker
from bot.provider.base import (
    AuthenticationError,
    BadParameters,
    Conflict,
    NotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    ServerError,
)
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_conventions import LEGACY, OVHCLOUD
from bot.provider.sandbox_data import (
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    OFFICE_E1,
    OFFICE_E3,
    PADARIA,
    PADARIA_BASIC,
    PROPLUS_LEGACY,
    TEAMS_AUDIO_CONFERENCING,
)
from store import requests as repo
from store.cache import seat_batches
from tests.conftest import ADA, ALICE, BOB, SAM, SUE, make_settings
from tests.provider.conftest import serving
from tests.provider.test_orders import new_order

S, St, A = RequestState, StepState, StepAction
LEASE = timedelta(seconds=Settings.model_fields["csp_worker_lease_seconds"].default)


# --- the world -------------------------------------------------------------------------------


class SpyNotifier:
    """The real notifier, plus a record of every request_changed (the worker's contract)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.changes: list[tuple[int, RequestState]] = []

    async def request_changed(self, request, *, actor=None, before=None) -> None:
        self.changes.append((request.id, request.state))
        await self.inner.request_changed(request, actor=actor, before=before)

    def states(self, request_id: int) -> list[RequestState]:
        return [state for rid, state in self.changes if rid == request_id]

    def __getattr__(self, name):
        return getattr(self.inner, name)


@asynccontextmanager
async def runtime_factory(emulator, clock):
    """Builds runtimes (one per "process") on a database; all are stopped at the end."""
    made: list[Runtime] = []

    async def make(url: str, provider, **overrides) -> Runtime:
        runtime = Runtime(make_settings(emulator, url, **overrides), provider=provider, clock=clock)
        await runtime.start(background=False)
        runtime.notifier = SpyNotifier(runtime.notifier)
        for agent in (SAM, SUE):
            await runtime.roles.grant(agent, Role.SUPPORT, by=ADA)
        made.append(runtime)
        return runtime

    try:
        yield make
    finally:
        for runtime in made:
            await runtime.stop()


@pytest.fixture
async def make_runtime(emulator, clock):
    async with runtime_factory(emulator, clock) as make:
        yield make


@pytest.fixture
async def runtime(make_runtime, database_url, sandbox) -> Runtime:
    return await make_runtime(database_url, sandbox)


@pytest.fixture
async def any_runtime(make_runtime, any_database_url, sandbox) -> Runtime:
    return await make_runtime(any_database_url, sandbox)


def slow_sandbox(clock, seconds: float = 60) -> SandboxProvider:
    """Tasks that take `seconds` of FakeClock time, as OVHcloud's do."""
    return SandboxProvider(clock=clock.now, task_duration=timedelta(seconds=seconds))


async def submit(
    runtime: Runtime,
    steps: list[tuple[StepAction, dict]],
    *,
    kind: RequestKind = RequestKind.SEATS,
    tenant: str | None = NORDWIND,
    subscription_id: int | None = None,
) -> int:
    """A request as a flow makes it: drafted from a form, then confirmed by the requester."""
    draft = await create_draft(
        runtime.db,
        DraftSpec(
            kind=kind,
            requester=ALICE,
            summary="test request",
            payload={},
            steps=[StepSpec(action, params) for action, params in steps],
            tenant=tenant,
            subscription_id=subscription_id,
        ),
    )
    queued = await confirm(runtime.db, draft.id, ALICE, runtime.roles)
    assert queued.state is S.QUEUED
    return queued.id


async def seat_change(runtime: Runtime, total: int = 13, previous: int = 12) -> int:
    params = {"quantity": total, "previous_quantity": previous}
    return await submit(runtime, [(A.CHANGE_QUANTITY, params)], subscription_id=NORDWIND_E3)


async def new_subscriptions(runtime: Runtime, *lines: tuple[int, int]) -> int:
    steps = [(A.ADD_SUBSCRIPTION, {"license_id": lic, "quantity": n}) for lic, n in lines]
    return await submit(runtime, steps, kind=RequestKind.ORDER)


async def state(runtime: Runtime, request_id: int):
    return await load(runtime.db, request_id), await load_steps(runtime.db, request_id)


async def audit(runtime: Runtime, request_id: int):
    async with runtime.db.session() as session:
        return await repo.audit_events(session, request_id=request_id)


async def quantity(sandbox: SandboxProvider, service: str, subscription_id: int) -> int:
    return (await sandbox.get_subscription(service, subscription_id)).quantity


def writes(sandbox: SandboxProvider) -> list[str]:
    write_ops = {"changeQuantity", "addSubscription", "deleteSubscription", "orderAddon"}
    return [c.op for c in sandbox.call_log if c.op in write_ops | {"orderTenant", "updateTenant"}]


class ProcessKilled(BaseException):
    """The process died: nothing after this point runs (not an Exception: nothing catches it)."""


class DyingProvider:
    """The sandbox, except that the process dies around one write: `before` it reaches
    OVHcloud (the call hangs until the worker's task is cancelled), or `after` OVHcloud did it
    but before the worker could store the answer."""

    def __init__(self, inner: SandboxProvider, method: str, when: str) -> None:
        self.inner, self.method, self.when = inner, method, when
        self.reached = asyncio.Event()

    def __getattr__(self, name):
        real = getattr(self.inner, name)
        if name != self.method:
            return real

        async def dying(*args, **kwargs):
            self.reached.set()
            if self.when == "before":
                await asyncio.Event().wait()  # hangs: the test cancels the worker here
            await real(*args, **kwargs)
            raise ProcessKilled(name)

        return dying


async def die_in(
    runtime: Runtime, sandbox: SandboxProvider, method: str, when: str, worker_id: str = "doomed"
) -> None:
    """Runs worker passes until one dies in `method` (`before` or `after` the provider call).
    A pass may find nothing: on PostgreSQL a claim skips a row another transaction holds for a
    moment (SKIP LOCKED; the notifier's card writes), and the worker's loop simply looks again."""
    await runtime.notifier.settle()
    dying = DyingProvider(sandbox, method, when)
    runtime.provider = dying
    worker = Worker(runtime, worker_id=worker_id)
    try:
        for _ in range(5):
            if when == "after":
                try:
                    await worker.run_once()
                except ProcessKilled:
                    return
                continue  # a pass that found nothing to claim: the loop's next one
            task = asyncio.create_task(worker.run_once())
            reached = asyncio.create_task(dying.reached.wait())
            await asyncio.wait({task, reached}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            if dying.reached.is_set():
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                return
            reached.cancel()
            if not task.done():
                task.cancel()
                pytest.fail(f"a worker pass neither reached {method} nor ended in 30 s")
            task.result()  # it found nothing to claim: the loop's next pass
        pytest.fail(f"no worker pass reached {method}")
    finally:
        runtime.provider = sandbox


async def resume_after_lease(runtime: Runtime, clock):
    """Another worker finds the request leased to the dead one, then resumes it once the
    lease runs out."""
    await runtime.notifier.settle()  # its card writes lock the row a claim would skip
    survivor = Worker(runtime, worker_id="survivor")
    early = await survivor.run_once()
    assert early.claimed == 0, "a leased request must not be taken before its lease runs out"
    clock.advance(LEASE + timedelta(seconds=1))
    return await survivor.run_once()


# --- the happy paths -------------------------------------------------------------------------


async def test_a_queued_seat_change_is_sent_once_and_completes(any_runtime, sandbox):
    runtime = any_runtime
    request_id = await seat_change(runtime)

    report = await runtime.worker.run_once()

    assert (report.claimed, report.sent, report.steps_done, report.done) == (1, 1, 1, 1)
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.DONE and request.error is None
    assert step.state is St.DONE and step.provider_task_id is not None
    events = await audit(runtime, request_id)
    calls = [e for e in events if e.action == "provider_call"]
    assert [e.provider_task_id for e in calls] == [step.provider_task_id]
    assert [(e.before_state, e.after_state) for e in events if e.action == "transition"][-2:] == [
        ("queued", "running"),
        ("running", "done"),
    ]
    assert runtime.notifier.states(request_id) == [S.RUNNING, S.DONE]
    async with runtime.db.session() as session:
        batches = await seat_batches(session, NORDWIND_E3)
    assert [(b.seats, b.request_id) for b in batches if b.source == "request"] == [(1, request_id)]

    again = await runtime.worker.run_once()
    assert not again and sandbox.calls("changeQuantity") == [{"quantity": 13}]


async def test_tasks_are_followed_under_the_clock_until_done(make_runtime, database_url, clock):
    sandbox = slow_sandbox(clock, 60)
    runtime = await make_runtime(database_url, sandbox)
    request_id = await seat_change(runtime)

    first = await runtime.worker.run_once()
    assert (first.sent, first.polled, first.done) == (1, 1, 0)
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.RUNNING and step.state is St.RUNNING

    assert not await runtime.worker.run_once(), "the next look waits for the poll interval"
    clock.advance(seconds=11)
    second = await runtime.worker.run_once()
    assert (second.claimed, second.sent, second.polled, second.done) == (1, 0, 1, 0)

    clock.advance(seconds=60)
    third = await runtime.worker.run_once()
    assert (third.sent, third.done) == (0, 1)
    assert (await load(runtime.db, request_id)).state is S.DONE
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13


async def test_all_lines_of_an_order_are_sent_before_any_is_polled(
    make_runtime, database_url, clock
):
    sandbox = slow_sandbox(clock, 60)
    runtime = await make_runtime(database_url, sandbox)
    request_id = await new_subscriptions(runtime, (OFFICE_E1, 4), (OFFICE_E3, 2))

    report = await runtime.worker.run_once()

    assert report.sent == 2 and report.polled == 2
    ops = [c.op for c in sandbox.call_log if c.op in ("addSubscription", "getTasks")]
    assert ops == ["addSubscription", "addSubscription", "getTasks"]
    clock.advance(seconds=70)
    await runtime.worker.run_once()
    request, steps = await state(runtime, request_id)
    assert request.state is S.DONE
    created = {s.result["subscription_id"] for s in steps}
    live = {sub.id: sub for sub in await sandbox.get_subscriptions(NORDWIND)}
    assert {(live[i].license_id, live[i].quantity) for i in created} == {
        (OFFICE_E1, 4),
        (OFFICE_E3, 2),
    }


async def test_an_add_on_a_tenant_update_and_a_new_license_group(runtime, sandbox):
    sandbox.auto_pay = True  # the group is made at checkout (see test_new_group_orders.py)
    addon = await submit(
        runtime,
        [(A.ORDER_ADDON, {"parent_subscription_id": PADARIA_BASIC,
                          "license_id": TEAMS_AUDIO_CONFERENCING, "quantity": 3})],
        kind=RequestKind.ORDER, tenant=PADARIA,
    )  # fmt: skip
    update = await submit(
        runtime,
        [(A.UPDATE_TENANT, {"update": TenantUpdate(city="Lisboa").model_dump(
            mode="json", exclude_none=True)})],
        kind=RequestKind.TENANT_EDIT, tenant=PADARIA,
    )  # fmt: skip
    order = new_order(subdomain=None, licenses=[LicenseLine(license_id=OFFICE_E1, quantity=7)])
    tenant = await submit(
        runtime,
        [(A.ORDER_TENANT, {"order": order.model_dump(mode="json")})],
        kind=RequestKind.ORDER, tenant=None,
    )  # fmt: skip

    report = await runtime.worker.run_once()

    assert report.done == 3 and report.sent == 3
    _, (addon_step,) = await state(runtime, addon)
    added = await sandbox.get_subscription(PADARIA, addon_step.result["subscription_id"])
    assert (added.license_id, added.quantity) == (TEAMS_AUDIO_CONFERENCING, 3)
    async with runtime.db.session() as session:
        assert [b.seats for b in await seat_batches(session, added.id) if b.request_id] == [3]
    assert (await sandbox.get_tenant(PADARIA)).city == "Lisboa"
    assert (await load(runtime.db, update)).state is S.DONE
    _, (order_step,) = await state(runtime, tenant)
    new_group = order_step.result["service_name"]
    assert order_step.result["order_id"] and new_group in await sandbox.list_tenants()
    assert [s["quantity"] for s in order_step.result["subscriptions"]] == [7]
    assert len(sandbox.calls("orderTenant")) == 1


# --- refusals and failed tasks ---------------------------------------------------------------


async def test_a_refused_line_fails_the_order_line_by_line_and_retry_resends_only_it(
    any_runtime, sandbox
):
    runtime = any_runtime
    request_id = await new_subscriptions(runtime, (OFFICE_E3, 5), (PROPLUS_LEGACY, 2))

    report = await runtime.worker.run_once()

    assert (report.steps_done, report.steps_failed, report.failed) == (1, 1, 1)
    request, (good, bad) = await state(runtime, request_id)
    assert request.state is S.FAILED
    lines = request.error.splitlines()
    assert lines[0].startswith("Line 1 (new subscription of license 10021, 5 seats): done")
    assert lines[1].startswith("Line 2 (new subscription of license 10032, 2 seats): failed")
    assert "New subscriptions of Office 365 ProPlus are no longer allowed" in lines[1]
    assert good.state is St.DONE and bad.state is St.FAILED
    assert runtime.notifier.states(request_id) == [S.RUNNING, S.FAILED]

    sandbox.patch_license(NORDWIND, PROPLUS_LEGACY, new_subscriptions_allowed=True)
    retried = await retry(runtime, request_id, ALICE)
    assert retried.state is S.QUEUED and retried.error is None
    again = await runtime.worker.run_once()

    assert again.sent == 1 and again.done == 1
    assert sandbox.calls("addSubscription") == [
        {"licenseId": OFFICE_E3, "quantity": 5},
        {"licenseId": PROPLUS_LEGACY, "quantity": 2},
        {"licenseId": PROPLUS_LEGACY, "quantity": 2},
    ]
    request, steps = await state(runtime, request_id)
    assert request.state is S.DONE and [s.state for s in steps] == [St.DONE, St.DONE]
    assert steps[0].result == good.result, "the line that succeeded was left alone"


async def test_a_task_ending_in_error_fails_with_a_message_and_can_be_retried(runtime, sandbox):
    sandbox.faults.set(task_error_next=True)
    request_id = await seat_change(runtime)

    report = await runtime.worker.run_once()

    request, (step,) = await state(runtime, request_id)
    assert report.failed == 1 and request.state is S.FAILED
    assert request.error == (
        f"OVHcloud task {step.provider_task_id} (changeQuantity) ended with status error."
    )
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 12

    with pytest.raises(NotAllowed):
        await retry(runtime, request_id, BOB)  # neither the requester nor a support agent
    await retry(runtime, request_id, SAM)
    with pytest.raises(AlreadyHandled):
        await retry(runtime, request_id, ALICE)  # a second click: already queued
    await runtime.worker.run_once()

    assert (await load(runtime.db, request_id)).state is S.DONE
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}, {"quantity": 13}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13


# --- transient failures ----------------------------------------------------------------------


async def test_a_5xx_on_change_quantity_backs_off_then_completes(any_runtime, sandbox, clock):
    runtime = any_runtime
    sandbox.faults.set(fail_next=[("changeQuantity", ServerError)])
    request_id = await seat_change(runtime)
    started = clock.now()

    report = await runtime.worker.run_once()

    assert (report.sent, report.deferred) == (0, 1)
    async with runtime.db.session() as session:
        row = await repo.get_request(session, request_id)
    assert row.state == S.QUEUED and row.attempts == 1 and row.lease_owner is None
    assert started + timedelta(seconds=30) <= row.next_attempt_at <= started + timedelta(seconds=38)
    assert "Injected fault on changeQuantity" in row.error
    assert runtime.notifier.states(request_id) == [S.RUNNING, S.QUEUED]
    assert not await runtime.worker.run_once(), "not before its next attempt"

    clock.advance(seconds=40)
    again = await runtime.worker.run_once()

    assert again.done == 1
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}, {"quantity": 13}]
    request = await load(runtime.db, request_id)
    assert request.state is S.DONE and request.error is None and request.attempts == 0


async def test_a_5xx_after_the_change_was_made_adopts_its_task_instead_of_resending(
    make_runtime, database_url, clock
):
    sandbox = slow_sandbox(clock, 60)
    runtime = await make_runtime(database_url, sandbox)
    sandbox.faults.set(fail_next=[("changeQuantity", ServerError, True)])  # done, then 500
    await seat_change(runtime)

    assert (await runtime.worker.run_once()).deferred == 1
    clock.advance(seconds=40)
    second = await runtime.worker.run_once()
    assert second.adopted == 1 and second.sent == 0, "re-sending would hit the pending task"
    clock.advance(seconds=30)
    third = await runtime.worker.run_once()

    assert third.done == 1
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13


async def test_a_provider_that_keeps_failing_is_given_up_after_max_attempts(
    runtime, sandbox, clock
):
    sandbox.faults.set(fail_next=[("changeQuantity", ServerError)] * 5)
    request_id = await seat_change(runtime)
    delays = []
    for _ in range(4):
        assert (await runtime.worker.run_once()).deferred == 1
        async with runtime.db.session() as session:
            row = await repo.get_request(session, request_id)
        delays.append((row.next_attempt_at - clock.now()).total_seconds())
        clock.set(row.next_attempt_at)
    last = await runtime.worker.run_once()

    assert [30 <= d <= 37.5 for d in delays] == [True, False, False, False]
    assert all(base <= d <= base * 1.25 for d, base in zip(delays, [30, 60, 120, 240], strict=True))
    assert last.failed == 1
    request = await load(runtime.db, request_id)
    assert request.state is S.FAILED
    assert request.error.startswith("OVHcloud kept failing (5 attempts)")
    assert len(sandbox.calls("changeQuantity")) == 5


async def test_429_on_a_create_is_retried_because_nothing_was_processed(runtime, sandbox, clock):
    busy = RateLimited("Too many requests", status=429, query_id="EU.ext-7.429")
    busy.retry_after = 120
    sandbox.faults.set(fail_next=[("addSubscription", busy)])
    request_id = await new_subscriptions(runtime, (OFFICE_E1, 4))

    assert (await runtime.worker.run_once()).deferred == 1
    async with runtime.db.session() as session:
        row = await repo.get_request(session, request_id)
    (step,) = await load_steps(runtime.db, request_id)
    assert step.state is St.PENDING and row.error_query_id == "EU.ext-7.429"
    assert row.next_attempt_at >= clock.now() + timedelta(seconds=120), "Retry-After is honoured"
    clock.advance(seconds=60)
    assert not await runtime.worker.run_once()
    clock.advance(seconds=61)
    assert (await runtime.worker.run_once()).done == 1
    assert len(sandbox.calls("addSubscription")) == 2
    assert sum(s.license_id == OFFICE_E1 for s in await sandbox.get_subscriptions(NORDWIND)) == 1


async def test_a_timeout_on_a_create_needs_attention_and_is_never_resent_blindly(
    any_runtime, sandbox, clock
):
    runtime = any_runtime
    sandbox.faults.set(fail_next=[("addSubscription", ProviderTimeout, True)])
    request_id = await new_subscriptions(runtime, (OFFICE_E1, 4))

    report = await runtime.worker.run_once()

    assert report.needs_attention == 1 and report.steps_unknown == 1
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.NEEDS_ATTENTION and step.state is St.UNKNOWN
    assert "may or may not have been created" in request.error
    assert "Check the OVHcloud control panel; Retry re-sends it." in request.error
    clock.advance(hours=2)
    assert not await runtime.worker.run_once()
    assert len(sandbox.calls("addSubscription")) == 1

    with pytest.raises(NotAllowed):
        await resolve(runtime, request_id, ALICE, created=True)  # support agents vouch
    settled = await resolve(runtime, request_id, SAM, created=True)
    assert settled.state is S.DONE
    (step,) = await load_steps(runtime.db, request_id)
    assert step.state is St.DONE
    assert len(sandbox.calls("addSubscription")) == 1


# --- a worker that dies ----------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_seat_change_survives_its_worker_dying(any_runtime, sandbox, clock, when):
    runtime = any_runtime
    request_id = await seat_change(runtime)

    await die_in(runtime, sandbox, "change_quantity", when)
    (step,) = await load_steps(runtime.db, request_id)
    assert step.state is St.SENDING, "committed before the call, and never after"
    report = await resume_after_lease(runtime, clock)

    assert report.resumed == 1 and report.done == 1
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13
    assert "resume" in [e.action for e in await audit(runtime, request_id)]


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_tenant_update_whose_worker_died_is_read_back_and_sent_at_most_once_more(
    any_runtime, sandbox, clock, when
):
    runtime = any_runtime
    update = TenantUpdate(city="Braga").model_dump(mode="json", exclude_none=True)
    request_id = await submit(runtime, [(A.UPDATE_TENANT, {"update": update})],
                              kind=RequestKind.TENANT_EDIT, tenant=PADARIA)  # fmt: skip

    await die_in(runtime, sandbox, "update_tenant", when)
    report = await resume_after_lease(runtime, clock)

    assert report.done == 1
    # the group shows the city already: done, not sent again; else sent once
    assert len(sandbox.calls("updateTenant")) == 1
    assert report.sent == (0 if when == "after" else 1)
    assert (await sandbox.get_tenant(PADARIA)).city == "Braga"
    assert (await load(runtime.db, request_id)).state is S.DONE


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_new_subscription_whose_worker_died_needs_a_person(
    any_runtime, sandbox, clock, when
):
    runtime = any_runtime
    request_id = await new_subscriptions(runtime, (OFFICE_E1, 4))

    await die_in(runtime, sandbox, "add_subscription", when)
    report = await resume_after_lease(runtime, clock)

    assert report.needs_attention == 1 and report.sent == 0
    request = await load(runtime.db, request_id)
    assert request.state is S.NEEDS_ATTENTION and "may or may not" in request.error
    made = len(sandbox.calls("addSubscription"))
    assert made == (1 if when == "after" else 0)

    await retry(runtime, request_id, SAM)  # the control panel shows nothing: send it
    await runtime.worker.run_once()
    assert (await load(runtime.db, request_id)).state is S.DONE
    assert len(sandbox.calls("addSubscription")) == made + 1


@pytest.mark.parametrize("conventions", [OVHCLOUD, LEGACY], ids=["taskPendingId 0", "null"])
@pytest.mark.parametrize("action", ["delete_subscription", "change_quantity"])
async def test_an_idle_subscription_is_never_a_task_to_adopt(
    make_runtime, database_url, clock, conventions, action
):
    """A step whose worker died before its call is resumed by reading the subscription: when
    OVHcloud says `taskPendingId: 0` (no task runs) or null, the step is sent — never task 0
    adopted and polled."""
    sandbox = SandboxProvider(clock=clock.now, task_duration=timedelta(seconds=60),
                              conventions=conventions)
    runtime = await make_runtime(database_url, sandbox)
    if action == "change_quantity":
        request_id = await seat_change(runtime)
    else:
        request_id = await submit(
            runtime, [(A.DELETE_SUBSCRIPTION, {"subscription_id": NORDWIND_BASIC})],
            kind=RequestKind.CANCEL, subscription_id=NORDWIND_BASIC,
        )  # fmt: skip
    await die_in(runtime, sandbox, action, "before")
    assert writes(sandbox) == []
    report = await resume_after_lease(runtime, clock)
    assert (report.adopted, report.sent) == (0, 1)
    (step,) = await load_steps(runtime.db, request_id)
    assert step.state is St.RUNNING and step.provider_task_id not in (0, None)
    polled = [i for c in sandbox.calls("getTasks") for i in c["ids"]]
    polled += [c.target for c in sandbox.call_log if c.op == "getTask"]
    assert polled and set(polled) == {step.provider_task_id}  # its own task, never task 0
    clock.advance(seconds=60)
    await runtime.worker.run_once()
    assert (await load(runtime.db, request_id)).state is S.DONE


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_cancellation_whose_worker_died_is_reconciled(
    make_runtime, database_url, clock, when
):
    sandbox = slow_sandbox(clock, 600)  # the lost call's task outlives the lease
    runtime = await make_runtime(database_url, sandbox)
    request_id = await submit(
        runtime,
        [(A.DELETE_SUBSCRIPTION, {"subscription_id": NORDWIND_BASIC})],
        kind=RequestKind.CANCEL, subscription_id=NORDWIND_BASIC,
    )  # fmt: skip

    await die_in(runtime, sandbox, "delete_subscription", when)
    report = await resume_after_lease(runtime, clock)
    if when == "after":
        assert report.adopted == 1 and report.sent == 0  # the task of the lost call
    else:
        assert report.sent == 1
    clock.advance(seconds=600)
    await runtime.worker.run_once()

    assert (await load(runtime.db, request_id)).state is S.DONE
    assert len(sandbox.calls("deleteSubscription")) == 1
    assert NORDWIND_BASIC not in await sandbox.list_subscriptions(NORDWIND)


async def test_a_seat_change_whose_worker_died_is_not_sent_over_another_change(
    any_runtime, sandbox, clock
):
    runtime = any_runtime
    request_id = await seat_change(runtime)  # 12 → 13
    await die_in(runtime, sandbox, "change_quantity", "before")
    await sandbox.change_quantity(NORDWIND, NORDWIND_E3, 14)  # meanwhile, the control panel

    report = await resume_after_lease(runtime, clock)

    assert report.sent == 0 and report.failed == 1
    assert sandbox.calls("changeQuantity") == [{"quantity": 14}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 14
    request, (step,) = await state(runtime, request_id)
    assert step.state is St.FAILED
    assert request.error == (
        "The subscription has 14 seats now, not 12 as when this change was prepared: "
        "prepare it again. Nothing was sent to OVHcloud."
    )
    async with runtime.db.session() as session:
        assert [b for b in await seat_batches(session, NORDWIND_E3) if b.request_id] == []


async def test_a_retried_seat_change_whose_lost_call_went_through_is_done_not_stale(
    make_runtime, database_url, sandbox
):
    runtime = await make_runtime(database_url, sandbox, csp_worker_max_attempts=1)
    sandbox.faults.set(fail_next=[("changeQuantity", ServerError, True)])  # done, then 500
    request_id = await seat_change(runtime)
    await runtime.worker.run_once()
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.FAILED and step.result == {execution.MAYBE_SENT: True}
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13  # OVHcloud did it after all

    await retry(runtime, request_id, ALICE)
    report = await runtime.worker.run_once()

    assert report.done == 1 and report.sent == 0
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    async with runtime.db.session() as session:
        batches = await seat_batches(session, NORDWIND_E3)
    assert [(b.seats, b.request_id) for b in batches if b.request_id] == [(1, request_id)]


async def test_a_restarted_process_polls_what_the_last_one_left_running(
    make_runtime, database_url, clock
):
    sandbox = slow_sandbox(clock, 60)
    first = await make_runtime(database_url, sandbox)
    request_id = await new_subscriptions(first, (OFFICE_E1, 4), (OFFICE_E3, 2))
    await first.worker.run_once()
    await first.stop()

    second = await make_runtime(database_url, sandbox)
    clock.advance(seconds=70)
    report = await second.worker.run_once()

    assert (report.claimed, report.sent, report.polled, report.done) == (1, 0, 2, 1)
    assert len(sandbox.calls("addSubscription")) == 2
    assert (await load(second.db, request_id)).state is S.DONE


async def test_a_draining_worker_takes_nothing(runtime, sandbox):
    await seat_change(runtime)
    runtime.draining = True
    assert not await runtime.worker.run_once()
    assert sandbox.calls("changeQuantity") == []


# --- the production client, and the rules in isolation ---------------------------------------


async def test_over_signed_http_a_change_completes_and_a_timed_out_create_waits_for_a_person(
    make_runtime, database_url, sandbox
):
    """OvhProvider → sandbox_server: the client's real timeout on a POST is an unknown outcome."""
    sandbox.faults.set(hang_seconds=2.0, fail_next=[("addSubscription", ProviderTimeout, True)])
    async with serving(sandbox) as server:
        runtime = await make_runtime(database_url, server.client())
        seats = await seat_change(runtime)
        order = await new_subscriptions(runtime, (OFFICE_E1, 4))

        report = await runtime.worker.run_once()

    assert (report.done, report.needs_attention) == (1, 1)
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert len(sandbox.calls("addSubscription")) == 1  # it went through; nobody sent it again
    assert (await load(runtime.db, seats)).state is S.DONE
    request = await load(runtime.db, order)
    assert request.state is S.NEEDS_ATTENTION and "No answer from OVHcloud" in request.error


@pytest.mark.parametrize(
    ("action", "error", "remedy"),
    [
        (A.CHANGE_QUANTITY, ServerError, Remedy.RECONCILE),
        (A.CHANGE_QUANTITY, ProviderTimeout, Remedy.RECONCILE),
        (A.DELETE_SUBSCRIPTION, ProviderUnavailable, Remedy.RECONCILE),
        (A.UPDATE_TENANT, ServerError, Remedy.RECONCILE),
        (A.ADD_SUBSCRIPTION, ServerError, Remedy.UNKNOWN),
        (A.ADD_SUBSCRIPTION, ProviderTimeout, Remedy.UNKNOWN),
        (A.ORDER_ADDON, ProviderUnavailable, Remedy.UNKNOWN),
        (A.ORDER_TENANT, ProviderTimeout, Remedy.UNKNOWN),
        (A.ADD_SUBSCRIPTION, RateLimited, Remedy.LATER),
        (A.ORDER_TENANT, RateLimited, Remedy.LATER),
        (A.CHANGE_QUANTITY, RateLimited, Remedy.LATER),
        (A.ADD_SUBSCRIPTION, BadParameters, Remedy.FAILED),
        (A.CHANGE_QUANTITY, Conflict, Remedy.FAILED),
        (A.DELETE_SUBSCRIPTION, NotFound, Remedy.FAILED),
        (A.ORDER_ADDON, AuthenticationError, Remedy.FAILED),
    ],
)
def test_a_failed_call_is_sorted_by_what_it_may_have_done(action, error, remedy):
    step = RequestStep(id=1, request_id=1, seq=1, action=action, params={}, state=St.SENDING)
    assert execution.remedy(step, error("x", status=error.http_status)) is remedy


@pytest.mark.parametrize(
    ("action", "error", "words"),
    [
        (A.CHANGE_QUANTITY, BadParameters("New seats of X are no longer allowed.", status=400),
         "New seats of X are no longer allowed. Check the new total, then prepare the request "
         "again."),
        (A.ORDER_ADDON, BadParameters("License 10041 is not an add-on available", status=400),
         "License 10041 is not an add-on available. Check the add-on, its quantity and the "
         "subscription it attaches to, then prepare the request again."),
        (A.DELETE_SUBSCRIPTION, Conflict("A task (9) is already pending", status=409),
         "A task (9) is already pending. OVHcloud is busy with the subscription; Retry once its "
         "task is done."),
        (A.CHANGE_QUANTITY, AuthenticationError("Invalid signature", status=400,
                                                error_code="INVALID_SIGNATURE"),
         "Invalid signature (INVALID_SIGNATURE): OVHcloud refused the bot's API credentials. An "
         "admin should run `csp-bot check`."),
        (A.ADD_SUBSCRIPTION, ProviderError("Forbidden by IAM", status=403),
         "Forbidden by IAM: the bot's OVHcloud API key may not do this. An admin should check "
         "its rights."),
        (A.ADD_SUBSCRIPTION, AuthenticationError("This call has not been granted", status=403,
                                                 error_code="NOT_GRANTED_CALL"),
         "This call has not been granted: the bot's OVHcloud API key may not do this. An admin "
         "should check its rights."),
        (A.DELETE_SUBSCRIPTION, BadParameters("", status=400), "no reason given."),
        (A.DELETE_SUBSCRIPTION, NotFound("The requested object does not exist", status=404),
         "The requested object does not exist."),
    ],
)
def test_a_refusal_reads_ovhclouds_words_and_what_they_are_about(action, error, words):
    step = RequestStep(id=1, request_id=1, seq=1, action=action, params={}, state=St.SENDING)
    assert execution.refusal_error(step, error) == words


def test_backoff_doubles_is_capped_jittered_and_honours_retry_after():
    assert execution.backoff(30, 1, None, 0.0) == timedelta(seconds=30)
    assert execution.backoff(30, 3, None, 1.0) == timedelta(seconds=150)
    assert execution.backoff(30, 20, None, 0.0) == timedelta(hours=1)
    assert execution.backoff(30, 1, 500, 0.5) == timedelta(seconds=500)


# --- one request's trouble is not the queue's ------------------------------------------------


class BuggyProvider:
    """The sandbox, except that the first call of `method` hits a bug (not a provider error)."""

    def __init__(self, inner: SandboxProvider, method: str) -> None:
        self.inner, self.method, self.tripped = inner, method, False

    def __getattr__(self, name):
        real = getattr(self.inner, name)
        if name != self.method or self.tripped:
            return real

        async def buggy(*args, **kwargs):
            self.tripped = True
            raise RuntimeError("a bug")

        return buggy


async def test_a_bug_on_one_request_does_not_stop_the_others(runtime, sandbox, clock):
    first = await seat_change(runtime)
    second = await new_subscriptions(runtime, (OFFICE_E1, 4))
    runtime.provider = BuggyProvider(sandbox, "change_quantity")

    report = await runtime.worker.run_once()

    assert report.crashed == 1 and report.done == 1
    assert (await load(runtime.db, second)).state is S.DONE
    assert (await load(runtime.db, first)).state is S.RUNNING  # leased, left for a retry
    clock.advance(LEASE + timedelta(seconds=1))
    assert (await runtime.worker.run_once()).done == 1
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]


class SlowProvider:
    """The sandbox, except that one call of `method` takes longer than the lease: meanwhile
    another worker takes the request over."""

    def __init__(self, inner: SandboxProvider, method: str, meanwhile) -> None:
        self.inner, self.method, self.meanwhile = inner, method, meanwhile

    def __getattr__(self, name):
        real = getattr(self.inner, name)
        if name != self.method or self.meanwhile is None:
            return real

        async def slow(*args, **kwargs):
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
            return await real(*args, **kwargs)

        return slow


async def test_a_worker_that_lost_its_lease_writes_nothing_more(runtime, sandbox, clock):
    request_id = await seat_change(runtime)
    other = Worker(runtime, worker_id="other")
    taken_over = []

    async def lease_runs_out():
        clock.advance(LEASE + timedelta(seconds=1))
        taken_over.append(await other.run_once())

    runtime.provider = SlowProvider(sandbox, "change_quantity", lease_runs_out)
    await Worker(runtime, worker_id="slow").run_once()

    assert taken_over[0].resumed == 1 and taken_over[0].done == 1
    events = await audit(runtime, request_id)
    done = [e for e in events if e.after_state == "done"]
    assert len(done) == 1 and done[0].data["worker"] == "other"
    after = events[events.index(done[0]) :]
    assert all((e.data or {}).get("worker") != "slow" for e in after)
    # The slow call still reached OVHcloud: a repeated total, which is harmless.
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}, {"quantity": 13}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13


@pytest.mark.parametrize("what", ["seats", "create", "failed create"])
async def test_a_task_the_provider_forgot_is_checked_on_the_subscription(
    make_runtime, database_url, clock, what
):
    """Some OVHcloud conventions forget finished tasks (404 at `…/task/{id}`): the
    subscription tells whether the change is there."""
    sandbox = slow_sandbox(clock, 60)
    runtime = await make_runtime(database_url, sandbox)
    if what == "seats":
        request_id = await seat_change(runtime)
    else:
        if what == "failed create":
            sandbox.faults.set(task_error_next=True)
        request_id = await new_subscriptions(runtime, (OFFICE_E1, 4))
    await runtime.worker.run_once()
    (step,) = await load_steps(runtime.db, request_id)
    clock.advance(seconds=70)
    sandbox.settle()
    del sandbox.world.tenants[NORDWIND].tasks[step.provider_task_id]  # OVHcloud purged it

    await runtime.worker.run_once()

    request = await load(runtime.db, request_id)
    (step,) = await load_steps(runtime.db, request_id)
    if what == "seats":  # the subscription shows the new total: done, nothing re-sent
        assert request.state is S.DONE
        assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    elif what == "create":  # the new subscription of that license, created since: done
        assert request.state is S.DONE, request.error
        made = await sandbox.get_subscription(NORDWIND, step.result["subscription_id"])
        assert (made.license_id, made.quantity) == (OFFICE_E1, 4)
        assert len(sandbox.calls("addSubscription")) == 1
    else:  # nothing appeared: the task may have failed; a person looks
        assert request.state is S.NEEDS_ATTENTION
        assert f"OVHcloud no longer knows task {step.provider_task_id}" in request.error
        assert len(sandbox.calls("addSubscription")) == 1
