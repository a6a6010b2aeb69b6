"""Changes scheduled for the renewal, end to end: a decrease or a cancellation that only a closed
window refuses is scheduled from its form, waits in `scheduled` (listed, withdrawable, its
requester reminded the day before), and the worker sends it once when the next term starts —
reading the subscription first.

The clock stands on 1 December 2026, 10:00 UTC. Nordwind's Office 365 E3 (12 seats, an add-on)
was bought on 17 October 2025 and is 14 days into its monthly term: no seat can be removed and
its cancellation window is closed until it renews on 17 December 2026, 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.blocks import date_token
from bot.core.clock import FakeClock
from bot.core.domain import RequestState
from bot.core.ids import BlockId, CancelBlock, SeatsBlock, SubscriptionChoiceBlock
from bot.pipeline import approvals
from bot.pipeline import transitions as pipeline
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3, NORDWIND_E3_AUDIO
from store import requests as repo
from tests.conftest import ALICE, SAM
from tests.flows.conftest import open_modal, settle
from tests.slack_emulator import blocks_text

SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
RENEWAL = datetime(2026, 12, 17, 10, 0, tzinfo=UTC)
SCHEDULE = f"{SeatsBlock.SCHEDULE}.{int(RENEWAL.timestamp())}"
ACKNOWLEDGE = f"{CancelBlock.ACKNOWLEDGE}.no_refund.at_renewal.addons"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def only_request(bot):
    async with bot.runtime.db.session() as session:
        (row,) = await repo.recent_requests(session)
    return await pipeline.load(bot.runtime.db, row.id)


def dms(emulator, user: str) -> str:
    return "\n".join(m.all_text for m in emulator.messages[f"D{user}"])


async def schedule_decrease(slack, emulator, bot, new_total: int):
    form = await open_modal(slack, emulator, f"/csp seats nordwind {NORDWIND_E3}")
    assert "Schedule for the renewal on Thu 17 Dec 2026, 10:00 UTC" in blocks_text(form["blocks"])
    values = {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_E3,
              SeatsBlock.NEW_TOTAL: new_total}
    refused = await slack.submit(form, values)  # not ticked: the form says what it offers
    assert "renews, on Thu 17 Dec 2026" in refused.errors[SeatsBlock.NEW_TOTAL]
    reply = await slack.submit(form, {**values, SCHEDULE: ["at_renewal"]})
    assert reply.view is not None, reply.errors
    confirmation = blocks_text(reply.view["blocks"])
    assert reply.view["title"]["text"] == "Schedule seats"
    assert "it is sent at the renewal" in confirmation
    assert "At the renewal, " + date_token(RENEWAL) in confirmation
    assert "12 → *" + str(new_total) + "*" in confirmation
    assert "renews on " + date_token(RENEWAL, "{date_short_pretty}") in confirmation
    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()
    return await only_request(bot)


async def test_a_decrease_scheduled_for_the_renewal_is_sent_once_when_the_term_starts(
    slack, emulator, sandbox, bot, clock, synced
):
    request = await schedule_decrease(slack, emulator, bot, 10)
    assert request.state is RequestState.SCHEDULED and request.run_at == RENEWAL

    listed = await slack.command("requests mine")
    assert "Scheduled for the renewal" in listed.text
    assert "sent at the renewal, " + date_token(RENEWAL) in listed.text
    home = await slack.open_home(ALICE)
    assert home.status == 200
    await bot.runtime.notifier.settle()
    assert "sent at the renewal, " + date_token(RENEWAL) in blocks_text(
        emulator.home[ALICE]["blocks"])

    # before its time the worker leaves it alone
    clock.set(RENEWAL - timedelta(hours=30))
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == []
    await approvals.watch_deadlines(bot.runtime)
    assert "is sent to OVHcloud" not in dms(emulator, ALICE)

    # the day before: one reminder, however many rounds and replicas look
    clock.set(RENEWAL - timedelta(hours=23))
    await approvals.watch_deadlines(bot.runtime)
    await approvals.watch_deadlines(bot.runtime)
    reminders = [m for m in emulator.messages[f"D{ALICE}"] if "Reminder" in m.text]
    assert len(reminders) == 1 and request.ref in reminders[0].text
    assert date_token(RENEWAL) in reminders[0].text

    clock.set(RENEWAL)
    await settle(bot.runtime)
    await settle(bot.runtime)
    assert [c["quantity"] for c in sandbox.calls("changeQuantity")] == [10]
    done = await pipeline.load(bot.runtime.db, request.id)
    assert done.state is RequestState.DONE
    assert f"Your request *{done.ref}*" in dms(emulator, ALICE)
    assert len([m for m in emulator.messages[f"D{ALICE}"] if "is done." in m.text]) == 1


async def test_a_scheduled_decrease_already_reached_is_reported_not_sent(
    slack, emulator, sandbox, bot, clock, synced
):
    request = await schedule_decrease(slack, emulator, bot, 10)
    # meanwhile somebody took the subscription down to 9 in the control panel
    sandbox.world.tenants[NORDWIND].subscriptions[NORDWIND_E3].subscription.quantity = 9
    clock.set(RENEWAL + timedelta(minutes=1))
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == []
    done = await pipeline.load(bot.runtime.db, request.id)
    assert done.state is RequestState.DONE
    card = emulator.message(done.card_channel, done.card_ts).all_text
    assert "nothing sent: the subscription already had 9 seats" in card


async def test_a_scheduled_decrease_can_be_withdrawn(slack, emulator, sandbox, bot, clock,
                                                      synced):
    request = await schedule_decrease(slack, emulator, bot, 10)
    card = emulator.message(request.card_channel, request.card_ts)
    assert "Withdraw" in card.all_text and "Scheduled for the renewal" in card.all_text
    await slack.action("pipeline_withdraw", value=str(request.id), user=ALICE, message=card)
    await bot.runtime.notifier.settle()
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.WITHDRAWN
    clock.set(RENEWAL)
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == []


async def test_a_cancellation_scheduled_for_the_renewal_is_approved_now_and_run_then(
    slack, emulator, sandbox, bot, clock, synced, agents
):
    form = await open_modal(slack, emulator, f"/csp cancel nordwind {NORDWIND_E3}")
    assert "Schedule for the renewal on" in blocks_text(form["blocks"])
    values = {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_E3,
              CancelBlock.REASON: "not_needed", CancelBlock.DETAILS: "Moving to Business Basic."}
    both = await slack.submit(form, {**values, ACKNOWLEDGE: ["no_refund", "at_renewal", "addons"]})
    assert "Choose one" in both.errors[ACKNOWLEDGE]
    reply = await slack.submit(form, {**values, ACKNOWLEDGE: ["at_renewal", "addons"]})
    assert reply.view is not None, reply.errors
    confirmation = blocks_text(reply.view["blocks"])
    assert reply.view["title"]["text"] == "Schedule cancellation"
    assert "At the renewal, " + date_token(RENEWAL) in confirmation
    assert "A support agent decides now" in confirmation
    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()
    request = await only_request(bot)
    assert request.state is RequestState.AWAITING_APPROVAL
    assert request.deadline == RENEWAL + timedelta(hours=168)  # the next term's window
    assert not request.payload.get("no_refund_acknowledged")

    card = next(m for m in emulator.messages["C0APPROVALS"] if request.ref in m.all_text)
    await slack.action("pipeline_approve", value=str(request.id), user=SAM, message=card)
    await bot.runtime.notifier.settle()
    approved = await pipeline.load(bot.runtime.db, request.id)
    assert approved.state is RequestState.SCHEDULED and approved.decided_by == SAM
    assert "scheduled for the renewal" in dms(emulator, ALICE)

    await settle(bot.runtime)
    assert sandbox.calls("deleteSubscription") == []
    clock.set(RENEWAL + timedelta(seconds=1))
    await settle(bot.runtime)
    await settle(bot.runtime)
    assert len(sandbox.calls("deleteSubscription")) == 1
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.DONE
    subscriptions = sandbox.world.tenants[NORDWIND].subscriptions
    assert not subscriptions[NORDWIND_E3].live
    assert not subscriptions[NORDWIND_E3_AUDIO].live  # the add-on went with it


async def test_a_scheduled_decrease_whose_window_passed_unsent_expires(
    slack, emulator, sandbox, bot, clock, synced
):
    request = await schedule_decrease(slack, emulator, bot, 10)
    clock.set(request.deadline + timedelta(minutes=1))  # the bot was stopped all week
    await settle(bot.runtime)
    await approvals.watch_deadlines(bot.runtime)
    await settle(bot.runtime)
    assert sandbox.calls("changeQuantity") == []
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.EXPIRED
    assert "expired" in dms(emulator, ALICE)
