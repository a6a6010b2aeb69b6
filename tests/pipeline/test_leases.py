"""Leases in seconds: the heartbeat keeps a live worker's lease (also through a long provider
call), a lease found lost stops the worker, and a restarted bot resumes its dead predecessor's
requests at once — only when it can prove the predecessor is gone.

The worker runs under the FakeClock as in test_worker.py; the heartbeat runs in real time with
a short interval, so a test waits a fraction of a second for it, never a lease.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.core.domain import RequestState, StepState
from bot.pipeline import leases
from bot.pipeline.leases import ProcessIdentity, provably_dead, this_process
from bot.pipeline.transitions import load, load_steps
from bot.pipeline.worker import Worker
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3, OFFICE_E1
from store import requests as repo
from tests.conftest import make_settings
from tests.pipeline.processes import dead_process, parent_process
from tests.pipeline.test_worker import (
    LEASE,
    audit,
    die_in,
    new_subscriptions,
    quantity,
    runtime_factory,
    seat_change,
)

S, St = RequestState, StepState
BEAT = 0.05  # seconds of real time between heartbeats in these tests

pytestmark = pytest.mark.skipif(this_process().namespace is None, reason="needs Linux /proc")


@pytest.fixture
async def make_runtime(emulator, clock):
    async with runtime_factory(emulator, clock) as make:
        yield make


async def eventually(condition) -> None:
    """Waits (in real time, five seconds at most) for the heartbeat to have done something."""
    for _ in range(int(5 / BEAT)):
        if condition():
            return
        await asyncio.sleep(BEAT)
    raise AssertionError("the heartbeat did not come")


async def lease_of(runtime, request_id: int):
    async with runtime.db.session() as session:
        return await repo.get_request(session, request_id)


class HangingProvider:
    """The sandbox, except that `method` waits for `go` before doing its work."""

    def __init__(self, inner, method: str) -> None:
        self.inner, self.method = inner, method
        self.reached, self.go = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name):
        real = getattr(self.inner, name)
        if name != self.method:
            return real

        async def hanging(*args, **kwargs):
            self.reached.set()
            await self.go.wait()
            return await real(*args, **kwargs)

        return hanging


# --- who is provably gone ------------------------------------------------------------------


def test_a_worker_id_names_its_process_and_reads_back():
    me = this_process()
    assert me.worker_id == f"{me.host[:32]}:{os.getpid()}:{me.namespace}.{me.started}"
    assert ProcessIdentity.parse(me.worker_id) == me
    assert len(me.worker_id) <= 64
    for foreign in ("doomed", "web-1:4242:9f3a2c", "a:b:c.d", "host:12:.5"):
        assert ProcessIdentity.parse(foreign) is None


def test_only_a_process_of_this_host_and_namespace_that_is_gone_is_dead():
    me, gone, alive = this_process(), dead_process(), parent_process()
    assert provably_dead(gone.worker_id, me)
    assert not provably_dead(alive.worker_id, me)
    assert not provably_dead(me.worker_id, me)
    # the pid lives on in another process (it was reused): the owner is gone
    reused = ProcessIdentity(me.host, alive.pid, me.namespace, alive.started - 1)
    assert provably_dead(reused.worker_id, me)
    # what cannot be proved waits for the lease: another host, container, boot, or format
    assert not provably_dead(ProcessIdentity("other-host", gone.pid, me.namespace,
                                             gone.started).worker_id, me)  # fmt: skip
    assert not provably_dead(ProcessIdentity(me.host, gone.pid, "0123456789",
                                             gone.started).worker_id, me)  # fmt: skip
    assert not provably_dead(f"{me.host}:{gone.pid}:9f3a2c", me)
    assert not provably_dead(gone.worker_id, ProcessIdentity(me.host, me.pid))


def test_a_killed_process_not_yet_reaped_is_dead():
    me = this_process()
    child = subprocess.Popen(["sleep", "30"])
    try:
        _state, started = leases._stat(child.pid)
        identity = ProcessIdentity(me.host, child.pid, me.namespace, started)
        assert not provably_dead(identity.worker_id, me)
        child.kill()
        for _ in range(100):  # until the kernel has made it a zombie
            if leases._stat(child.pid)[0] == "Z":
                break
            subprocess.run(["sleep", "0.01"])
        assert provably_dead(identity.worker_id, me)
    finally:
        child.kill()
        child.wait()


# --- the heartbeat -------------------------------------------------------------------------


async def hung_in_change_quantity(runtime, sandbox):
    """A worker pass under way, its changeQuantity call held at the provider until
    `slow.go` is set: (the worker, the provider, the pass's task)."""
    runtime.provider = slow = HangingProvider(sandbox, "change_quantity")
    working = Worker(runtime, worker_id="working")
    task = asyncio.create_task(working.run_once())
    await asyncio.wait_for(slow.reached.wait(), 5)
    return working, slow, task


async def test_the_heartbeat_keeps_the_lease_through_a_long_provider_call(
    make_runtime, database_url, sandbox, clock
):
    runtime = await make_runtime(database_url, sandbox, csp_worker_heartbeat_seconds=BEAT)
    request_id = await seat_change(runtime)
    working, slow, task = await hung_in_change_quantity(runtime, sandbox)

    clock.advance(LEASE * 3)  # the call takes three leases' time …
    beats = working.leases.beats
    await eventually(lambda: working.leases.beats >= beats + 2)  # … renewed meanwhile
    other = await Worker(runtime, worker_id="other").run_once()
    slow.go.set()
    report = await asyncio.wait_for(task, 5)

    assert other.claimed == 0, "a live worker's request is not taken over"
    assert report.done == 1 and report.resumed == 0
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert "resume" not in [e.action for e in await audit(runtime, request_id)]


async def test_requests_waiting_their_turn_in_a_batch_keep_their_leases(
    make_runtime, database_url, sandbox, clock
):
    runtime = await make_runtime(database_url, sandbox, csp_worker_heartbeat_seconds=BEAT)
    first = await seat_change(runtime)
    second = await new_subscriptions(runtime, (OFFICE_E1, 4))
    working, slow, task = await hung_in_change_quantity(runtime, sandbox)

    clock.advance(LEASE * 2)
    beats = working.leases.beats
    await eventually(lambda: working.leases.beats >= beats + 2)
    other = await Worker(runtime, worker_id="other").run_once()
    slow.go.set()
    report = await asyncio.wait_for(task, 5)

    assert other.claimed == 0 and report.done == 2
    assert (await load(runtime.db, first)).state is S.DONE
    assert (await load(runtime.db, second)).state is S.DONE
    assert len(sandbox.calls("addSubscription")) == 1


async def test_a_heartbeat_that_finds_the_lease_lost_stops_the_worker(
    make_runtime, database_url, sandbox, clock
):
    runtime = await make_runtime(database_url, sandbox, csp_worker_heartbeat_seconds=BEAT)
    request_id = await seat_change(runtime)
    working, slow, task = await hung_in_change_quantity(runtime, sandbox)

    async with runtime.db.transaction() as session:  # an operator's takeover, say
        await repo.update_fields(session, request_id, {"lease_owner": "somebody-else"})
    await eventually(lambda: working.leases.is_lost(request_id))
    slow.go.set()
    report = await asyncio.wait_for(task, 5)

    assert report.done == 0 and report.crashed == 0
    (step,) = await load_steps(runtime.db, request_id)
    assert step.state is St.SENDING, "the worker wrote nothing after losing the lease"
    row = await lease_of(runtime, request_id)
    assert (row.state, row.lease_owner) == (S.RUNNING, "somebody-else")


# --- a restarted bot ----------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_restarted_bot_resumes_its_dead_predecessors_work_at_once(
    make_runtime, database_url, sandbox, clock, when
):
    """Killed while its changeQuantity was at the provider, the bot restarts on the same
    database and finishes the request without waiting for the lease (it used to leave it
    `running` until the lease ran out)."""
    first = await make_runtime(database_url, sandbox)
    request_id = await seat_change(first)
    predecessor = dead_process()
    await die_in(first, sandbox, "change_quantity", when, worker_id=predecessor.worker_id)
    row = await lease_of(first, request_id)
    assert row.lease_owner == predecessor.worker_id and row.lease_until > clock.now()

    restarted = await make_runtime(database_url, sandbox)
    report = await restarted.worker.run_once()  # the clock has not moved

    assert report.resumed == 1 and report.done == 1
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert await quantity(sandbox, NORDWIND, NORDWIND_E3) == 13
    [resume] = [e for e in await audit(restarted, request_id) if e.action == "resume"]
    assert predecessor.worker_id in resume.note


async def test_a_live_worker_on_the_same_host_keeps_its_lease(
    make_runtime, database_url, sandbox, clock
):
    first = await make_runtime(database_url, sandbox)
    request_id = await seat_change(first)
    await die_in(first, sandbox, "change_quantity", "before",
                 worker_id=parent_process().worker_id)  # fmt: skip

    restarted = await make_runtime(database_url, sandbox)
    assert (await restarted.worker.run_once()).claimed == 0
    clock.advance(LEASE + timedelta(seconds=1))  # it stopped renewing: its lease runs out
    report = await restarted.worker.run_once()
    assert report.resumed == 1 and report.done == 1
    assert sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert (await load(restarted.db, request_id)).state is S.DONE


def test_a_heartbeat_as_long_as_the_lease_is_refused():
    with pytest.raises(ValidationError, match="must be shorter than CSP_WORKER_LEASE_SECONDS"):
        make_settings(None, "sqlite+aiosqlite://", csp_worker_lease_seconds=10,
                      csp_worker_heartbeat_seconds=10)  # fmt: skip
    defaults = make_settings(None, "sqlite+aiosqlite://")
    assert (defaults.csp_worker_lease_seconds, defaults.csp_worker_heartbeat_seconds) == (30, 10)
