"""Confirmation and approval as people live them: Confirm in the modal, the status card where
the command ran, the approval card with Approve / Reject, the buttons replaced at once, the
requester told — and every double click and race with exactly one effect."""

from __future__ import annotations

import asyncio

from bot.core.domain import RequestState, Role
from bot.core.ids import PipelineAction, PipelineBlock, PipelineCallback
from bot.pipeline.transitions import confirmed_request, load, load_draft
from bot.provider.sandbox_data import BELLAVISTA, BELLAVISTA_E5
from bot.slack.access import anyone
from store import requests as repo
from tests.conftest import ADA, ALICE, APPROVALS_CHANNEL, BOB, SAM, STAFF_CHANNEL, SUE
from tests.pipeline.scenario import (
    approval_card,
    buttons,
    confirmed_cancellation,
    dms,
    draft_cancellation,
    status_card,
    token,
)

S = RequestState


async def transitions(runtime, request_id: int) -> list[tuple[str, str, str]]:
    async with runtime.db.session() as session:
        events = await repo.audit_events(session, request_id=request_id)
    return [(e.before_state, e.after_state, e.actor) for e in events if e.action == "transition"]


async def grant_agents(runtime) -> None:
    for agent in (SAM, SUE):
        await runtime.roles.grant(agent, Role.SUPPORT, by=ADA)


async def test_confirm_closes_the_modal_and_posts_both_cards(bot, slack, emulator):
    request, view = await draft_cancellation(bot.runtime)
    reply = await slack.submit(emulator.open_modal(view.to_dict(), user=ALICE), user=ALICE)
    assert reply.json == {"response_action": "clear"}
    await bot.runtime.notifier.settle()

    request = await confirmed_request(bot.runtime.db, request.id)
    assert request.state is S.AWAITING_APPROVAL
    card = status_card(emulator, request)
    assert card.channel == STAFF_CHANNEL
    assert "Waiting for a support agent's decision" in card.all_text
    assert "Office 365 E5 (480132)" in card.all_text and "2 → 0" in card.all_text
    assert buttons(card) == [PipelineAction.WITHDRAW]

    approval = approval_card(emulator)
    assert (approval.channel, approval.ts) == (request.approval_channel, request.approval_ts)
    assert f"<@{ALICE}>" in approval.all_text
    assert f"Decide before {token(request.deadline)}" in approval.all_text
    assert "The refund is prorated by day." in approval.all_text
    assert buttons(approval) == [PipelineAction.APPROVE, PipelineAction.REJECT]
    approve = next(b for b in approval.blocks if b["type"] == "actions")["elements"][0]
    assert approve["confirm"]["confirm"]["text"] == "Approve"  # Slack's confirm dialog
    assert dms(emulator, ALICE) == []  # nothing to tell the requester yet


async def test_double_confirm_sends_one_request_and_says_already_submitted(bot, slack, emulator):
    request, view = await draft_cancellation(bot.runtime)
    stored = emulator.open_modal(view.to_dict(), user=ALICE)
    first, second = await asyncio.gather(
        slack.submit(stored, user=ALICE), slack.submit(stored, user=ALICE)
    )
    answers = sorted([first.json["response_action"], second.json["response_action"]])
    assert answers == ["clear", "update"]
    notice = first if first.json["response_action"] == "update" else second
    assert "already submitted" in str(notice.json["view"])
    third = await slack.submit(stored, user=ALICE, redelivered=True)  # the modal is closed
    assert "already submitted" in str(third.json["view"])
    await bot.runtime.notifier.settle()
    request = await confirmed_request(bot.runtime.db, request.id)
    assert await transitions(bot.runtime, request.id) == [("draft", "awaiting_approval", ALICE)]
    assert len(emulator.messages[STAFF_CHANNEL]) == 1
    assert len(emulator.messages[APPROVALS_CHANNEL]) == 1


async def test_only_the_requester_can_confirm_a_draft(bot, slack, emulator):
    request, view = await draft_cancellation(bot.runtime)
    reply = await slack.submit(emulator.open_modal(view.to_dict(), user=BOB), user=BOB)
    assert reply.json["response_action"] == "update"
    assert "Only the person who prepared this request" in str(reply.json["view"])
    assert (await load_draft(bot.runtime.db, request.id)).request_id is None


async def test_approve_replaces_the_buttons_at_once_then_the_worker_runs_it(
    bot, slack, emulator, sandbox
):
    await grant_agents(bot.runtime)
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)

    reply = await slack.action(
        PipelineAction.APPROVE, value=str(request.id), user=SAM, message=approval,
        block_id=PipelineBlock.DECISION,
    )
    assert reply.status == 200
    # replaced before the click's answer: no button left for a second click
    assert buttons(approval) == []
    assert f"Approved by <@{SAM}>" in approval.all_text

    await bot.runtime.notifier.settle()
    request = await load(bot.runtime.db, request.id)
    assert request.state is S.QUEUED and request.decided_by == SAM
    card = status_card(emulator, request)
    assert "Queued" in card.all_text and f"Approved by <@{SAM}>" in card.all_text
    assert buttons(card) == []
    (dm,) = dms(emulator, ALICE)
    assert f"was approved by <@{SAM}>" in dm.all_text
    assert request.card_ts.replace(".", "") in dm.all_text  # a link to the card

    await bot.runtime.worker.run_once()
    await bot.runtime.worker.run_once()
    await bot.runtime.notifier.settle()
    assert len(sandbox.calls("deleteSubscription")) == 1
    assert BELLAVISTA_E5 not in await sandbox.list_subscriptions(BELLAVISTA)
    request = await load(bot.runtime.db, request.id)
    assert request.state is S.DONE
    assert ":white_check_mark: Done" in status_card(emulator, request).all_text
    assert "is done" in dms(emulator, ALICE)[-1].all_text
    assert "Now: done" in approval.all_text


async def test_double_approve_has_one_effect_and_tells_the_second_click(bot, slack, emulator):
    await grant_agents(bot.runtime)
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)

    async def click(user):
        return await slack.action(
            PipelineAction.APPROVE, value=str(request.id), user=user, message=approval
        )

    await asyncio.gather(click(SAM), click(SUE), click(SAM))
    await bot.runtime.notifier.settle()
    moves = await transitions(bot.runtime, request.id)
    assert [(b, a) for b, a, _ in moves] == [
        ("draft", "awaiting_approval"), ("awaiting_approval", "queued"),
    ]
    winner = moves[-1][2]
    told = [p["text"] for p in emulator.calls_of("response_url")]
    assert len(told) == 2
    assert all(f"already approved by <@{winner}>" in t for t in told), told
    assert len(dms(emulator, ALICE)) == 1


async def test_approve_and_reject_racing_have_exactly_one_effect(bot, slack, emulator):
    await grant_agents(bot.runtime)
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)
    await slack.action(PipelineAction.REJECT, value=str(request.id), user=SUE, message=approval)
    assert len(emulator.calls_of("views.open")) == 1
    modal = emulator.top_modal(SUE)
    assert modal["callback_id"] == PipelineCallback.REJECT

    _approved, rejected = await asyncio.gather(
        slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=approval),
        slack.submit(modal, {PipelineBlock.REJECT_REASON: "Customer changed their mind"},
                     user=SUE),
    )
    await bot.runtime.notifier.settle()
    final = await load(bot.runtime.db, request.id)
    assert final.state in (S.QUEUED, S.REJECTED)
    assert len(await transitions(bot.runtime, request.id)) == 2
    if final.state is S.QUEUED:
        assert "already approved by" in rejected.json["view"]["blocks"][0]["text"]["text"]
        assert f"Approved by <@{SAM}>" in approval.all_text
    else:
        assert rejected.json == {} or rejected.body == ""
        (told,) = emulator.calls_of("response_url")
        assert f"already rejected by <@{SUE}>" in told["text"]
        assert f"Rejected by <@{SUE}>" in approval.all_text
    assert buttons(approval) == []
    assert len(dms(emulator, ALICE)) == 1


async def test_reject_asks_for_a_reason_and_tells_the_requester(bot, slack, emulator):
    await grant_agents(bot.runtime)
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)
    await slack.action(PipelineAction.REJECT, value=str(request.id), user=SAM, message=approval)
    modal = emulator.top_modal(SAM)

    blank = await slack.submit(modal, {PipelineBlock.REJECT_REASON: "   "}, user=SAM)
    assert blank.errors == {PipelineBlock.REJECT_REASON: blank.errors[PipelineBlock.REJECT_REASON]}
    assert "Say why" in blank.errors[PipelineBlock.REJECT_REASON]
    assert (await load(bot.runtime.db, request.id)).state is S.AWAITING_APPROVAL

    done = await slack.submit(modal, {PipelineBlock.REJECT_REASON: "Wrong <customer> & tenant"},
                              user=SAM)
    assert done.status == 200 and done.body in ("", "{}")
    assert buttons(approval) == []
    assert "Rejected by" in approval.all_text and "Wrong &lt;customer&gt; &amp; tenant" in (
        approval.all_text
    )
    await bot.runtime.notifier.settle()
    request = await load(bot.runtime.db, request.id)
    assert request.state is S.REJECTED and request.decision_note == "Wrong <customer> & tenant"
    (dm,) = dms(emulator, ALICE)
    assert "was rejected by" in dm.all_text and "Wrong &lt;customer&gt;" in dm.all_text
    assert "Rejected" in status_card(emulator, request).all_text


async def test_nobody_decides_on_their_own_request(bot, slack, emulator):
    await bot.runtime.roles.grant(ALICE, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=ALICE,
                       message=approval)
    await slack.action(PipelineAction.REJECT, value=str(request.id), user=ALICE,
                       message=approval)
    told = [p["text"] for p in emulator.calls_of("response_url")]
    assert len(told) == 2 and all("can't decide on your own request" in t for t in told)
    assert emulator.calls_of("views.open") == []
    assert (await load(bot.runtime.db, request.id)).state is S.AWAITING_APPROVAL
    assert buttons(approval) == [PipelineAction.APPROVE, PipelineAction.REJECT]


async def test_staff_cannot_decide_but_an_admin_can(bot, slack, emulator):
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=BOB, message=approval)
    (told,) = emulator.calls_of("response_url")
    assert "Only support agents can approve or reject" in told["text"]
    assert (await load(bot.runtime.db, request.id)).state is S.AWAITING_APPROVAL

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=ADA, message=approval)
    assert (await load(bot.runtime.db, request.id)).state is S.QUEUED


async def test_the_requester_withdraws_from_the_status_card(bot, slack, emulator):
    await grant_agents(bot.runtime)
    request = await confirmed_cancellation(bot, slack, emulator)
    card = status_card(emulator, request)
    approval = approval_card(emulator)

    await slack.action(PipelineAction.WITHDRAW, value=str(request.id), user=BOB, message=card)
    assert "Only the requester can withdraw" in emulator.calls_of("response_url")[-1]["text"]

    await slack.action(PipelineAction.WITHDRAW, value=str(request.id), user=ALICE, message=card)
    assert buttons(approval) == [] and "Withdrawn by" in approval.all_text
    await bot.runtime.notifier.settle()
    assert (await load(bot.runtime.db, request.id)).state is S.WITHDRAWN
    assert buttons(card) == [] and "Withdrawn" in card.all_text

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval)
    assert "was withdrawn by the requester" in emulator.calls_of("response_url")[-1]["text"]
    assert dms(emulator, ALICE) == []  # they did it themselves


async def test_a_flow_pushes_the_confirmation_on_its_form_and_back_keeps_the_form(
    bot, slack, emulator
):
    """How every flow uses the pipeline: its form's submission stores a draft with its
    Confirmation (`prepare`) and answers `push`; Slack's Back pops to the form."""
    from slack_sdk.models.blocks import InputBlock, PlainTextInputElement
    from slack_sdk.models.views import View

    from bot.core.domain import RequestKind, StepAction
    from bot.pipeline.confirmation import Confirmation, prepare
    from bot.pipeline.transitions import DraftSpec, StepSpec
    from handlers.router import Subcommand

    async def open_form(call):
        await call.ack()
        await call.client.views_open(trigger_id=call.trigger_id, view=View(
            type="modal", callback_id="test_seats_form", private_metadata=call.channel_id,
            title={"type": "plain_text", "text": "Seats"},
            submit={"type": "plain_text", "text": "Review"},
            blocks=[InputBlock(block_id="seats", label="New total",
                               element=PlainTextInputElement(action_id="seats"))],
        ))

    async def submit_form(ack, body, view, context):
        total = view["state"]["values"]["seats"]["seats"]["value"]
        _request, confirmation = await prepare(context["runtime"].db, DraftSpec(
            kind=RequestKind.SEATS, requester=body["user"]["id"], summary=f"E3: 12 → {total}",
            payload={"new_total": int(total)}, tenant="t", subscription_id=480101,
            steps=[StepSpec(StepAction.CHANGE_QUANTITY,
                            {"quantity": int(total), "previous_quantity": 12})],
            origin_channel=view["private_metadata"],
        ), Confirmation.of("Confirm seats", {"Seats": f"12 → {total}"}))
        await ack(response_action="push", view=confirmation)

    bot.bolt.router.add(Subcommand("testseats", "test", "/csp testseats", open_form,
                               access=anyone("a test subcommand")))
    bot.bolt.view("test_seats_form")(submit_form)

    await slack.command("testseats", user=ALICE, channel=STAFF_CHANNEL)
    form = emulator.top_modal(ALICE)
    pushed = await slack.submit(form, {"seats": "13"}, user=ALICE)
    assert pushed.json["response_action"] == "push"
    confirmation = pushed.view
    assert confirmation["callback_id"] == PipelineCallback.CONFIRM
    assert (confirmation["submit"]["text"], confirmation["close"]["text"]) == ("Confirm", "Back")
    assert "12 → 13" in str(confirmation["blocks"])

    done = await slack.submit(confirmation, user=ALICE)
    assert done.json == {"response_action": "clear"}
    await bot.runtime.notifier.settle()
    request = await confirmed_request(bot.runtime.db, int(confirmation["private_metadata"]))
    assert request.state is S.QUEUED and request.card_channel == STAFF_CHANNEL
    assert "12 → 13" in status_card(emulator, request).all_text
