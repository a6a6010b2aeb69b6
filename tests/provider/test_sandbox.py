"""What only the in-process sandbox promises: persistence, determinism, its test controls."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.domain import Renew, TaskStatus
from bot.provider.base import BadParameters, ServerError
from bot.provider.sandbox import ManualClock, SandboxProvider
from bot.provider.sandbox_data import (
    BUSINESS_BASIC,
    CONTOSO,
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    PADARIA,
    PADARIA_BASIC,
)


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.json"
    clock = ManualClock()
    first = SandboxProvider(clock=clock, task_duration=timedelta(minutes=5), state_path=path)
    done = await first.change_quantity(NORDWIND, NORDWIND_E3, 13)
    clock.advance(minutes=5)
    await first.get_task(NORDWIND, done.id)
    pending = await first.add_subscription(PADARIA, BUSINESS_BASIC, 4)
    await first.update_service_infos(CONTOSO, Renew(automatic=False))
    await first.close()
    assert json.loads(path.read_text())["tenants"][NORDWIND]

    again = SandboxProvider(clock=clock, task_duration=timedelta(minutes=5), state_path=path)
    assert (await again.get_subscription(NORDWIND, NORDWIND_E3)).quantity == 13
    assert (await again.get_task(NORDWIND, done.id)).status == TaskStatus.DONE
    assert (await again.service_infos(CONTOSO)).renew.automatic is False
    assert await again.list_tasks(PADARIA) == [pending.id]  # still running after the restart
    clock.advance(minutes=5)
    assert (await again.get_task(PADARIA, pending.id)).status == TaskStatus.DONE
    assert len(await again.list_subscriptions(PADARIA)) == 3
    newer = await again.change_quantity(NORDWIND, NORDWIND_E3, 14)
    assert newer.id > pending.id  # counters persisted too


async def test_an_unseeded_sandbox_is_empty() -> None:
    assert await SandboxProvider(seed=False).list_tenants() == []


async def test_random_failures_are_reproducible() -> None:
    async def failures(rng_seed: int) -> list[bool]:
        box = SandboxProvider(clock=ManualClock(), rng_seed=rng_seed)
        box.faults.set(error_rate=0.5)
        outcome = []
        for _ in range(20):
            try:
                await box.list_tenants()
                outcome.append(False)
            except ServerError:
                outcome.append(True)
        return outcome

    first = await failures(7)
    assert first == await failures(7)
    assert 0 < sum(first) < 20


async def test_calls_record_every_operation_in_order() -> None:
    box = SandboxProvider(clock=ManualClock())
    await box.get_subscription(NORDWIND, NORDWIND_E3)
    with pytest.raises(BadParameters):
        await box.change_quantity(NORDWIND, NORDWIND_E3, 0)
    await box.change_quantity(NORDWIND, NORDWIND_E3, 13)
    assert box.calls("changeQuantity") == [{"quantity": 0}, {"quantity": 13}]
    assert box.calls("getSubscription") == [{}]
    log = box.call_log
    assert [c.op for c in log] == ["getSubscription", "changeQuantity", "changeQuantity"]
    assert (log[-1].service_name, log[-1].target) == (NORDWIND, NORDWIND_E3)
    box.clear_calls()
    assert box.call_log == []


async def test_settle_finishes_every_task_without_moving_the_clock() -> None:
    clock = ManualClock()
    box = SandboxProvider(clock=clock, task_duration=timedelta(hours=1))
    task = await box.change_quantity(PADARIA, PADARIA_BASIC, 11)
    box.settle()
    assert (await box.get_task(PADARIA, task.id)).status == TaskStatus.DONE
    assert (await box.get_subscription(PADARIA, PADARIA_BASIC)).quantity == 11
    assert clock.now() == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_accepts_any_clock_with_now_or_a_callable() -> None:
    class AppClock:
        def now(self) -> datetime:
            return datetime(2030, 1, 1, tzinfo=UTC)

    for clock in (AppClock(), lambda: datetime(2030, 1, 1, tzinfo=UTC)):
        box = SandboxProvider(clock=clock)
        task = await box.change_quantity(NORDWIND, NORDWIND_E3, 13)
        assert task.todo_date == datetime(2030, 1, 1, tzinfo=UTC)


async def test_wall_clock_by_default_with_instant_tasks() -> None:
    box = SandboxProvider(task_duration=timedelta(0))
    task = await box.change_quantity(NORDWIND, NORDWIND_E3, 13)
    assert abs(task.todo_date - datetime.now(UTC)) < timedelta(seconds=5)
    assert (await box.get_task(NORDWIND, task.id)).status == TaskStatus.DONE


async def test_patch_license_tightens_a_limit() -> None:
    box = SandboxProvider(clock=ManualClock())
    box.patch_license(NORDWIND, BUSINESS_BASIC, limit=26)
    with pytest.raises(BadParameters, match="limited to 26"):
        await box.change_quantity(NORDWIND, NORDWIND_BASIC, 27)
    await box.change_quantity(NORDWIND, NORDWIND_BASIC, 26)


async def test_applied_fault_on_a_read_still_raises() -> None:
    box = SandboxProvider(clock=ManualClock())
    box.faults.set(fail_next=[("getTenant", ServerError("down for lunch", status=503), True)])
    with pytest.raises(ServerError, match="down for lunch"):
        await box.get_tenant(NORDWIND)
    assert (await box.get_tenant(NORDWIND)).service_name == NORDWIND
    box.faults.set(fail_next=[("getTenant", ServerError)])
    box.faults.clear()
    await box.get_tenant(NORDWIND)
