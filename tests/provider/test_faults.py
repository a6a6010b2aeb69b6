"""Faults: what the bot sees when the provider fails, on both backends.

The in-process sandbox surfaces an injected fault as the typed error itself. Over HTTP the
client retries reads (so a transient fault is invisible) and never retries a write (so the
provider sees it exactly once) — the rule that keeps "exactly once" true.
"""

from __future__ import annotations

import time

import pytest

from bot.core.domain import TaskStatus
from bot.provider.base import (
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    ServerError,
)
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3, OFFICE_E1, PADARIA
from tests.provider.conftest import Backend


@pytest.mark.parametrize("fault", [ServerError, RateLimited, ProviderTimeout, ProviderUnavailable])
async def test_transient_read_failure(backend: Backend, fault: type) -> None:
    backend.sandbox.faults.set(fail_next=[("getTenant", fault)])
    if backend.http:  # retried, then succeeds
        tenant = await backend.provider.get_tenant(NORDWIND)
        assert tenant.service_name == NORDWIND
        assert len(backend.sandbox.calls("getTenant")) == 2
    else:
        with pytest.raises(fault):
            await backend.provider.get_tenant(NORDWIND)
        assert len(backend.sandbox.calls("getTenant")) == 1


async def test_reads_give_up_after_the_retries(backend: Backend) -> None:
    backend.sandbox.faults.set(fail_next=[("listTenants", ServerError)] * 5)
    with pytest.raises(ServerError) as failed:
        await backend.provider.list_tenants()
    assert failed.value.status == 500
    expected = 3 if backend.http else 1  # first try + retries=2
    assert len(backend.sandbox.calls("listTenants")) == expected
    if backend.http:
        assert failed.value.query_id


@pytest.mark.parametrize("fault", [ServerError, RateLimited, ProviderUnavailable])
async def test_writes_are_never_retried(backend: Backend, fault: type) -> None:
    backend.sandbox.faults.set(fail_next=[("changeQuantity", fault)])
    with pytest.raises(fault):
        await backend.provider.change_quantity(NORDWIND, NORDWIND_E3, 13)
    assert backend.sandbox.calls("changeQuantity") == [{"quantity": 13}]
    assert await backend.provider.list_tasks(NORDWIND) == []
    backend.finish_tasks()
    assert (await backend.provider.get_subscription(NORDWIND, NORDWIND_E3)).quantity == 12


async def test_write_timeout_leaves_the_outcome_unknown(backend: Backend) -> None:
    """The provider did it, the caller timed out: one call seen, and the change does happen."""
    backend.sandbox.faults.set(fail_next=[("addSubscription", ProviderTimeout, True)])
    before = set(await backend.provider.list_subscriptions(PADARIA))
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        await backend.provider.add_subscription(PADARIA, OFFICE_E1, 2)
    assert time.monotonic() - started < 2
    assert backend.sandbox.calls("addSubscription") == [{"licenseId": OFFICE_E1, "quantity": 2}]
    backend.finish_tasks()
    (new,) = set(await backend.provider.list_subscriptions(PADARIA)) - before
    assert (await backend.provider.get_subscription(PADARIA, new)).quantity == 2


async def test_wildcard_fault_hits_whatever_comes_next(backend: Backend) -> None:
    backend.sandbox.faults.set(fail_next=[("*", ServerError)])
    with pytest.raises(ServerError):
        await backend.provider.delete_subscription(NORDWIND, NORDWIND_E3)
    assert await backend.provider.list_tasks(NORDWIND) == []


async def test_latency_is_felt(backend: Backend) -> None:
    backend.sandbox.faults.set(latency=0.05)
    started = time.monotonic()
    await backend.provider.get_tenant(NORDWIND)
    assert time.monotonic() - started >= 0.05


async def test_failed_task_is_reported_as_error_with_a_finish_date(backend: Backend) -> None:
    backend.sandbox.faults.set(task_error_next=True)
    task = await backend.provider.delete_subscription(NORDWIND, NORDWIND_E3)
    backend.finish_tasks()
    failed = await backend.finished(NORDWIND, task.id)
    assert failed is None or failed.status == TaskStatus.ERROR
    kept = [task.id] if backend.conventions.keep_finished_tasks else []
    assert [t.id for t in await backend.provider.get_tasks(NORDWIND, [task.id])] == kept
    assert NORDWIND_E3 in await backend.provider.list_subscriptions(NORDWIND)
