"""The incremental sync: two calls per group (its subscriptions), a full read only of the groups
whose subscriptions changed upstream."""

from __future__ import annotations

from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3
from store import cache
from tests.sync.conftest import ALL_GROUPS, read


async def test_it_reads_in_full_only_the_group_that_changed(runtime, sandbox):
    await runtime.syncer.sync_all()
    before = (await sandbox.get_subscription(NORDWIND, NORDWIND_E3)).quantity
    await sandbox.change_quantity(NORDWIND, NORDWIND_E3, before + 2)  # e.g. in the control panel
    sandbox.clear_calls()

    report = await runtime.syncer.sync_changes()

    assert report.ok == [NORDWIND] and report.failed == {}
    assert [c.service_name for c in sandbox.call_log if c.op == "getTenant"] == [NORDWIND]
    assert len(sandbox.calls("getSubscriptions")) == ALL_GROUPS + 1  # each group's, Nordwind again
    assert (await read(runtime, cache.get_subscription, NORDWIND_E3)).quantity == before + 2

    sandbox.clear_calls()
    quiet = await runtime.syncer.sync_changes()
    assert quiet.outcomes == [] and sandbox.calls("getTenant") == []
    assert len(sandbox.calls("getSubscriptions")) == ALL_GROUPS


async def test_it_waits_for_the_first_full_sync(lite, sandbox):
    report = await lite.syncer.sync_changes()
    assert report.skipped and sandbox.call_log == []
