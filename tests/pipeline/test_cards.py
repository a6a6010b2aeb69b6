"""The confirmation view and the cards: what they say, what they offer in each state, and how
they reach people when Slack is unhappy (429, a channel the bot is not in, an outage, a crash
between claiming and posting a card)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.blocks import date_token
from bot.core.domain import Request, RequestKind, RequestState, RequestStep, StepAction, StepState
from bot.core.ids import PipelineAction, PipelineCallback
from bot.pipeline import cards, news
from bot.pipeline.confirm_view import confirm_view
from bot.pipeline.confirmation import PAYLOAD_KEY, Confirmation, Deadline, Row, confirmation_of
from bot.pipeline.leases import this_process
from bot.pipeline.transitions import load
from store import requests as repo
from tests.conftest import ADA, ALICE, APPROVALS_CHANNEL, SAM, STAFF_CHANNEL
from tests.pipeline.processes import dead_process, parent_process
from tests.pipeline.scenario import (
    approval_card,
    buttons,
    confirmed_cancellation,
    loop,
    status_card,
    stored_cancellation,
)

S = RequestState
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_request(**fields) -> Request:
    values = dict(id=42, kind=RequestKind.SEATS, state=S.QUEUED, requester=ALICE,
                  summary="E3 of Nordwind: 12 → 13", tenant="csp2-nw7k3q.o365.ovh",
                  subscription_id=480101, created_at=NOW, updated_at=NOW)
    values.update(fields)
    return Request(**values)


def step(**fields) -> RequestStep:
    values = dict(id=1, request_id=42, seq=1, action=StepAction.CHANGE_QUANTITY,
                  params={"quantity": 13, "previous_quantity": 12}, state=StepState.PENDING)
    values.update(fields)
    return RequestStep(**values)


# --- the confirmation view ------------------------------------------------------------------


def test_confirmation_view_says_what_happens_and_who_decides():
    deadline = NOW + timedelta(days=6)
    content = Confirmation.of(
        "Confirm seats", {"Seats": "12 → 13", "Monthly cost": "€ 20.60 → € 22.32"},
        notes=["Seats added now can be removed until the date below."],
        deadlines=[Deadline("Reduction window closes", deadline)],
    )
    view = confirm_view(make_request(needs_approval=True), content).to_dict()
    assert view["callback_id"] == PipelineCallback.CONFIRM
    assert view["private_metadata"] == "42"
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Confirm seats", "Confirm", "Back",
    )
    text = str(view["blocks"])
    assert "*Seats*\\n12 → 13" in text and "€ 20.60 → € 22.32" in text
    assert date_token(deadline) in text and "Reduction window closes" in text
    assert "A support agent must approve" in text


def test_confirmation_without_approval_says_it_is_sent_at_once():
    content = Confirmation.of("Confirm seats", [("Seats", "12 → 13")])
    text = str(confirm_view(make_request(), content).to_dict()["blocks"])
    assert "No approval is needed" in text


def test_a_confirmation_takes_the_words_of_a_policy_decision():
    from bot.policy import Decision

    deadline = NOW + timedelta(hours=100)
    decision = Decision.allow(notes=["Prorated refund."], deadline=deadline, needs_approval=True)
    content = Confirmation.of("Confirm cancellation", {"Seats": "2 → 0"}, decision=decision)
    assert content.notes == ("Prorated refund.",)
    assert content.deadlines == (Deadline("Deadline", deadline),)
    assert "support agent" in content.approvers


def test_many_rows_stay_within_slacks_ten_fields_per_section():
    rows = tuple(Row(f"Line {i}", "1 seat") for i in range(25))
    content = Confirmation("Confirm order", rows=rows)
    blocks = confirm_view(make_request(), content).to_dict()["blocks"]
    fields = [len(b["fields"]) for b in blocks if b.get("fields")]
    assert fields == [10, 10, 5]


def test_a_title_longer_than_slack_allows_is_a_programming_error():
    with pytest.raises(ValueError):
        Confirmation("Confirm the cancellation now")


def test_the_confirmation_is_kept_with_the_request_for_the_cards():
    content = Confirmation.of(
        "Confirm", {"Seats": "1 → 2"}, notes=["n"],
        deadlines=[Deadline("Window", NOW)], approvers="Support",
    )
    request = make_request(payload={PAYLOAD_KEY: content.to_payload()})
    assert confirmation_of(request) == content
    assert confirmation_of(make_request(payload={PAYLOAD_KEY: {"rows": 3}})) is None


# --- the cards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (S.AWAITING_APPROVAL, [PipelineAction.WITHDRAW]),
        (S.FAILED, [PipelineAction.RETRY]),
        (S.NEEDS_ATTENTION, [PipelineAction.RESOLVE_HAPPENED,
                             PipelineAction.RESOLVE_DID_NOT_HAPPEN]),
        (S.QUEUED, []),
        (S.RUNNING, []),
        (S.DONE, []),
        (S.REJECTED, []),
    ],
)
def test_status_card_offers_what_can_be_done_in_each_state(state, expected):
    card = cards.status_card(make_request(state=state), [step()], NOW)
    actions = [e["action_id"] for b in card.blocks_json() if b["type"] == "actions"
               for e in b["elements"]]
    assert actions == expected
    assert all(e.get("confirm") for b in card.blocks_json() if b["type"] == "actions"
               for e in b["elements"])


def test_status_card_shows_steps_line_by_line_and_the_providers_error():
    request = make_request(state=S.FAILED, error="Quantity can't be decreased",
                           error_query_id="EU.ext-3.6312a2f0")
    steps = [
        step(state=StepState.DONE, provider_task_id=9001),
        step(id=2, seq=2, action=StepAction.ADD_SUBSCRIPTION,
             params={"license_id": 7, "quantity": 3}, state=StepState.FAILED,
             error="800090 <refused>", provider_query_id="EU.q-2"),
    ]
    text = str(cards.status_card(request, steps, NOW).blocks_json())
    assert "1. Set the total to 13 seats" in text and "task 9001" in text
    assert "2. Add license 7 × 3" in text and "800090 &lt;refused&gt;" in text
    assert "EU.q-2" in text
    assert "Quantity can't be decreased" in text and "EU.ext-3.6312a2f0" in text
    assert f"as of {date_token(NOW)}" in text


def test_order_steps_are_named_from_the_lines_of_the_payload_with_the_id_as_fallback():
    lines = [
        {"license_id": 10021, "license_name": "Office 365 E3", "quantity": 5},
        {"license_id": 10040, "license_name": "Microsoft Teams Audio Conferencing",
         "quantity": 2, "parent_subscription_id": 480101},
    ]
    request = make_request(kind=RequestKind.ORDER, payload={"lines": lines})
    steps = [
        step(action=StepAction.ADD_SUBSCRIPTION, params={"license_id": 10021, "quantity": 5}),
        step(id=2, seq=2, action=StepAction.ORDER_ADDON,
             params={"parent_subscription_id": 480101, "license_id": 10040, "quantity": 2}),
        step(id=3, seq=3, action=StepAction.ADD_SUBSCRIPTION,
             params={"license_id": 10099, "quantity": 1}),  # a line the payload does not name
        step(id=4, seq=4, action=StepAction.ORDER_ADDON,
             params={"parent_subscription_id": 480101, "license_id": 10098, "quantity": 1}),
    ]
    text = cards.steps_text(request, steps)
    assert "1. Add Office 365 E3 × 5" in text
    assert "2. Add Microsoft Teams Audio Conferencing × 2 on subscription 480101" in text
    assert "3. Add license 10099 × 1" in text
    assert "4. Add add-on 10098 × 1 on subscription 480101" in text


def test_requester_news_only_for_decisions_and_endings():
    approved = make_request(state=S.QUEUED, decided_by=SAM, decided_at=NOW)
    assert "approved by" in news.requester_news(approved, S.AWAITING_APPROVAL).text
    assert news.requester_news(approved, S.DRAFT) is None  # confirmed without approval
    assert news.requester_news(approved, S.RUNNING) is None  # a transient retry
    assert news.requester_news(make_request(state=S.RUNNING), S.QUEUED) is None
    failed = make_request(state=S.FAILED, error="boom", error_query_id="q-1")
    assert "boom" in news.requester_news(failed, S.RUNNING).text
    assert "q-1" in news.requester_news(failed, S.RUNNING).text
    assert news.requester_news(make_request(state=S.WITHDRAWN), S.AWAITING_APPROVAL) is None


# --- Slack being Slack ----------------------------------------------------------------------


async def test_a_429_on_chat_update_is_waited_out_and_the_card_still_changes(
    bot, slack, emulator
):
    await bot.runtime.roles.grant(SAM, "support", by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)
    emulator.rate_limit("chat.update", retry_after=1)
    started = time.monotonic()
    reply = await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                               message=approval)
    assert reply.status == 200
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured, not hammered
    updates = [c for c in emulator.calls_of("chat.update") if c["ts"] == approval.ts]
    assert len(updates) == 2  # the 429, then the retry that landed
    assert buttons(approval) == [] and "Approved by" in approval.all_text


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
async def test_a_card_the_bot_cannot_post_in_the_channel_goes_to_the_requesters_dm(
    bot, slack, emulator, error
):
    await bot.runtime.roles.grant(SAM, "support", by=ADA)
    emulator.fail("chat.postMessage", error)
    request = await confirmed_cancellation(bot, slack, emulator)
    assert request.card_channel == f"D{ALICE}" and request.origin_channel == STAFF_CHANNEL
    assert emulator.messages[STAFF_CHANNEL] == []
    card = status_card(emulator, request)
    assert f"I can't post in <#{STAFF_CHANNEL}>" in card.all_text
    assert emulator.calls_of("conversations.open")[0]["users"] == ALICE

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    await bot.runtime.notifier.settle()
    assert "Queued" in card.all_text and f"I can't post in <#{STAFF_CHANNEL}>" in card.all_text


async def test_cards_slack_never_got_are_posted_by_the_repair_loop_once(bot, slack, emulator):
    emulator.fail("chat.postMessage", "internal_error")  # the status card's post fails
    request = await confirmed_cancellation(bot, slack, emulator)
    assert request.card_ts is None and emulator.messages[STAFF_CHANNEL] == []
    assert request.approval_ts is not None

    cards_loop = loop(bot, "cards")
    assert await cards_loop.run_once() == 1
    assert await cards_loop.run_once() == 0
    request = await load(bot.runtime.db, request.id)
    assert len(emulator.messages[STAFF_CHANNEL]) == 1
    assert "Waiting for a support agent" in status_card(emulator, request).all_text
    assert len(emulator.messages[APPROVALS_CHANNEL]) == 1


async def test_a_card_whose_update_slack_refused_is_redrawn_by_the_repair_loop_once(
    bot, slack, emulator
):
    await bot.runtime.roles.grant(SAM, "support", by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)
    emulator.fail("chat.update", "internal_error", times=3)  # every update of the decision
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval)  # fmt: skip
    await bot.runtime.notifier.settle()
    request = await load(bot.runtime.db, request.id)
    assert "Waiting for a support agent" in status_card(emulator, request).all_text  # behind

    cards_loop = loop(bot, "cards")
    assert await cards_loop.run_once() == 1
    assert await cards_loop.run_once() == 0
    assert "Queued" in status_card(emulator, request).all_text
    assert buttons(approval) == [] and "Approved by" in approval.all_text


async def test_a_claim_left_by_a_crashed_poster_is_taken_over_but_a_fresh_one_is_not(
    bot, slack, emulator, clock
):
    request = await stored_cancellation(bot.runtime)
    async with bot.runtime.db.transaction() as session:
        fresh = f"{repo.CARD_CLAIM_PREFIX}{int(clock.now().timestamp())}:other"
        await repo.claim_card(session, request.id, "card", fresh)
    cards_loop = loop(bot, "cards")
    await cards_loop.run_once()
    assert emulator.messages[STAFF_CHANNEL] == []  # somebody is posting it: leave it
    assert len(emulator.messages[APPROVALS_CHANNEL]) == 1

    clock.advance(minutes=3)
    await cards_loop.run_once()
    await cards_loop.run_once()
    assert len(emulator.messages[STAFF_CHANNEL]) == 1
    assert cards.is_posted((await load(bot.runtime.db, request.id)).card_ts)


@pytest.mark.skipif(this_process().namespace is None, reason="needs Linux /proc")
async def test_a_claim_of_a_process_that_is_gone_is_taken_over_at_once(bot, slack, emulator, clock):
    """A bot killed while it posted a card leaves its claim; restarted, it posts the card at
    once instead of waiting out the claim (a live poster's claim is left alone)."""
    live = await stored_cancellation(bot.runtime)
    gone = await stored_cancellation(bot.runtime)
    now = int(clock.now().timestamp())
    async with bot.runtime.db.transaction() as session:
        for request, poster in ((live, parent_process()), (gone, dead_process())):
            await repo.update_fields(session, request.id, {"state": "awaiting_approval"})
            marker = f"{repo.CARD_CLAIM_PREFIX}{now}:1a2b:{poster.key}"
            await repo.claim_card(session, request.id, "card", marker)
    await loop(bot, "cards").run_once()

    assert not cards.is_posted((await load(bot.runtime.db, live.id)).card_ts)
    assert cards.is_posted((await load(bot.runtime.db, gone.id)).card_ts)
    assert len(emulator.messages[STAFF_CHANNEL]) == 1


async def test_retry_from_a_failed_card_queues_it_again(bot, slack, emulator):
    request = await stored_cancellation(bot.runtime, "failed")
    async with bot.runtime.db.transaction() as session:
        await repo.update_fields(session, request.id, {"error": "Service unavailable"})
    await bot.runtime.notifier.refresh(request.id)
    request = await load(bot.runtime.db, request.id)
    card = status_card(emulator, request)
    assert buttons(card) == [PipelineAction.RETRY] and "Service unavailable" in card.all_text

    await slack.action(PipelineAction.RETRY, value=str(request.id), user=ALICE, message=card)
    await bot.runtime.notifier.settle()
    assert (await load(bot.runtime.db, request.id)).state is S.QUEUED
    assert buttons(card) == []
