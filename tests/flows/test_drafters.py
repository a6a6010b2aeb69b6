"""Confirmations are bound to their drafter, and drafting re-checks the role, for every flow
that makes a draft (orders, seats, cancellations, refund tickets, license group edits).

Through the Slack emulator, as people do it: ALICE holds a granted staff role (nobody else is
staff here), opens a form, and an admin revokes the role while the form — or the confirmation —
is open; or BOB submits ALICE's confirmation view. Each time the answer is a polite refusal,
the request stays a draft, and nothing reaches the provider or the approvers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.domain import RequestState
from bot.core.ids import BlockId, TenantAction
from bot.orders.form import LineField, line_block
from bot.pipeline import transitions as pipeline
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, NORDWIND_E3, OFFICE_E3
from store import requests as repo
from tests.conftest import ADA, ALICE, APPROVALS_CHANNEL, BOB
from tests.flows import test_cancel, test_refunds, test_seats
from tests.flows.conftest import latest_view, open_modal, settle
from tests.slack_emulator import blocks_text
from tests.tenants.test_edit import prefilled


@dataclass(frozen=True)
class Flow:
    """How a person opens a flow's form and what they type in it."""

    name: str
    words: str  # what a refusal names ("Sorry, <words> is for staff")

    async def open(self, slack, emulator) -> dict:
        if self.name == "tenant edit":
            details = await slack.command("tenant nordwind")
            await slack.action(TenantAction.EDIT, value=NORDWIND,
                               message=slack.as_message(details))  # fmt: skip
            return latest_view(emulator)
        command = {
            "order": "order nordwind",
            "seats": f"seats nordwind {NORDWIND_E3}",
            "cancel": f"cancel nordwind {NORDWIND_BASIC}",
            "refund": "refund",
        }[self.name]
        return await open_modal(slack, emulator, command)

    def values(self, form: dict) -> dict:
        match self.name:
            case "order":
                return {BlockId.TENANT: NORDWIND, line_block(LineField.LICENSE, "1"): OFFICE_E3,
                        line_block(LineField.QUANTITY, "1"): "5"}  # fmt: skip
            case "seats":
                return test_seats.form_values(NORDWIND_E3, "13")
            case "cancel":
                return test_cancel.form_values(NORDWIND_BASIC)
            case "refund":
                return test_refunds.form_values()
        return prefilled(form, city="Delft")


FLOWS = [
    Flow("order", "ordering licenses"),
    Flow("seats", "changing seats"),
    Flow("cancel", "cancelling subscriptions"),
    Flow("refund", "opening refund tickets"),
    Flow("tenant edit", "editing a license group"),
]


WRITES = frozenset({"changeQuantity", "addSubscription", "orderAddon", "deleteSubscription",
                    "orderTenant", "updateTenant"})


@pytest.fixture
async def staff_only(bot, slack):
    """Only people with a granted role are staff; ALICE has one (granted by ADA)."""
    bot.runtime.settings.csp_everyone_is_staff = False
    reply = await slack.command(f"roles grant <@{ALICE}|alice> staff", user=ADA)
    assert "now has the staff role" in reply.text


async def revoke_alice(slack) -> None:
    reply = await slack.command(f"roles revoke <@{ALICE}|alice> staff", user=ADA)
    assert "no longer has the staff role" in reply.text


async def nothing_happened(bot, emulator, sandbox) -> None:
    await settle(bot.runtime)
    assert [c.op for c in sandbox.call_log if c.op in WRITES] == [], "no provider write"
    assert emulator.messages[APPROVALS_CHANNEL] == [], "no approval card"
    async with bot.runtime.db.session() as session:
        rows = await repo.recent_requests(session)
    assert rows == [], "no confirmed request"


def refusal(reply) -> str:
    assert reply.json["response_action"] == "update", reply.body
    return blocks_text(reply.json["view"]["blocks"])


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
async def test_a_role_revoked_while_the_form_was_open_refuses_the_submission(
    flow, bot, slack, emulator, sandbox, synced, staff_only
):
    form = await flow.open(slack, emulator)
    await revoke_alice(slack)
    sandbox.clear_calls()

    reply = await slack.submit(form, flow.values(form))

    assert f"Sorry, {flow.words} is for staff" in refusal(reply)
    async with bot.runtime.db.session() as session:
        assert await repo.requests_in_states(session, [RequestState.DRAFT]) == []
    await nothing_happened(bot, emulator, sandbox)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
async def test_a_role_revoked_while_the_confirmation_was_open_refuses_the_confirm(
    flow, bot, slack, emulator, sandbox, synced, staff_only
):
    form = await flow.open(slack, emulator)
    review = await slack.submit(form, flow.values(form))
    assert review.view is not None, review.body
    await revoke_alice(slack)
    sandbox.clear_calls()

    reply = await slack.submit(review.view)

    assert f"Sorry, {flow.words} is for staff" in refusal(reply)
    draft = await pipeline.load_draft(bot.runtime.db, int(review.view["private_metadata"]))
    assert draft.request_id is None
    await nothing_happened(bot, emulator, sandbox)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
async def test_only_the_drafter_can_confirm(flow, bot, slack, emulator, sandbox, synced):
    form = await flow.open(slack, emulator)
    review = await slack.submit(form, flow.values(form))
    assert review.view is not None, review.body
    assert review.view["private_metadata"].isdigit(), "the confirmation names its draft only"
    sandbox.clear_calls()

    copied = emulator.open_modal(review.view, user=BOB)  # the same view, on Bob's screen
    reply = await slack.submit(copied, user=BOB)

    assert "Only the person who prepared this request can confirm it" in refusal(reply)
    draft = await pipeline.load_draft(bot.runtime.db, int(review.view["private_metadata"]))
    assert (draft.request_id, draft.requester) == (None, ALICE)
    await nothing_happened(bot, emulator, sandbox)
