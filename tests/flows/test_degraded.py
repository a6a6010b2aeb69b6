"""Every flow against the least OVHcloud may give, over HTTP through OvhProvider: batch reads
refused (400), finished tasks forgotten at once (404 at `…/task/{id}`), `taskPendingId` 0 when
idle and statuses in several in-service words (`sandbox_conventions.DEGRADED`). Orders, add-ons,
seats up and down and cancellations still end done, each sent once; `/csp sync` says that
batching was off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app.server import Server
from bot.core.domain import RequestState
from bot.core.ids import BlockId, OrderAction
from bot.orders.form import LineField, line_block
from bot.pipeline.transitions import load, load_steps
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_conventions import DEGRADED
from bot.provider.sandbox_data import (
    NORDWIND_BASIC,
    OFFICE_E3,
    PADARIA,
    PADARIA_E1,
    TEAMS_AUDIO_CONFERENCING,
)
from store import cache
from tests.flows import test_cancel, test_orders, test_seats
from tests.flows.conftest import open_modal, serve_bot, settle

LICENSE, QUANTITY, PARENT = LineField.LICENSE, LineField.QUANTITY, LineField.PARENT


@pytest.fixture
def sandbox(clock) -> SandboxProvider:
    return SandboxProvider(clock=clock.now, task_duration=timedelta(0), conventions=DEGRADED)


@pytest.fixture
async def bot(settings, sandbox, clock) -> AsyncIterator[Server]:
    async with serve_bot(settings, sandbox, clock, over_http=True) as server:
        yield server


async def test_sync_reads_one_by_one_and_says_so(slack, bot, emulator, synced):
    assert "OVHcloud refused batch reads" in synced.summary()
    await slack.command("sync")
    await bot.runtime.syncer.idle()
    said = emulator.calls_of("response_url")[-1]["text"]
    assert "Synced 5 license groups." in said and "read one by one" in said
    async with bot.runtime.db.session() as session:
        subs = await cache.subscriptions_of(session, PADARIA)
    assert {s.id: s.status for s in subs}[PADARIA_E1] == "inService"
    assert all(s.task_pending_id is None for s in subs)


async def test_an_order_with_an_add_on_ends_done_though_its_tasks_are_forgotten(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order padaria")
    typed = {
        BlockId.TENANT: PADARIA,
        line_block(LICENSE, "1"): OFFICE_E3,
        line_block(QUANTITY, "1"): "2",
    }
    modal = await test_orders.act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    typed |= {line_block(LICENSE, "2"): TEAMS_AUDIO_CONFERENCING,
              line_block(QUANTITY, "2"): "3"}
    modal = await test_orders.act(slack, emulator, modal, OrderAction.LICENSE, typed,
                                  selected=str(TEAMS_AUDIO_CONFERENCING))
    typed |= {line_block(PARENT, "2"): PADARIA_E1}  # its status is "inService"
    request = await test_orders.confirm(slack, bot, await test_orders.review(slack, modal, typed))
    await settle(bot.runtime)

    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.DONE, request.error
    assert sandbox.calls("addSubscription") == [{"licenseId": OFFICE_E3, "quantity": 2}]
    assert sandbox.calls("orderAddon") == [{"licenseId": TEAMS_AUDIO_CONFERENCING,
                                             "quantity": 3}]
    created = [s.result["subscription_id"] for s in await load_steps(bot.runtime.db, request.id)]
    made = [await sandbox.get_subscription(PADARIA, sid) for sid in created]
    assert [(s.license_id, s.quantity) for s in made] == [
        (OFFICE_E3, 2), (TEAMS_AUDIO_CONFERENCING, 3)]


async def test_seats_up_then_down_on_a_subscription_in_an_unknown_status(
    slack, emulator, bot, sandbox, synced
):
    values = test_seats.form_values(PADARIA_E1, 5, tenant=PADARIA)
    reply = await test_seats.review(slack, emulator, "/csp seats padaria", values)
    assert reply.view is not None, reply.errors
    await slack.submit(reply.view)
    await settle(bot.runtime)
    values = test_seats.form_values(PADARIA_E1, 4, tenant=PADARIA)
    reply = await test_seats.review(slack, emulator, "/csp seats padaria", values)
    assert reply.view is not None, reply.errors
    await slack.submit(reply.view)
    await settle(bot.runtime)

    assert sandbox.calls("changeQuantity") == [{"quantity": 5}, {"quantity": 4}]
    assert [r.state for r in await test_seats.requests_of(bot)] == [RequestState.DONE] * 2
    assert await test_seats.quantity_in_cache(bot, PADARIA_E1) == 4


async def test_an_approved_cancellation_ends_done(slack, emulator, bot, sandbox, synced, agents):
    request = await test_cancel.request_cancellation(slack, emulator, bot)
    await test_cancel.click(slack, bot, "pipeline_approve", request, agents[0])
    await settle(bot.runtime)
    assert (await load(bot.runtime.db, request.id)).state is RequestState.DONE
    assert len(sandbox.calls("deleteSubscription")) == 1
    assert await test_cancel.cached(bot, NORDWIND_BASIC) is None
