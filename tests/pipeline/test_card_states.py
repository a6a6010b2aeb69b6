"""A card per state, as Block Kit JSON: the headline says where the request is, each fact
appears once, "what happens next" only while something will happen, buttons only for what can
be done now, and a done order names what it created.

The JSON of each card is kept in `card_snapshots/`; a change of a card shows as a diff here.
`UPDATE_CARD_SNAPSHOTS=1 pytest tests/pipeline/test_card_states.py` writes them again (look
at the diff, and at the cards in the playground, before committing it).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.domain import Request, RequestKind, RequestState, RequestStep, StepAction, StepState
from bot.core.ids import BrowseAction, PipelineAction, RefundAction
from bot.pipeline.cards import approval_card, status_card
from bot.pipeline.confirmation import PAYLOAD_KEY, Confirmation, Deadline
from tests.slack_emulator import blocks_text

S = RequestState
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SNAPSHOTS = Path(__file__).parent / "card_snapshots"
NEXT = "What happens next: OVHcloud sets the new total; the card follows it."


def seat_change(state: RequestState, **extra) -> Request:
    content = Confirmation.of(
        "Confirm seats",
        {"License group": "Nordwind Logistics B.V.",
         "Subscription": "Office 365 E3 (480101)", "Seats": "12 → *10*"},
        deadlines=[Deadline("Seats removable until", NOW + timedelta(hours=20))],
        notes=["2 seats are refunded pro rata."],
        next_step=NEXT,
    )
    decided = state in (S.QUEUED, S.RUNNING, S.DONE, S.FAILED, S.REJECTED)
    return Request(
        id=8, kind=RequestKind.SEATS, state=state, requester="U0ALICE",
        tenant="csp2-nw7k3q.o365.ovh", subscription_id=480101,
        payload={PAYLOAD_KEY: content.to_payload()}, summary="Seats of Office 365 E3: 12 → 10",
        needs_approval=True, deadline=NOW + timedelta(hours=20),
        decided_by="U0SAM" if decided else None, decided_at=NOW if decided else None,
        created_at=NOW, updated_at=NOW, **extra,
    )  # fmt: skip


def step(state: StepState, **extra) -> RequestStep:
    return RequestStep(id=1, request_id=8, seq=1, action=StepAction.CHANGE_QUANTITY,
                       params={"quantity": 10, "previous_quantity": 12}, state=state, **extra)


CASES = {
    "waiting": (seat_change(S.AWAITING_APPROVAL), [step(StepState.PENDING)]),
    "approved": (seat_change(S.QUEUED), [step(StepState.PENDING)]),
    "running": (seat_change(S.RUNNING), [step(StepState.RUNNING, provider_task_id=77)]),
    "done": (seat_change(S.DONE), [step(StepState.DONE, provider_task_id=77)]),
    "failed": (seat_change(S.FAILED, error="Invalid quantity"),
               [step(StepState.FAILED, error="Invalid quantity")]),
    "rejected": (seat_change(S.REJECTED, decision_note="Not this month"),
                 [step(StepState.PENDING)]),
    "withdrawn": (seat_change(S.WITHDRAWN), [step(StepState.PENDING)]),
    "expired": (seat_change(S.EXPIRED), [step(StepState.PENDING)]),
}


def cards_json(request: Request, steps: list[RequestStep]) -> dict:
    return {"status": status_card(request, steps, NOW).blocks_json(),
            "approval": approval_card(request).blocks_json()}


@pytest.mark.parametrize("name", list(CASES))
def test_each_card_state_matches_its_snapshot(name):
    request, steps = CASES[name]
    shown = cards_json(request, steps)
    path = SNAPSHOTS / f"seats_{name}.json"
    if os.environ.get("UPDATE_CARD_SNAPSHOTS"):
        path.write_text(json.dumps(shown, indent=1, ensure_ascii=False) + "\n")
    assert shown == json.loads(path.read_text()), f"{path.name} changed"


def buttons(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("name", list(CASES))
def test_each_fact_once_and_next_only_while_something_will_happen(name):
    request, steps = CASES[name]
    status = status_card(request, steps, NOW).blocks_json()
    text = blocks_text(status)
    assert text.count("Nordwind Logistics B.V.") == 1
    assert "csp2-nw7k3q.o365.ovh" not in text  # the group is named once, by its name
    assert text.count("480101") == 1
    assert (NEXT in text) is (name in {"waiting", "approved", "running"})
    assert ("Seats removable until" in text) is (name == "waiting")
    assert ("pending" in text) is (name in {"waiting", "approved"})  # never-sent: no steps
    expected = {"waiting": [PipelineAction.WITHDRAW], "failed": [PipelineAction.RETRY]}
    assert buttons(status) == expected.get(name, [])


def test_the_approval_card_puts_the_decision_and_its_deadline_first():
    request, _steps = CASES["waiting"]
    blocks = approval_card(request).blocks_json()
    assert blocks[1]["text"]["text"].startswith("*Decide before <!date^")
    assert [e["action_id"] for e in blocks[2]["elements"]] == [
        PipelineAction.APPROVE, PipelineAction.REJECT]
    decided = approval_card(CASES["done"][0]).blocks_json()
    assert "Approved by <@U0SAM>" in blocks_text(decided[:2])
    assert buttons(decided) == []


def test_a_done_order_names_what_it_created_with_links_into_the_bot():
    content = Confirmation.of("Confirm order", {"License group": "Nordwind Logistics B.V."},
                              next_step="What happens next: each line goes to OVHcloud.")
    order = Request(
        id=9, kind=RequestKind.ORDER, state=S.DONE, requester="U0ALICE",
        tenant="csp2-nw7k3q.o365.ovh", payload={PAYLOAD_KEY: content.to_payload()},
        summary="Order for Nordwind", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    steps = [RequestStep(id=1, request_id=9, seq=1, action=StepAction.ADD_SUBSCRIPTION,
                         params={"license_id": 1, "quantity": 5}, state=StepState.DONE,
                         result={"subscription_id": 480201})]
    blocks = status_card(order, steps, NOW).blocks_json()
    text = blocks_text(blocks)
    assert "New subscriptions: `480201`" in text
    assert "What happens next" not in text
    links = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(e["text"]["text"], e["action_id"]) for e in links] == [
        ("Details", BrowseAction.SHOW), ("Subscriptions", BrowseAction.SHOW_TASKS)]


@pytest.mark.parametrize(("state", "claimable"), [
    (S.AWAITING_APPROVAL, True), (S.APPROVED, False), (S.FILED, False), (S.RESOLVED, False)])
def test_a_refund_offers_claim_only_while_it_waits(state, claimable):
    refund = Request(id=9, kind=RequestKind.REFUND, state=state, requester="U0ALICE",
                     summary="Refund ticket for Nordwind", created_at=NOW, updated_at=NOW)
    ids = [e["action_id"] for b in approval_card(refund).blocks_json() if b["type"] == "actions"
           for e in b["elements"]]
    assert (RefundAction.CLAIM in ids) is claimable


def test_a_done_new_group_order_names_its_group_once():
    order = Request(id=10, kind=RequestKind.ORDER, state=S.DONE, requester="U0ALICE",
                    summary="New license group", created_at=NOW, updated_at=NOW)
    steps = [RequestStep(id=1, request_id=10, seq=1, action=StepAction.ORDER_TENANT, params={},
                         state=StepState.DONE,
                         result={"service_name": "csp2-new1.o365.ovh", "order_id": 5,
                                 "phase": "delivered"})]
    blocks = status_card(order, steps, NOW).blocks_json()
    assert blocks_text(blocks).count("csp2-new1.o365.ovh") == 1
    links = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert links[:2] == [BrowseAction.SHOW, BrowseAction.SHOW_TASKS]
