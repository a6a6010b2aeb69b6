"""Editing a license group from `/csp tenant`: Edit → form (from the cache) → a draft with its
before → after confirmation → Confirm, after which the worker sends `PUT /saas/csp2/{serviceName}`
once, refreshes the cache, and the status card says how it went. The confirmation carries the
draft's id only: nobody else can confirm it, and nothing in the view says what is sent."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.core.domain import RequestKind, RequestState
from bot.core.ids import PipelineCallback, TenantAction, TenantEditBlock, TenantEditCallback
from bot.pipeline import transitions as pipeline
from bot.provider.base import BadParameters
from bot.provider.sandbox_data import NORDWIND
from store import cache
from store.models import AuditEventRow
from tests.conftest import ALICE, BOB, STAFF_CHANNEL
from tests.flows.conftest import settle
from tests.slack_emulator import blocks_text


@pytest.fixture
async def synced(bot):
    await bot.runtime.syncer.run_once()


async def open_form(slack, emulator) -> dict:
    details = await slack.command("tenant nordwind")
    await slack.action(TenantAction.EDIT, value=NORDWIND, message=slack.as_message(details))
    return emulator.calls_of("views.open")[-1]["view"] | {"id": _last_view_id(emulator)}


def _last_view_id(emulator) -> str:
    return list(emulator.views)[-1]


def prefilled(view: dict, **changes) -> dict:
    """What Slack submits: every field as shown (initial values), with the person's changes."""
    values = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    for name, value in changes.items():
        values[getattr(TenantEditBlock, name.upper())] = value
    return values


async def audit_rows(bot) -> list[AuditEventRow]:
    async with bot.runtime.db.session() as session:
        return list((await session.execute(select(AuditEventRow))).scalars())


async def test_the_form_opens_prefilled_from_the_cache(slack, emulator, sandbox, synced):
    sandbox.clear_calls()
    view = await open_form(slack, emulator)
    assert view["callback_id"] == TenantEditCallback.FORM
    values = prefilled(view)
    assert values[TenantEditBlock.DISPLAY_NAME] == "Nordwind Logistics B.V."
    assert values[TenantEditBlock.EMAIL] == "femke.devries@nordwind-logistics.nl"
    assert values[TenantEditBlock.MPN_ID] == "6180342"
    assert sandbox.call_log == []  # nothing asked of the provider to open it


async def test_bad_input_is_answered_next_to_each_field(slack, emulator, synced):
    view = await open_form(slack, emulator)
    reply = await slack.submit(
        view,
        prefilled(view, email="femke at nordwind", mpn_id="61803-42", display_name=None),
    )
    assert reply.errors == {
        TenantEditBlock.EMAIL: "That is not an email address (like name@example.com).",
        TenantEditBlock.MPN_ID: "An MPN ID is 6 to 10 digits, like 6180342.",
        TenantEditBlock.DISPLAY_NAME: "A license group needs a display name.",
    }


async def test_nothing_changed_is_said(slack, emulator, synced):
    view = await open_form(slack, emulator)
    reply = await slack.submit(view, prefilled(view))
    assert reply.errors == {TenantEditBlock.DISPLAY_NAME: "Nothing was changed."}


async def review(slack, emulator, **changes) -> dict:
    """Opens the form, submits the changes: the pushed confirmation as Slack stores it."""
    view = await open_form(slack, emulator)
    reply = await slack.submit(view, prefilled(view, **changes))
    assert reply.json["response_action"] == "push", reply.body
    return reply.view


def card_of(emulator, request):
    return emulator.message(request.card_channel, request.card_ts)


async def test_a_confirmed_change_is_drafted_sent_once_cached_and_shown(
    slack, bot, emulator, sandbox, synced
):
    confirm = await review(
        slack, emulator,
        display_name="Nordwind Logistik GmbH", email="it@nordwind.example", mpn_id="6180399",
    )  # fmt: skip
    assert confirm["callback_id"] == PipelineCallback.CONFIRM
    draft = await pipeline.load_draft(bot.runtime.db, int(confirm["private_metadata"]))
    assert (draft.kind, draft.request_id, draft.requester) == (
        RequestKind.TENANT_EDIT, None, ALICE,
    )  # fmt: skip
    text = blocks_text(confirm["blocks"])
    assert "*Display name*\nNordwind Logistics B.V. → *Nordwind Logistik GmbH*" in text
    assert "*Contact email*\nfemke.devries@nordwind-logistics.nl → *it@nordwind.example*" in text
    assert "*MPN ID*\n6180342 → *6180399*" in text
    assert "Contact phone" not in text
    assert sandbox.calls("updateTenant") == []  # nothing sent before Confirm

    confirmed = await slack.submit(confirm)
    assert confirmed.json == {"response_action": "clear"}
    assert sandbox.calls("updateTenant") == []  # the worker sends it, not the listener
    await settle(bot.runtime)

    assert sandbox.calls("updateTenant") == [
        {
            "displayName": "Nordwind Logistik GmbH",
            "email": "it@nordwind.example",
            "mpnId": "6180399",
        }
    ]
    async with bot.runtime.db.session() as session:
        tenant = await cache.get_tenant(session, NORDWIND)
    assert (tenant.display_name, tenant.email, tenant.mpn_id) == (
        "Nordwind Logistik GmbH",
        "it@nordwind.example",
        "6180399",
    )
    request = await pipeline.confirmed_request(bot.runtime.db, draft.id)
    assert request.state is RequestState.DONE
    card = card_of(emulator, request)
    assert card.channel == STAFF_CHANNEL and "Done" in card.all_text
    assert "6180342 → *6180399*" in card.all_text
    events = [(e.actor, e.action) for e in await audit_rows(bot)]
    assert (ALICE, "draft") in events and ("worker", "provider_call") in events
    [draft] = [e for e in await audit_rows(bot) if e.action == "draft"]
    assert draft.data["before"]["mpn_id"] == "6180342"
    assert draft.data["after"]["display_name"] == "Nordwind Logistik GmbH"


async def test_a_refusal_by_the_provider_is_shown_and_changes_nothing(
    slack, bot, emulator, sandbox, synced
):
    confirm = await review(slack, emulator, phone="+31 10 234 5679")
    sandbox.faults.set(fail_next=[("updateTenant", BadParameters("Invalid phone number"))])
    await slack.submit(confirm)
    await settle(bot.runtime)

    request = await pipeline.confirmed_request(bot.runtime.db, int(confirm["private_metadata"]))
    assert request.state is RequestState.FAILED and "Invalid phone number" in request.error
    assert "Invalid phone number" in card_of(emulator, request).all_text
    async with bot.runtime.db.session() as session:
        assert (await cache.get_tenant(session, NORDWIND)).phone == "+31.102345678"


async def test_a_second_confirm_of_the_same_change_sends_nothing_more(
    slack, bot, emulator, sandbox, synced
):
    confirm = await review(slack, emulator, city="Den Haag")
    await slack.submit(confirm)
    await settle(bot.runtime)
    again = await slack.submit(confirm, redelivered=True)  # Slack closed the modal
    assert again.json["response_action"] == "update"
    assert "already submitted" in blocks_text(again.json["view"]["blocks"])
    await settle(bot.runtime)
    assert len(sandbox.calls("updateTenant")) == 1


async def test_only_the_person_who_drafted_it_can_confirm_it(
    slack, bot, emulator, sandbox, synced
):
    """The update used to travel in the view's private_metadata: anyone who submitted that
    view sent the PUT. Now the view names a draft, and the draft names its requester."""
    confirm = await review(slack, emulator, city="Delft")
    copied = emulator.open_modal(confirm, user=BOB)  # the same view, on Bob's screen
    refused = await slack.submit(copied, user=BOB)
    said = blocks_text(refused.json["view"]["blocks"])
    assert "Only the person who prepared this request can confirm it" in said
    await settle(bot.runtime)
    assert sandbox.calls("updateTenant") == []
    draft = await pipeline.load_draft(bot.runtime.db, int(confirm["private_metadata"]))
    assert draft.request_id is None


async def test_an_old_confirmation_carrying_the_change_is_never_acted_on(
    slack, bot, emulator, sandbox, synced
):
    forged = emulator.open_modal({
        "type": "modal", "callback_id": TenantEditCallback.CONFIRM,
        "title": {"type": "plain_text", "text": "Confirm changes"}, "blocks": [],
        "private_metadata": json.dumps({"t": NORDWIND, "c": None, "u": {"city": "Atlantis"}}),
    }, user=BOB)  # fmt: skip
    refused = await slack.submit(forged, user=BOB)
    assert "out of date" in blocks_text(refused.json["view"]["blocks"])
    await settle(bot.runtime)
    assert sandbox.calls("updateTenant") == []


@pytest.mark.parametrize("when", ["draft", "confirm"])
async def test_people_without_the_staff_role_cannot_edit(
    slack, bot, emulator, sandbox, synced, when
):
    view = await open_form(slack, emulator)
    if when == "draft":  # the role was revoked while the form was open
        bot.runtime.settings.csp_everyone_is_staff = False
        refused = await slack.submit(view, prefilled(view, city="Delft"))
    else:  # … or while the confirmation was open
        confirm = (await slack.submit(view, prefilled(view, city="Delft"))).view
        bot.runtime.settings.csp_everyone_is_staff = False
        refused = await slack.submit(confirm)
    said = blocks_text(refused.json["view"]["blocks"])
    assert "Sorry, editing a license group is for staff" in said
    await settle(bot.runtime)
    assert sandbox.calls("updateTenant") == []


async def test_an_edit_button_for_a_group_not_in_the_cache_says_so_escaped(slack, emulator,
                                                                            synced):
    """A stale or forged Edit button: the person is told (the name escaped); no form opens."""
    details = await slack.command("tenant nordwind")
    await slack.action(TenantAction.EDIT, value="<!channel> gone.onmicrosoft.com",
                       message=slack.as_message(details))
    assert not emulator.calls_of("views.open")
    (told,) = [m for m in emulator.ephemerals(ALICE) if "not in the cache" in m.text]
    assert "&lt;!channel&gt;" in told.text and "<!channel>" not in told.text
