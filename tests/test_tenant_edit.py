"""Editing a license group from `/csp tenant`: Edit → form (from the cache) → before → after →
Save, which sends `PUT /saas/csp2/{serviceName}`, audits, refreshes the cache and says so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.ids import TenantAction, TenantEditBlock, TenantEditCallback
from bot.provider.base import BadParameters
from bot.provider.sandbox_data import NORDWIND
from store import cache
from store.models import AuditEventRow
from tests.conftest import ALICE, STAFF_CHANNEL
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


async def test_a_confirmed_change_is_sent_audited_cached_and_reported(
    slack, bot, emulator, sandbox, synced
):
    view = await open_form(slack, emulator)
    review = await slack.submit(
        view,
        prefilled(
            view,
            display_name="Nordwind Logistik GmbH",
            email="it@nordwind.example",
            mpn_id="6180399",
        ),
    )
    assert review.json["response_action"] == "push"
    confirm = review.view
    assert confirm["callback_id"] == TenantEditCallback.CONFIRM
    text = blocks_text(confirm["blocks"])
    assert "*Display name*: Nordwind Logistics B.V. → *Nordwind Logistik GmbH*" in text
    assert "*Contact email*: femke.devries@nordwind-logistics.nl → *it@nordwind.example*" in text
    assert "*MPN ID*: 6180342 → *6180399*" in text
    assert "Contact phone" not in text
    assert sandbox.calls("updateTenant") == []  # nothing sent before Save

    saved = await slack.submit(confirm)
    assert saved.json == {"response_action": "clear"}
    await bot.runtime.syncer.idle()

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
    [event] = await audit_rows(bot)
    assert (event.actor, event.action, event.tenant) == (ALICE, "tenant_edit", NORDWIND)
    assert event.data["before"]["mpn_id"] == "6180342"
    assert event.data["after"]["display_name"] == "Nordwind Logistik GmbH"
    [told] = [m for m in emulator.ephemerals(ALICE) if "updated" in m.text]
    assert told.channel == STAFF_CHANNEL
    assert "MPN ID: 6180342 → 6180399" in told.text


async def test_a_refusal_by_the_provider_is_reported_and_changes_nothing(
    slack, bot, emulator, sandbox, synced
):
    view = await open_form(slack, emulator)
    review = await slack.submit(view, prefilled(view, phone="+31 10 234 5679"))
    sandbox.faults.set(fail_next=[("updateTenant", BadParameters("Invalid phone number"))])
    await slack.submit(review.view)
    await bot.runtime.syncer.idle()

    [told] = [m for m in emulator.ephemerals(ALICE) if "was not changed" in m.text]
    assert "Invalid phone number" in told.text
    async with bot.runtime.db.session() as session:
        assert (await cache.get_tenant(session, NORDWIND)).phone == "+31.102345678"
    [event] = await audit_rows(bot)
    assert event.action == "tenant_edit_failed" and "Invalid phone number" in event.note


async def test_a_second_save_of_the_same_change_does_nothing(slack, bot, emulator, sandbox, synced):
    view = await open_form(slack, emulator)
    review = await slack.submit(view, prefilled(view, city="Den Haag"))
    await slack.submit(review.view)
    await bot.runtime.syncer.idle()
    again = await slack.submit(review.view)
    assert again.json["response_action"] == "update"
    assert "already has these values" in blocks_text(again.json["view"]["blocks"])
    await bot.runtime.syncer.idle()
    assert len(sandbox.calls("updateTenant")) == 1


async def test_people_without_the_staff_role_cannot_edit(slack, bot, emulator, sandbox, synced):
    view = await open_form(slack, emulator)
    review = await slack.submit(view, prefilled(view, city="Delft"))
    bot.runtime.settings.csp_everyone_is_staff = False
    refused = await slack.submit(review.view)
    said = blocks_text(refused.json["view"]["blocks"])
    assert "Sorry, editing a license group is for staff" in said
    await bot.runtime.syncer.idle()
    assert sandbox.calls("updateTenant") == []
