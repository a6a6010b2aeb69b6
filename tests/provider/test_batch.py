"""Batch reads degrade: when OVHcloud refuses `X-Ovh-Batch` (an undocumented feature an OVHcloud
maintainer called not guaranteed), or one entry fails for another reason than "does not exist",
the client reads those ids one GET each, remembers that batching is off, and tries it again
later. Against the sandbox server in the `degraded` conventions (batches refused with a 400)."""

from __future__ import annotations

import pytest

from bot.provider.base import AuthenticationError, NotFound, ServerError
from bot.provider.sandbox_conventions import DEGRADED, OVHCLOUD
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, NORDWIND_E3, OFFICE_E1
from tests.provider.conftest import HttpSandbox, make_sandbox, serving

NORDWIND_SUBS = 5


def _reads(server: HttpSandbox) -> list:
    return [r for r in server.requests if "/subscription/" in r.path]


@pytest.fixture
async def degraded(clock):
    async with serving(make_sandbox(clock, DEGRADED)) as server:
        yield server


async def test_a_refused_batch_is_read_one_by_one_and_batching_stays_off(degraded, clock):
    now = [1_000.0]
    client = degraded.client(monotonic=lambda: now[0], batch_retry_seconds=600)
    await client.list_tenants()  # /auth/time
    subs = await client.get_subscriptions(NORDWIND)
    assert len(subs) == NORDWIND_SUBS and NORDWIND_E3 in {s.id for s in subs}
    reads = _reads(degraded)
    assert [r.batch for r in reads] == [True] + [False] * NORDWIND_SUBS  # refused, then one each
    assert "Batch mode is not available" in client.batch_reads_off()

    degraded.requests.clear()
    await client.get_subscriptions(NORDWIND, [NORDWIND_E3, NORDWIND_BASIC, 1])
    assert [r.batch for r in _reads(degraded)] == [False, False, False]  # no batch tried
    now[0] += 600  # a while later, batching is tried again
    degraded.requests.clear()
    assert len(await client.get_subscriptions(NORDWIND, [NORDWIND_E3, NORDWIND_BASIC])) == 2
    assert [r.batch for r in _reads(degraded)] == [True, False, False]


async def test_retry_turns_batching_back_on(degraded) -> None:
    client = degraded.client()
    await client.get_licenses(NORDWIND)
    assert client.batch_reads_off()
    client.retry_batch_reads()
    assert client.batch_reads_off() is None
    degraded.sandbox.conventions = OVHCLOUD  # OVHcloud takes batches again
    degraded.requests.clear()
    await client.get_subscriptions(NORDWIND)
    assert [r.batch for r in _reads(degraded)] == [True]
    assert client.batch_reads_off() is None


async def test_many_ids_one_by_one_keep_their_order(degraded) -> None:
    box = degraded.sandbox
    for _ in range(60):
        await box.add_subscription(NORDWIND, OFFICE_E1, 1)
    box.settle()
    client = degraded.client(max_concurrency=4)
    ids = sorted(await client.list_subscriptions(NORDWIND), reverse=True)
    subs = await client.get_subscriptions(NORDWIND, ids)
    assert [s.id for s in subs] == ids


async def test_an_entry_failing_for_another_reason_is_read_alone(http_sandbox) -> None:
    box = http_sandbox.sandbox
    box.faults.set(fail_next=[("getSubscription", ServerError("Internal server error"))])
    client = http_sandbox.client()
    subs = await client.get_subscriptions(NORDWIND)
    assert len(subs) == NORDWIND_SUBS
    reads = _reads(http_sandbox)
    assert [r.batch for r in reads] == [True, False]  # the batch, then the failed entry alone
    assert client.batch_reads_off() is None  # the batch itself was answered


async def test_an_entry_missing_is_left_out_without_a_second_read(http_sandbox) -> None:
    client = http_sandbox.client()
    subs = await client.get_subscriptions(NORDWIND, [NORDWIND_E3, 1])
    assert [s.id for s in subs] == [NORDWIND_E3]
    assert [r.batch for r in _reads(http_sandbox)] == [True]


async def test_not_found_and_auth_errors_are_not_refusals_of_batching(http_sandbox) -> None:
    client = http_sandbox.client()
    with pytest.raises(NotFound):
        await client.get_subscriptions("csp2-zzzzzz.o365.ovh", [1, 2])
    with pytest.raises(AuthenticationError):
        await http_sandbox.client(consumer_key="revoked").get_subscriptions(NORDWIND, [1, 2])
    assert client.batch_reads_off() is None
