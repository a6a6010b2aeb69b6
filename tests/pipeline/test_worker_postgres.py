"""Several replicas on one PostgreSQL database: FOR UPDATE SKIP LOCKED splits the queue, and
conditional updates make sure every request is executed by exactly one worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from bot.core.domain import RequestKind, RequestState, StepAction
from bot.pipeline.transitions import load
from bot.pipeline.worker import Worker
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_data import BELLAVISTA, CONTOSO, NORDWIND, OFFICE_E1, PADARIA
from store import leases as lease_sql
from store import requests as repo
from tests.pipeline.test_worker import runtime_factory, submit

TENANTS = (NORDWIND, CONTOSO, PADARIA, BELLAVISTA)
REQUESTS = 24


async def quiet(request, *, actor=None, before=None) -> None:
    """Cards are not this test's business; the spy still records every request_changed."""


@pytest.fixture
async def make_runtime(emulator, clock):
    async with runtime_factory(emulator, clock) as make:
        yield make


async def test_two_replicas_execute_every_request_exactly_once(make_runtime, postgres_url, clock):
    sandbox = SandboxProvider(clock=clock.now, task_duration=timedelta(0))
    sandbox.faults.set(latency=0.002)  # calls take time, so the replicas interleave
    one = await make_runtime(postgres_url, sandbox)
    two = await make_runtime(postgres_url, sandbox)  # another process: its own engine
    for replica in (one, two):
        replica.notifier.inner.request_changed = quiet
    expected = Counter()
    ids = []
    for n in range(REQUESTS):
        tenant, seats = TENANTS[n % len(TENANTS)], n + 1  # each call tells which request
        ids.append(
            await submit(
                one,
                [(StepAction.ADD_SUBSCRIPTION, {"license_id": OFFICE_E1, "quantity": seats})],
                kind=RequestKind.ORDER,
                tenant=tenant,
            )
        )
        expected[(tenant, seats)] += 1

    first, second = await asyncio.gather(
        Worker(one, worker_id="replica-1").run_once(),
        Worker(two, worker_id="replica-2").run_once(),
    )

    made = Counter((c.service_name, c.payload["quantity"]) for c in sandbox.call_log
                   if c.op == "addSubscription")  # fmt: skip
    assert made == expected, "every request sent once, none twice"
    assert first.claimed + second.claimed == REQUESTS
    assert first.claimed and second.claimed, "SKIP LOCKED lets both replicas take a share"
    assert first.done + second.done == REQUESTS
    for request_id in ids:
        assert (await load(one.db, request_id)).state is RequestState.DONE
        async with one.db.session() as session:
            events = await repo.audit_events(session, request_id=request_id)
        claims = [e for e in events if (e.before_state, e.after_state) == ("queued", "running")]
        assert len(claims) == 1 and len([e for e in events if e.action == "provider_call"]) == 1


async def test_a_replica_does_not_take_a_request_another_one_holds(
    make_runtime, postgres_url, sandbox, clock
):
    one = await make_runtime(postgres_url, sandbox)
    two = await make_runtime(postgres_url, sandbox)
    request_id = await submit(
        one,
        [(StepAction.CHANGE_QUANTITY, {"quantity": 13, "previous_quantity": 12})],
        subscription_id=480101,
    )
    await one.notifier.settle()  # its card writes would lock the row for a moment
    async with one.db.transaction() as session:  # replica one claims it …
        ids = await lease_sql.claimable_ids(session, clock.now(), skip_locked=True)
        assert ids == [request_id]
        # … and while its claim is open, replica two skips the locked row
        async with two.db.transaction() as other:
            assert await lease_sql.claimable_ids(other, clock.now(), skip_locked=True) == []
    report = await Worker(two, worker_id="replica-2").run_once()
    assert report.done == 1 and sandbox.calls("changeQuantity") == [{"quantity": 13}]
