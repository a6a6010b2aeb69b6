"""Refund tickets end to end, through the Slack emulator and the request pipeline.

ALICE opens a ticket, SAM (a support agent) claims it, approves it, files it with Microsoft and
records the credit; every step shows on the cards, lands in the audit log and reaches ALICE by
DM. No provider call is ever made: a refund ticket has no steps.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.domain import RequestKind, RequestState
from bot.core.ids import (
    BlockId,
    HomeAction,
    OptionsAction,
    PipelineAction,
    RefundAction,
    RefundBlock,
)
from bot.pipeline import transitions as pipeline
from bot.provider.sandbox_data import CONTOSO
from bot.refunds import tickets as refunds
from store import requests as repo
from tests.conftest import ADA, ALICE, APPROVALS_CHANNEL, BOB, SAM, STAFF_CHANNEL, SUE
from tests.flows.conftest import latest_view, open_modal
from tests.slack_emulator import blocks_text

B = RefundBlock
S = RequestState
FILE_LINK = "https://csp-reseller.slack.com/files/U0ALICE/F07ABC123/invoice.pdf"
TENANT_GUID = "0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"


def form_values(**overrides) -> dict:
    """A complete, valid ticket (the test clock says 2 Nov 2026)."""
    values = {
        BlockId.TENANT: None,
        B.CUSTOMER_TENANT: "contoso.onmicrosoft.com",
        B.ORDER_ID: "7f3c9a12-5e4d",
        B.PRODUCT: "perpetual",
        B.PURCHASE_DATE: "2026-10-20",
        B.REASON: "wrong_product",
        B.REASON_DETAILS: "Standard was ordered instead of Professional.",
        B.AMOUNT: "249.90",
        B.CURRENCY: "EUR",
        B.IMPACT: "moderate",
        B.TITLE: "Refund Office LTSC Standard 2024",
        B.CONTACT_NAME: "Alice Jansen",
        B.CONTACT_EMAIL: "alice@reseller.example",
        B.CONTACT_PHONE: "+31 10 234 5678",
        B.ATTACHMENTS: FILE_LINK,
        B.ACKNOWLEDGE: None,
    }
    values.update(overrides)
    return values


async def settle(bot) -> None:
    """Lets the card updates and DMs that follow a click finish."""
    await refunds.settle()
    await bot.runtime.notifier.settle()


async def file_ticket(slack, emulator, bot, user: str = ALICE, text: str = "/csp refund",
                      **overrides):
    """Opens the modal, submits it, confirms: the ticket waits for a support agent."""
    form = await open_modal(slack, emulator, text, user=user)
    review = await slack.submit(form, form_values(**overrides), user=user)
    assert review.view is not None, review.body
    done = await slack.submit(review.view, user=user)
    assert done.json == {"response_action": "clear"}, done.body
    await settle(bot)
    return await pipeline.confirmed_request(bot.runtime.db, int(review.view["private_metadata"]))


def approval_card(emulator):
    """The last message everyone in the approvals channel sees (not an ephemeral answer)."""
    return [m for m in emulator.messages[APPROVALS_CHANNEL] if m.user is None][-1]


def status_card(emulator, request):
    return emulator.message(request.card_channel, request.card_ts)


def dm_texts(emulator, user: str) -> list[str]:
    return [m.text for m in emulator.messages["D" + user]]


def told(emulator) -> str:
    """The last ephemeral answer sent through a response_url (a refusal, usually)."""
    return emulator.calls_of("response_url")[-1]["text"]


def buttons(message) -> dict[str, str]:
    return {
        e["action_id"]: e["text"]["text"]
        for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    }


async def audit_of(bot, request_id: int) -> list[tuple]:
    async with bot.runtime.db.session() as session:
        rows = await repo.audit_events(session, request_id=request_id)
    return [(r.actor, r.action, r.after_state, r.note) for r in rows]


# --- the whole lifecycle ----------------------------------------------------------------------


async def test_a_ticket_from_filing_to_credit(slack, emulator, sandbox, bot, agents, synced):
    sandbox.clear_calls()
    form = await open_modal(slack, emulator, f"/csp refund {TENANT_GUID} 7f3c9a12")
    assert form["callback_id"] == "refund_form"
    initial = {b["block_id"]: b["element"].get("initial_value") for b in form["blocks"]
               if b["type"] == "input"}
    assert initial[B.CUSTOMER_TENANT] == TENANT_GUID
    assert initial[B.ORDER_ID] == "7f3c9a12"

    review = await slack.submit(form, form_values(**{B.CUSTOMER_TENANT: TENANT_GUID}))
    assert review.json["response_action"] == "push"
    confirmation = blocks_text(review.view["blocks"])
    assert review.view["title"]["text"] == "Confirm refund ticket"
    for words in (TENANT_GUID, "7f3c9a12-5e4d", "Perpetual software", "20 Oct 2026",
                  "Wrong product or edition: Standard was ordered instead of Professional.",
                  "249.90 EUR", "Moderate", "Refund Office LTSC Standard 2024",
                  "Alice Jansen · alice@reseller.example · +31 10 234 5678", FILE_LINK,
                  "Inside the refund window", "credited in full", "*admin agent* role",
                  "A support agent claims the ticket"):
        assert words in confirmation, words

    assert (await slack.submit(review.view)).json == {"response_action": "clear"}
    await settle(bot)
    request = await pipeline.confirmed_request(bot.runtime.db, int(review.view["private_metadata"]))
    assert (request.kind, request.state) == (RequestKind.REFUND, S.AWAITING_APPROVAL)
    assert await pipeline.load_steps(bot.runtime.db, request.id) == []
    card = approval_card(emulator)
    assert buttons(card) == {RefundAction.CLAIM: "Claim", PipelineAction.APPROVE: "Approve",
                             PipelineAction.REJECT: "Reject"}
    assert "Outside the refund window" not in card.all_text
    assert request.card_channel == STAFF_CHANNEL

    # SAM claims it
    await slack.action(RefundAction.CLAIM, value=str(request.id), user=SAM, message=card)
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert request.assignee == SAM
    assert RefundAction.CLAIM not in buttons(approval_card(emulator))
    assert f"<@{SAM}>" in status_card(emulator, request).all_text
    assert dm_texts(emulator, ALICE)[-1].startswith(f":raising_hand: <@{SAM}> took your refund")

    # … approves it: the card now holds what to paste into Partner Center
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert request.state is S.APPROVED and request.decided_by == SAM
    card = approval_card(emulator)
    assert buttons(card) == {RefundAction.MARK_FILED: "Mark as filed"}
    description = next(b for b in card.blocks if b.get("block_id") == B.UPSTREAM_DESCRIPTION)
    text = description["text"]["text"]
    order = [f"Customer's tenant GUID or domain name: {TENANT_GUID}",
             "Order ID or subscription ID: 7f3c9a12-5e4d",
             "Reason for the refund: Wrong product or edition: Standard was ordered",
             "Amount requested: 249.90 EUR",
             "Contact: Alice Jansen, alice@reseller.example, +31 10 234 5678"]
    positions = [text.index(line) for line in order]
    assert positions == sorted(positions)  # Microsoft's order
    assert "Impact: Moderate" in text and "Title: Refund Office LTSC Standard 2024" in text
    assert FILE_LINK in card.all_text
    assert card.all_text.count("*admin agent* role") == 1  # said once, above the description
    assert "approved by" in dm_texts(emulator, ALICE)[-1]

    # … marks it filed, with Microsoft's reference
    await slack.action(RefundAction.MARK_FILED, value=str(request.id), user=SAM, message=card)
    filed = latest_view(emulator)
    assert filed["callback_id"] == "refund_filed"
    reply = await slack.submit(filed, {B.UPSTREAM_REFERENCE: "SR 42"}, user=SAM)
    assert "letters, digits" in reply.errors[B.UPSTREAM_REFERENCE]
    reply = await slack.submit(filed, {B.UPSTREAM_REFERENCE: "2611020040001234"}, user=SAM)
    assert reply.body == ""  # the modal closes
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert request.state is S.FILED
    assert request.payload["upstream_reference"] == "2611020040001234"
    assert "2611020040001234" in status_card(emulator, request).all_text
    assert buttons(approval_card(emulator)) == {RefundAction.MARK_RESOLVED: "Mark as resolved"}
    assert "filed with Microsoft under reference `2611020040001234`" in (
        dm_texts(emulator, ALICE)[-1])

    # … and resolved, with what Microsoft credited
    await slack.action(RefundAction.MARK_RESOLVED, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    resolved = latest_view(emulator)
    assert resolved["callback_id"] == "refund_resolved"
    reply = await slack.submit(resolved, {B.CREDITED_AMOUNT: "240.001",
                                          B.CREDITED_CURRENCY: "EUR"}, user=SAM)
    assert "two decimals" in reply.errors[B.CREDITED_AMOUNT]
    reply = await slack.submit(resolved, {B.CREDITED_AMOUNT: "240",
                                          B.CREDITED_CURRENCY: "EUR"}, user=SAM)
    assert reply.body == ""
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert request.state is S.RESOLVED
    assert request.payload["credited_amount"] == "240.00 EUR"
    assert "Credited 240.00 EUR of 249.90 EUR requested" in status_card(emulator, request).all_text
    assert buttons(approval_card(emulator)) == {}
    assert "is resolved: Microsoft credited 240.00 EUR of 249.90 EUR requested" in (
        dm_texts(emulator, ALICE)[-1])

    assert len(dm_texts(emulator, ALICE)) == 4  # claimed, approved, filed, resolved: once each
    assert [(actor, action, state) for actor, action, state, _note in
            await audit_of(bot, request.id)] == [
        (ALICE, "draft", "draft"),
        (ALICE, "transition", "awaiting_approval"),
        (SAM, "claim", "awaiting_approval"),
        (SAM, "transition", "approved"),
        (SAM, "transition", "filed"),
        (SAM, "transition", "resolved"),
    ]
    notes = [note for *_rest, note in await audit_of(bot, request.id)]
    assert "filed with Microsoft as 2611020040001234" in notes
    assert "credited 240.00 EUR" in notes
    assert sandbox.call_log == []  # nothing was ever sent to OVHcloud


# --- the modal's fields -----------------------------------------------------------------------


BAD_FIELDS = [
    (B.CUSTOMER_TENANT, "contoso", "domain name such as contoso.onmicrosoft.com"),
    (B.CUSTOMER_TENANT, "", "tenant GUID or domain name"),
    (B.ORDER_ID, "order #42", "letters, digits and hyphens"),
    (B.PRODUCT, None, "Choose what was bought"),
    (B.PURCHASE_DATE, "2026-11-03", "can't be in the future"),
    (B.PURCHASE_DATE, None, "Pick the date"),
    (B.REASON, None, "Choose the reason"),
    (B.REASON_DETAILS, "x" * 2001, "2000 characters"),
    (B.AMOUNT, "-12", "more than zero"),
    (B.AMOUNT, "12.999", "two decimals"),
    (B.CURRENCY, None, "Choose the currency"),
    (B.IMPACT, None, "Choose the impact"),
    (B.TITLE, "Hi", "at least 5 characters"),
    (B.CONTACT_NAME, "", "contact's name"),
    (B.CONTACT_EMAIL, "alice@reseller", "name@example.com"),
    (B.CONTACT_PHONE, "ring me", "country code"),
    (B.ATTACHMENTS, "https://example.com/invoice.pdf", "not a link to a file in Slack"),
]


async def test_each_field_says_what_to_change(slack, emulator, bot, synced):
    form = await open_modal(slack, emulator, "/csp refund")
    for block, value, words in BAD_FIELDS:
        reply = await slack.submit(form, form_values(**{block: value}))
        assert reply.json.get("response_action") == "errors", (block, reply.body)
        assert set(reply.errors) == {block}, (block, reply.errors)
        assert words in reply.errors[block], (block, reply.errors[block])
    reply = await slack.submit(form, form_values(**{B.REASON: "other", B.REASON_DETAILS: None}))
    assert "Explain the reason" in reply.errors[B.REASON_DETAILS]
    async with bot.runtime.db.session() as session:
        assert await repo.recent_requests(session) == []  # not even a draft


# --- outside the refund window ----------------------------------------------------------------


async def test_outside_the_window_needs_an_acknowledgement_and_is_flagged(
    slack, emulator, bot, agents, synced
):
    form = await open_modal(slack, emulator, "/csp refund")
    late = {B.PRODUCT: "software_subscription", B.PURCHASE_DATE: "2026-10-20"}
    reply = await slack.submit(form, form_values(**late))
    assert set(reply.errors) == {B.ACKNOWLEDGE}
    assert "outside the 7-day refund window for software subscription" in (
        reply.errors[B.ACKNOWLEDGE]
    )
    assert "Tick the box" in reply.errors[B.ACKNOWLEDGE]

    reply = await slack.submit(form, form_values(**late, **{B.ACKNOWLEDGE: "acknowledged"}))
    assert "Outside the refund window" in blocks_text(reply.view["blocks"])
    assert "Refund window closed" in blocks_text(reply.view["blocks"])
    await slack.submit(reply.view)
    await settle(bot)
    card = approval_card(emulator)
    assert ":warning: *Outside the refund window* (7 days for software subscription" in (
        card.all_text
    )
    request = await pipeline.confirmed_request(bot.runtime.db, int(reply.view["private_metadata"]))
    assert request.payload["outside_window"] is True
    assert request.deadline is None  # a flag for the approver, never an expiry
    status = status_card(emulator, request).all_text
    assert "Outside the refund window: the 7-day window" in status  # the confirmed note
    assert ":warning: *Outside the refund window*" not in status  # the flag is the approver's


# --- who may do what ----------------------------------------------------------------------------


async def test_a_support_agent_cannot_approve_or_claim_their_own_ticket(
    slack, emulator, bot, agents, synced
):
    request = await file_ticket(slack, emulator, bot, user=SAM)
    card = approval_card(emulator)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=card)
    assert "can't decide on your own request" in told(emulator)
    await slack.action(RefundAction.CLAIM, value=str(request.id), user=SAM, message=card)
    assert "You opened refund ticket" in told(emulator)
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert (request.state, request.assignee, request.decided_by) == (
        S.AWAITING_APPROVAL, None, None
    )
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SUE, message=card)
    assert (await pipeline.load(bot.runtime.db, request.id)).state is S.APPROVED
    await settle(bot)


async def test_only_support_agents_claim_file_and_resolve(slack, emulator, bot, agents, synced):
    request = await file_ticket(slack, emulator, bot)
    card = approval_card(emulator)
    await slack.action(RefundAction.CLAIM, value=str(request.id), user=BOB, message=card)
    assert "Only support agents" in told(emulator)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=card)
    await settle(bot)

    opened = len(emulator.calls_of("views.open"))
    await slack.action(RefundAction.MARK_FILED, value=str(request.id), user=BOB,
                       message=approval_card(emulator))
    assert "Only support agents" in told(emulator)
    assert len(emulator.calls_of("views.open")) == opened  # no modal for BOB
    # a crafted submission is checked again on the server
    await slack.action(RefundAction.MARK_FILED, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    sams = latest_view(emulator)
    filed = emulator.open_modal(sams, user=BOB)  # Sam's modal, copied onto Bob's screen
    reply = await slack.submit(filed, {B.UPSTREAM_REFERENCE: "2611"}, user=BOB)
    assert reply.json["response_action"] == "update"
    assert "Only support agents" in blocks_text(reply.json["view"]["blocks"])
    assert (await pipeline.load(bot.runtime.db, request.id)).state is S.APPROVED

    await slack.submit(sams, {B.UPSTREAM_REFERENCE: "2611"}, user=SAM)
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert (request.state, request.assignee) == (S.FILED, SAM)  # whoever files it has it
    await slack.action(RefundAction.MARK_RESOLVED, value=str(request.id), user=BOB,
                       message=approval_card(emulator))
    assert "Only support agents" in told(emulator)
    await slack.action(RefundAction.MARK_RESOLVED, value=str(request.id), user=SUE,
                       message=approval_card(emulator))
    assert f"claimed by <@{SAM}>" in told(emulator)
    assert (await pipeline.load(bot.runtime.db, request.id)).state is S.FILED


async def test_only_the_agent_who_claimed_a_ticket_or_an_admin_decides_on_it(
    slack, emulator, bot, agents, synced
):
    request = await file_ticket(slack, emulator, bot)
    await slack.action(RefundAction.CLAIM, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    await settle(bot)
    before = await audit_of(bot, request.id)
    refused = f"<@{SAM}> has claimed this ticket: ask them, or an admin."

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SUE,
                       message=approval_card(emulator))
    assert told(emulator) == refused
    await slack.action(PipelineAction.REJECT, value=str(request.id), user=SUE,
                       message=approval_card(emulator))
    assert told(emulator) == refused  # no reason modal to fill in for nothing
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert (request.state, request.assignee, request.decided_by) == (
        S.AWAITING_APPROVAL, SAM, None
    )
    assert await audit_of(bot, request.id) == before
    assert set(buttons(approval_card(emulator))) >= {PipelineAction.APPROVE}

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert (request.state, request.decided_by) == (S.APPROVED, SAM)


async def test_an_admin_may_decide_on_a_ticket_someone_claimed(
    slack, emulator, bot, agents, synced
):
    request = await file_ticket(slack, emulator, bot)
    await slack.action(RefundAction.CLAIM, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=ADA,
                       message=approval_card(emulator))
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    assert (request.state, request.assignee, request.decided_by) == (S.APPROVED, SAM, ADA)


async def test_two_agents_claim_at_once_and_one_gets_it(slack, emulator, bot, agents, synced):
    request = await file_ticket(slack, emulator, bot)
    card = approval_card(emulator)
    await asyncio.gather(
        slack.action(RefundAction.CLAIM, value=str(request.id), user=SAM, message=card),
        slack.action(RefundAction.CLAIM, value=str(request.id), user=SUE, message=card),
    )
    await settle(bot)
    request = await pipeline.load(bot.runtime.db, request.id)
    loser = SUE if request.assignee == SAM else SAM
    assert request.assignee in (SAM, SUE)
    assert f"claimed by <@{request.assignee}>" in told(emulator)
    claims = [a for a in await audit_of(bot, request.id) if a[1] == "claim"]
    assert [c[0] for c in claims] == [request.assignee]
    assert loser not in status_card(emulator, request).all_text


async def test_rejected_with_a_reason_and_withdrawn(slack, emulator, bot, agents, synced):
    first = await file_ticket(slack, emulator, bot)
    await slack.action(PipelineAction.REJECT, value=str(first.id), user=SAM,
                       message=approval_card(emulator))
    reject = latest_view(emulator)
    await slack.submit(reject, {"pipeline_reject_reason": "Past Microsoft's window."}, user=SAM)
    await settle(bot)
    assert (await pipeline.load(bot.runtime.db, first.id)).state is S.REJECTED
    assert "Past Microsoft's window." in dm_texts(emulator, ALICE)[-1]

    second = await file_ticket(slack, emulator, bot)
    await slack.action(PipelineAction.WITHDRAW, value=str(second.id), user=ALICE,
                       message=status_card(emulator, second))
    await settle(bot)
    assert (await pipeline.load(bot.runtime.db, second.id)).state is S.WITHDRAWN
    await slack.action(RefundAction.CLAIM, value=str(second.id), user=SAM,
                       message=approval_card(emulator))
    assert "is withdrawn" in told(emulator)


# --- opening the modal --------------------------------------------------------------------------


async def test_app_home_and_words_prefill_the_modal(slack, emulator, bot, agents, synced):
    await file_ticket(slack, emulator, bot, **{B.CONTACT_NAME: "Alice de Wit"})
    await slack.action(HomeAction.REFUND, user=ALICE)
    view = latest_view(emulator)
    assert view["callback_id"] == "refund_form"
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[B.CONTACT_NAME]["initial_value"] == "Alice de Wit"  # from the last ticket
    assert inputs[B.CONTACT_EMAIL]["initial_value"] == "alice@reseller.example"
    assert inputs[B.CURRENCY]["initial_option"]["value"] == "EUR"
    assert "initial_option" not in inputs[BlockId.TENANT]

    options = await slack.suggest(OptionsAction.TENANT, "bakery", block_id=BlockId.TENANT,
                                  view=view)
    assert [o["value"] for o in options.json["options"]] == [CONTOSO]  # typeahead, from cache

    view = await open_modal(slack, emulator, "/csp refund contoso", user=BOB)
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[BlockId.TENANT]["initial_option"]["value"] == CONTOSO
    assert "initial_value" not in inputs[B.CONTACT_NAME]  # BOB has no earlier ticket
    reply = await slack.submit(view, form_values(**{BlockId.TENANT: CONTOSO}), user=BOB)
    assert "Contoso Bakery GmbH" in blocks_text(reply.view["blocks"])
    await slack.back(user=BOB)  # from the pushed confirmation back to the form
    reply = await slack.submit(view, form_values(**{BlockId.TENANT: "csp2-nope.o365.ovh"}),
                               user=BOB)
    assert "not known here" in reply.errors[BlockId.TENANT]


# --- /csp refunds -------------------------------------------------------------------------------


async def test_the_list_shows_state_and_age_a_page_at_a_time(
    slack, emulator, bot, clock, agents, synced
):
    first = await file_ticket(slack, emulator, bot, **{B.TITLE: "The very first ticket"})
    await slack.action(PipelineAction.APPROVE, value=str(first.id), user=SAM,
                       message=approval_card(emulator))
    bobs = [await file_ticket(slack, emulator, bot, user=BOB, **{B.TITLE: f"Bob's ticket {n}"})
            for n in range(10)]
    async with bot.runtime.db.transaction() as session:  # rows are stamped by the database
        await repo.update_fields(session, first.id, {"created_at": clock.now() - timedelta(
            hours=30)})
        for ticket in bobs:
            await repo.update_fields(session, ticket.id, {"created_at": clock.now() - timedelta(
                minutes=5)})

    reply = await slack.command("refunds", user=ALICE)
    assert reply.json["response_type"] == "ephemeral"
    assert len(reply.json["blocks"]) < 50
    assert "Bob's ticket 9" in reply.text and "5 min old" in reply.text
    assert "The very first ticket" not in reply.text  # page 2
    page = slack.as_message(reply)
    await slack.action(RefundAction.PAGE, value="open:1", user=ALICE, message=page)
    second = emulator.calls_of("response_url")[-1]
    assert second["replace_original"] is True
    text = blocks_text(second["blocks"])
    assert "The very first ticket" in text and "approved" in text and "1 d old" in text
    assert "Previous" in text

    mine = await slack.command("refunds mine", user=ALICE)
    assert "The very first ticket" in mine.text and "Bob's ticket" not in mine.text
    assert "Next" not in mine.text
    nothing = await slack.command("refunds mine", user=SUE)
    assert "No refund tickets here." in nothing.text
    wrong = await slack.command("refunds everything", user=ALICE)
    assert "`/csp refunds open`" in wrong.text


@pytest.mark.parametrize("words", ["refund", "refunds"])
async def test_help_lists_the_refund_commands(slack, words):
    reply = await slack.command("help")
    assert f"/csp {words}" in reply.text


async def test_the_form_is_prefilled_from_the_chosen_groups_last_ticket(
    slack, emulator, bot, synced
):
    from bot.provider.sandbox_data import NORDWIND
    from tests.conftest import BOB

    await file_ticket(slack, emulator, bot, user=BOB, **{
        BlockId.TENANT: NORDWIND, B.CUSTOMER_TENANT: "nordwind-logistics.onmicrosoft.com",
        B.CONTACT_NAME: "Femke de Vries", B.CONTACT_EMAIL: "femke@nordwind.example",
    })  # fmt: skip
    form = await open_modal(slack, emulator, "/csp refund nordwind", user=ALICE)

    def initial(block_id):
        found = next(b for b in form["blocks"] if b.get("block_id") == block_id)
        return found["element"].get("initial_value") or (
            found["element"].get("initial_option") or {}).get("value")

    assert initial(BlockId.TENANT) == NORDWIND
    assert initial(B.CUSTOMER_TENANT) == "nordwind-logistics.onmicrosoft.com"
    assert (initial(B.CONTACT_NAME), initial(B.CONTACT_EMAIL)) == (
        "Femke de Vries", "femke@nordwind.example")
    # a group without tickets: the requester's own last contact, no customer tenant
    other = await open_modal(slack, emulator, "/csp refund padaria", user=BOB)
    tenant = next(b for b in other["blocks"] if b.get("block_id") == B.CUSTOMER_TENANT)
    assert not tenant["element"].get("initial_value")


async def test_microsoft_365_admin_opens_the_customers_tenant_once_its_id_is_known(
    slack, emulator, bot, synced
):
    from bot.core.ids import BrowseAction
    from bot.provider.sandbox_data import NORDWIND

    def admin_button(reply) -> dict:
        return next(b["accessory"] for b in reply.json["blocks"]
                    if (b.get("accessory") or {}).get("action_id") == BrowseAction.PORTAL)

    before = admin_button(await slack.command("tenant nordwind"))
    assert before["url"] == "https://portal.office.com/Admin/Default.aspx"
    guid = "7F3C9A12-5E4D-4B7A-9C1E-0123456789AB"
    await file_ticket(slack, emulator, bot, **{BlockId.TENANT: NORDWIND,
                                               B.CUSTOMER_TENANT: guid})
    after = admin_button(await slack.command("tenant nordwind"))
    assert after["url"] == (
        "https://portal.office.com/Partner/BeginClientSession.aspx?"
        f"CTID={guid.lower()}&CSDEST=o365admincenter"
    )
