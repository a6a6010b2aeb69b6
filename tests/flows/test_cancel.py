"""Cancellations end to end: `/csp cancel` → a support agent decides → the subscription is deleted
once, through the Slack emulator, the pipeline and the sandbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.blocks import date_token
from bot.core.domain import RequestKind, RequestState
from bot.core.ids import (
    BlockId,
    CancelBlock,
    HomeAction,
    SubscriptionAction,
    SubscriptionChoiceBlock,
)
from bot.pipeline import approvals
from bot.pipeline import transitions as pipeline
from bot.pipeline.notify import post_missing_cards
from bot.pipeline.worker import Worker
from bot.provider.base import BadParameters
from bot.provider.sandbox_data import (
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    NORDWIND_E3_AUDIO,
)
from store import cache
from store import requests as repo
from tests.conftest import (
    ALICE,
    APPROVALS_CHANNEL,
    BOB,
    SAM,
    STAFF_CHANNEL,
    SUE,
    postgres_database,
)
from tests.flows.conftest import latest_view, open_modal, settle
from tests.slack_emulator import Message, blocks_text

SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"
ACK_BOTH = f"{CancelBlock.ACKNOWLEDGE}.no_refund.at_renewal.addons"


def form_values(subscription: int, **more) -> dict:
    return {BlockId.TENANT: NORDWIND, SUBSCRIPTION: subscription,
            CancelBlock.REASON: "not_needed",
            CancelBlock.DETAILS: "Femke asked on 2 November: the interns left.", **more}


def block_ids(view: dict) -> list[str]:
    return [b.get("block_id") for b in view["blocks"]]


async def only_request(bot):
    async with bot.runtime.db.session() as session:
        (row,) = await repo.recent_requests(session)
    return await pipeline.load(bot.runtime.db, row.id)


async def cached(bot, subscription_id: int):
    async with bot.runtime.db.session() as session:
        return await cache.get_subscription(session, subscription_id)


def dms(emulator, user: str) -> str:
    return "\n".join(m.all_text for m in emulator.messages[f"D{user}"])


async def request_cancellation(slack, emulator, bot, subscription=NORDWIND_BASIC, user=ALICE,
                               **values):
    """From the command to the confirmed request: the request, awaiting a decision."""
    form = await open_modal(slack, emulator, f"/csp cancel nordwind {subscription}", user=user)
    reply = await slack.submit(form, form_values(subscription, **values), user=user)
    assert reply.view is not None, reply.errors
    await slack.submit(reply.view, user=user)
    await bot.runtime.notifier.settle()
    return await only_request(bot)


async def click(slack, bot, action: str, request, user: str, channel: str = APPROVALS_CHANNEL):
    card = next(m for m in slack.emulator.messages[channel] if str(request.id) in m.all_text)
    reply = await slack.action(action, value=str(request.id), user=user, message=card)
    await bot.runtime.notifier.settle()
    return reply


def told(emulator, user: str) -> str:
    """What a person was told on the side: ephemerals and response_url answers."""
    said = [m.text for m in emulator.ephemerals(user)]
    said += [p.get("text", "") for ps in emulator.response_urls.values() for p in ps]
    return "\n".join(said)


# --- the modal ----------------------------------------------------------------------------------


async def test_the_modal_asks_for_a_reason_and_shows_the_window(slack, emulator, sandbox, synced):
    sandbox.clear_calls()
    view = await open_modal(slack, emulator, "/csp cancel nordwind 480103")
    assert sandbox.call_log == []
    assert view["callback_id"] == "cancel_form"
    text = blocks_text(view["blocks"])
    assert "Microsoft 365 Business Basic" in text and "25 seats" in text
    assert "Cancellation window open until" in text
    assert CancelBlock.REASON in block_ids(view) and CancelBlock.DETAILS in block_ids(view)
    assert not [b for b in block_ids(view) if b and b.startswith(CancelBlock.ACKNOWLEDGE)]

    reply = await slack.submit(view, {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_BASIC})
    assert set(reply.errors) == {CancelBlock.REASON, CancelBlock.DETAILS}


async def test_past_the_window_with_add_ons_it_asks_for_both_acknowledgements(
    slack, emulator, bot, synced
):
    view = await open_modal(slack, emulator, "/csp cancel 480101")
    text = blocks_text(view["blocks"])
    assert "Cancellation window closed" in text
    assert "Microsoft Teams Audio Conferencing (5 seats)" in text
    assert ACK_BOTH in block_ids(view)

    reply = await slack.submit(view, form_values(NORDWIND_E3))
    assert "Microsoft gives no refund" in reply.errors[ACK_BOTH]
    reply = await slack.submit(view, form_values(NORDWIND_E3, **{ACK_BOTH: ["no_refund"]}))
    assert "add-ons are cancelled with it" in reply.errors[ACK_BOTH]

    reply = await slack.submit(view, form_values(NORDWIND_E3,
                                                 **{ACK_BOTH: ["no_refund", "addons"]}))
    confirmation = blocks_text(reply.view["blocks"])
    assert "*All 12 licenses*, at once and for good" in confirmation
    assert "None: the cancellation window has closed" in confirmation
    assert "Add-ons cancelled too" in confirmation
    assert "no deadline" in confirmation


async def test_a_row_menu_and_app_home_open_the_modal(slack, emulator, synced):
    listing = await slack.command("subs nordwind")
    message = Message(STAFF_CHANNEL, "1700000000.000100", "", listing.json["blocks"])
    await slack.action(SubscriptionAction.MENU, action_type="overflow", message=message,
                       selected=f"{SubscriptionAction.CANCEL}:{NORDWIND_BASIC}")
    view = latest_view(emulator)
    assert view["callback_id"] == "cancel_form"
    assert "25 seats" in blocks_text(view["blocks"])
    await slack.action(HomeAction.CANCEL)
    assert latest_view(emulator)["callback_id"] == "cancel_form"


# --- request, decide, delete once -------------------------------------------------------------


@pytest.fixture
async def database_url(request, tmp_path):
    """SQLite, unless a test asks for PostgreSQL (`indirect` parametrization)."""
    if getattr(request, "param", "sqlite") == "postgres":
        async with postgres_database() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path}/csp-bot.db"


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_approved_it_is_deleted_exactly_once_despite_double_clicks_and_two_workers(
    slack, emulator, sandbox, bot, synced, agents
):
    form = await open_modal(slack, emulator, "/csp cancel nordwind 480103")
    reply = await slack.submit(form, form_values(NORDWIND_BASIC))
    confirmation = blocks_text(reply.view["blocks"])
    assert "*All 25 licenses*, at once and for good" in confirmation
    # 25 × 5.60 EUR for a month that started 2 days and 3 hours ago: 27 of 30 days come back
    assert "≈ 126.00 EUR if approved on" in confirmation
    assert "Cancellation window closes" in confirmation
    assert "Femke asked on 2 November" in confirmation
    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()

    request = await only_request(bot)
    assert (request.kind, request.state) == (RequestKind.CANCEL, RequestState.AWAITING_APPROVAL)
    assert request.deadline == (await cached(bot, NORDWIND_BASIC)).creation_date + timedelta(
        hours=168)
    steps = await pipeline.load_steps(bot.runtime.db, request.id)
    assert [(s.action, s.params) for s in steps] == [
        ("delete_subscription", {"subscription_id": NORDWIND_BASIC})
    ]
    card = emulator.last_message(APPROVALS_CHANNEL).all_text
    assert "Decide before" in card and "126.00 EUR" in card

    await asyncio.gather(*(click(slack, bot, "pipeline_approve", request, user)
                           for user in (SAM, SAM, SUE)))
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.QUEUED
    one, two = Worker(bot.runtime, worker_id="a"), Worker(bot.runtime, worker_id="b")
    for _ in range(3):
        await asyncio.gather(one.run_once(), two.run_once())
    await bot.runtime.notifier.settle()

    assert len(sandbox.calls("deleteSubscription")) == 1
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.DONE
    assert await cached(bot, NORDWIND_BASIC) is None  # the cache forgot it
    card = next(m for m in emulator.messages[STAFF_CHANNEL] if f"R{request.id}" in m.all_text)
    assert "Done" in card.all_text
    assert "is done" in dms(emulator, ALICE)
    assert "approved by" in dms(emulator, ALICE)


async def test_rejected_with_a_reason(slack, emulator, sandbox, bot, synced, agents):
    request = await request_cancellation(slack, emulator, bot)
    await click(slack, bot, "pipeline_reject", request, SAM)
    reject_form = latest_view(emulator)
    await slack.submit(reject_form, {"pipeline_reject_reason": "Refund first, then cancel."},
                       user=SAM)
    await bot.runtime.notifier.settle()
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.REJECTED
    assert "Reason: Refund first, then cancel." in dms(emulator, ALICE)
    await settle(bot.runtime)
    assert sandbox.calls("deleteSubscription") == []


async def test_withdrawn_by_the_requester(slack, emulator, sandbox, bot, synced, agents):
    request = await request_cancellation(slack, emulator, bot)
    await click(slack, bot, "pipeline_withdraw", request, ALICE, channel=STAFF_CHANNEL)
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.WITHDRAWN
    await click(slack, bot, "pipeline_approve", request, SAM)
    await settle(bot.runtime)
    assert sandbox.calls("deleteSubscription") == []


@pytest.mark.parametrize(
    ("requester", "decider", "words"),
    [(SAM, SAM, "own request"), (ALICE, BOB, "Only support agents")],
    ids=["self-approval", "not a support agent"],
)
async def test_who_may_not_approve(slack, emulator, sandbox, bot, synced, agents, requester,
                                   decider, words):
    request = await request_cancellation(slack, emulator, bot, user=requester)
    await click(slack, bot, "pipeline_approve", request, decider)
    assert words in told(emulator, decider)
    assert (await pipeline.load(bot.runtime.db, request.id)).state is (
        RequestState.AWAITING_APPROVAL
    )
    await settle(bot.runtime)
    assert sandbox.calls("deleteSubscription") == []


async def test_it_expires_when_the_window_closes_before_a_decision(
    slack, emulator, sandbox, bot, clock, synced, agents
):
    request = await request_cancellation(slack, emulator, bot)
    clock.set(request.deadline + timedelta(seconds=1))
    await approvals.watch_deadlines(bot.runtime)
    await bot.runtime.notifier.settle()
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.EXPIRED
    assert "expired" in dms(emulator, ALICE)
    await click(slack, bot, "pipeline_approve", request, SAM)
    await settle(bot.runtime)
    assert sandbox.calls("deleteSubscription") == []


async def test_acknowledged_no_refund_does_not_expire(slack, emulator, sandbox, bot, clock,
                                                      synced, agents):
    request = await request_cancellation(
        slack, emulator, bot, NORDWIND_E3, **{ACK_BOTH: ["no_refund", "addons"]}
    )
    assert request.payload["no_refund_acknowledged"] is True
    clock.advance(days=30)
    await approvals.watch_deadlines(bot.runtime)
    assert (await pipeline.load(bot.runtime.db, request.id)).state is (
        RequestState.AWAITING_APPROVAL
    )
    await click(slack, bot, "pipeline_approve", request, SAM)
    await settle(bot.runtime)
    assert len(sandbox.calls("deleteSubscription")) == 1
    assert await cached(bot, NORDWIND_E3) is None
    assert await cached(bot, NORDWIND_E3_AUDIO) is None  # the add-on went with it


async def test_a_provider_error_fails_the_request_and_a_person_retries(
    slack, emulator, sandbox, bot, synced, agents
):
    request = await request_cancellation(slack, emulator, bot)
    sandbox.faults.set(fail_next=[("deleteSubscription", BadParameters(
        "Subscription 480103 cannot be deleted now", status=400,
        error_class="Client::BadRequest", query_id="EU.ext-3.6aa1b2"))])
    await click(slack, bot, "pipeline_approve", request, SAM)
    await settle(bot.runtime)
    failed = await pipeline.load(bot.runtime.db, request.id)
    assert failed.state is RequestState.FAILED
    assert "cannot be deleted now" in failed.error
    card = next(m for m in emulator.messages[STAFF_CHANNEL] if f"R{request.id}" in m.all_text)
    assert "cannot be deleted now" in card.all_text
    assert "cannot be deleted now" in dms(emulator, ALICE)

    await click(slack, bot, "pipeline_retry", request, ALICE, channel=STAFF_CHANNEL)
    await settle(bot.runtime)
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.DONE
    assert len(sandbox.calls("deleteSubscription")) == 2  # refused once, then done
    assert await cached(bot, NORDWIND_BASIC) is None


async def test_approvers_are_reminded_before_the_window_closes(slack, emulator, bot, clock,
                                                               synced, agents):
    request = await request_cancellation(slack, emulator, bot)
    card = emulator.last_message(APPROVALS_CHANNEL)
    clock.set(request.deadline - timedelta(hours=3))
    await approvals.watch_deadlines(bot.runtime)
    await approvals.watch_deadlines(bot.runtime)  # once only
    reminders = [m for m in emulator.messages[APPROVALS_CHANNEL] if m.thread_ts == card.ts]
    assert len(reminders) == 1
    assert f"R{request.id} still needs a decision" in reminders[0].text
    # 23 of the term's 30 days are left now (27 when it was requested): 140.00 EUR × 23/30
    assert "Estimated refund: ≈ 107.33 EUR if approved on" in reminders[0].text


# --- the refund estimate, as of when the approver looks -----------------------------------------


async def test_the_approval_card_estimates_the_refund_as_of_the_decision(
    slack, emulator, sandbox, bot, clock, synced, agents
):
    request = await request_cancellation(slack, emulator, bot)
    card = emulator.last_message(APPROVALS_CHANNEL)
    assert "≈ 126.00 EUR if approved on" in card.all_text  # 27 of 30 days left

    clock.advance(days=2)  # two days' worth of refund gone while nobody decided
    await click(slack, bot, "pipeline_approve", request, SAM)
    shown = emulator.message(APPROVALS_CHANNEL, card.ts).all_text
    assert "≈ 116.67 EUR, as approved on" in shown and "126.00" not in shown  # 25 of 30

    clock.advance(days=1)
    await settle(bot.runtime)  # deleted: the cache forgets the subscription
    assert (await pipeline.load(bot.runtime.db, request.id)).state is RequestState.DONE
    assert await cached(bot, NORDWIND_BASIC) is None
    shown = emulator.message(APPROVALS_CHANNEL, card.ts).all_text
    assert "≈ 116.67 EUR, as approved on" in shown  # the decision's, not today's


async def test_an_approval_card_drawn_later_estimates_the_refund_of_that_day(
    slack, emulator, bot, clock, synced, agents
):
    emulator.fail("chat.postMessage", times=2)  # Slack is down: neither card makes it
    request = await request_cancellation(slack, emulator, bot)
    assert request.approval_ts is None and not emulator.messages.get(APPROVALS_CHANNEL)
    clock.advance(days=1)
    assert await post_missing_cards(bot.runtime) == 1
    card = emulator.last_message(APPROVALS_CHANNEL).all_text
    assert "≈ 121.33 EUR if approved on" in card  # 26 of 30 days left today
    assert date_token(clock.now(), "{date_short}") in card


async def test_the_window_closing_while_the_modal_is_open_is_explained(slack, emulator, clock,
                                                                       synced):
    view = await open_modal(slack, emulator, "/csp cancel nordwind 480103")
    clock.advance(days=6)  # created 2 days 3 hours ago: the window closes in under 5 days
    reply = await slack.submit(view, form_values(NORDWIND_BASIC))
    assert reply.json["response_action"] == "update"  # the same modal, now with the box
    ack = f"{CancelBlock.ACKNOWLEDGE}.no_refund.at_renewal"
    assert ack in block_ids(reply.view)
    assert "closed on" in blocks_text(reply.view["blocks"])
    reply = await slack.submit(reply.view, form_values(NORDWIND_BASIC, **{ack: ["no_refund"]}))
    assert "None: the cancellation window has closed" in blocks_text(reply.view["blocks"])


async def test_the_window_is_said_once_and_an_approved_card_no_longer_speaks_of_expiring(
    slack, emulator, sandbox, bot, synced, agents
):
    request = await request_cancellation(slack, emulator, bot)
    waiting = emulator.last_message(APPROVALS_CHANNEL).all_text
    assert waiting.count("expire") == 1  # what happens if nobody decides, said once
    await click(slack, bot, "pipeline_approve", request, SAM)
    approved = next(m for m in emulator.messages[APPROVALS_CHANNEL]
                    if f"R{request.id}" in m.all_text).all_text
    assert "Approved by" in approved
    assert "expire" not in approved and "nobody approves" not in approved
