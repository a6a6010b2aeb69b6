"""`/csp tasks` shows what OVHcloud did for our requests, finished ones included: OVHcloud lists
only pending tasks, so a task that starts and ends between two syncs is known from the worker,
which keeps every task it follows in the cache."""

from __future__ import annotations

from datetime import timedelta

from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3
from tests.flows.conftest import open_modal, settle
from tests.flows.test_seats import form_values


async def seat_change_done(slack, emulator, bot, sandbox, clock) -> int:
    form = await open_modal(slack, emulator, f"seats nordwind {NORDWIND_E3}")
    review = await slack.submit(form, form_values(NORDWIND_E3, 13))
    await slack.submit(review.view)
    await settle(bot.runtime)  # sent: the task is running
    clock.advance(minutes=10)
    await settle(bot.runtime)  # … and done
    [task_id] = [t for t in sandbox.world.tenants[NORDWIND].tasks]
    assert sandbox.world.tenants[NORDWIND].tasks[task_id].task.status == "done"
    assert await sandbox.list_tasks(NORDWIND) == []  # OVHcloud lists pending tasks only
    return task_id


async def test_a_task_finished_between_two_syncs_is_listed(slack, emulator, bot, sandbox, clock,
                                                           synced):
    sandbox.world.tenants[NORDWIND].tasks.clear()
    task_id = await seat_change_done(slack, emulator, bot, sandbox, clock)

    reply = await slack.command("tasks nordwind")
    text = reply.text
    assert "*Recently finished*" in text
    assert f"`{task_id}` seat change" in text
    # a sync afterwards keeps it: the provider no longer lists it, the cache does
    await bot.runtime.syncer.run_once()
    assert f"`{task_id}` seat change" in (await slack.command("tasks nordwind")).text


async def test_finished_tasks_are_listed_for_the_history_days_then_pruned(
    slack, emulator, bot, sandbox, clock, synced
):
    sandbox.world.tenants[NORDWIND].tasks.clear()
    task_id = await seat_change_done(slack, emulator, bot, sandbox, clock)
    days = bot.runtime.settings.csp_task_history_days
    clock.advance(timedelta(days=days) - timedelta(hours=1))
    assert f"`{task_id}`" in (await slack.command("tasks nordwind")).text
    clock.advance(hours=2)
    assert f"`{task_id}`" not in (await slack.command("tasks nordwind")).text
