"""Bad order input is answered next to its field, through Slack, and leaves nothing behind: no
draft is stored and nothing reaches the provider."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.domain import RequestState
from bot.core.ids import BlockId, OrderAction, OrderBlock
from bot.orders.form import LineField, line_block
from bot.pipeline.transitions import confirmed_request, load
from bot.provider.sandbox_data import (
    BELLAVISTA,
    BUSINESS_BASIC,
    EXCHANGE_ARCHIVING,
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    NORDWIND_EXCHANGE,
    OFFICE_E3,
    TEAMS_AUDIO_CONFERENCING,
    VANDERBERG,
)
from store.models import RequestRow
from tests.flows.conftest import open_modal, settle
from tests.flows.test_orders import CONTACT, act, option_values, with_option
from tests.slack_emulator import blocks_text

LICENSE, QUANTITY, PARENT = LineField.LICENSE, LineField.QUANTITY, LineField.PARENT


async def drafts(bot) -> int:
    async with bot.runtime.db.session() as session:
        return (await session.execute(select(func.count(RequestRow.id)))).scalar_one()


async def refused(slack, bot, sandbox, view: dict, values: dict) -> dict[str, str]:
    reply = await slack.submit(view, values)
    assert reply.status == 200, reply.body
    assert reply.json.get("response_action") == "errors", reply.body
    assert await drafts(bot) == 0
    assert sandbox.calls("addSubscription") == sandbox.calls("orderAddon") == []
    return reply.errors


def one_line(license_id, quantity, tenant=NORDWIND) -> dict:
    return {
        BlockId.TENANT: tenant,
        line_block(LICENSE, "1"): license_id,
        line_block(QUANTITY, "1"): quantity,
    }


@pytest.mark.parametrize(
    ("quantity", "words"),
    [
        ("0", "Order at least 1 license"),
        ("-2", "can't be negative"),
        ("twelve", "whole number"),
        ("276", "limited to 300 licenses in Nordwind Logistics B.V., which has 25: at most 275"),
    ],
)
async def test_bad_quantities(slack, emulator, bot, sandbox, synced, quantity, words):
    modal = await open_modal(slack, emulator, "order nordwind")
    errors = await refused(slack, bot, sandbox, modal, one_line(BUSINESS_BASIC, quantity))
    assert list(errors) == [line_block(QUANTITY, "1")]
    assert words in errors[line_block(QUANTITY, "1")]


async def test_an_unknown_group(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    errors = await refused(
        slack, bot, sandbox, modal, one_line(OFFICE_E3, "2", tenant="csp2-gone00.o365.ovh")
    )
    assert "doesn't know this license group" in errors[BlockId.TENANT]


async def test_a_suspended_group(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order van der berg")
    reason = "Van der Berg Architecten is suspended right now: no licenses can be ordered in it."
    assert reason in blocks_text(modal["blocks"])  # said at once, and nothing is offered
    assert line_block(LICENSE, "1") not in str(modal["blocks"])
    errors = await refused(slack, bot, sandbox, modal, {BlockId.TENANT: VANDERBERG})
    assert errors == {BlockId.TENANT: reason}


async def test_an_unknown_license(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    forged = with_option(modal, line_block(LICENSE, "1"), "99999")
    errors = await refused(slack, bot, sandbox, forged, one_line("99999", "2"))
    assert errors == {
        line_block(LICENSE, "1"): (
            "This license can't be ordered in Nordwind Logistics B.V.: choose one from the list."
        )
    }


async def test_a_license_closed_since_the_modal_opened(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    sandbox.patch_license(NORDWIND, OFFICE_E3, new_subscriptions_allowed=False)
    await bot.runtime.syncer.sync_all()
    errors = await refused(slack, bot, sandbox, modal, one_line(OFFICE_E3, "2"))
    assert "Office 365 E3 is closed to new subscriptions" in errors[line_block(LICENSE, "1")]


async def test_duplicate_lines(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    typed = one_line(OFFICE_E3, "2")
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    errors = await refused(
        slack,
        bot,
        sandbox,
        modal,
        typed | {line_block(LICENSE, "2"): OFFICE_E3, line_block(QUANTITY, "2"): "3"},
    )
    assert errors == {
        line_block(LICENSE, "2"): (
            "This license is already on line 1: put all its licenses on one line."
        )
    }


async def test_an_add_on_without_a_parent(slack, emulator, bot, sandbox, synced):
    """Submitted before Slack showed the parent choice (no dispatch): said at the license."""
    modal = await open_modal(slack, emulator, "order nordwind")
    errors = await refused(slack, bot, sandbox, modal, one_line(TEAMS_AUDIO_CONFERENCING, "2"))
    assert errors == {
        line_block(LICENSE, "1"): (
            "Microsoft Teams Audio Conferencing is an add-on: choose the subscription it "
            "attaches to."
        )
    }


async def test_an_add_on_with_an_empty_parent_choice(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    typed = one_line(TEAMS_AUDIO_CONFERENCING, "2")
    modal = await act(
        slack, emulator, modal, OrderAction.LICENSE, typed, selected=str(TEAMS_AUDIO_CONFERENCING)
    )
    errors = await refused(slack, bot, sandbox, modal, typed)
    assert errors == {line_block(PARENT, "1"): "Choose the subscription this add-on attaches to."}


async def test_an_add_on_is_offered_only_under_subscriptions_ovhcloud_lists_it_for(
    slack, emulator, bot, sandbox, synced
):
    """Exchange Online Archiving goes on Basic and Exchange (Plan 1) in Nordwind, not on E3:
    what `availableAddonLicenses` said at the sync, whatever the license types suggest."""
    assert await sandbox.available_addon_licenses(NORDWIND, NORDWIND_E3) == [
        TEAMS_AUDIO_CONFERENCING]
    modal = await open_modal(slack, emulator, "order nordwind")
    typed = one_line(EXCHANGE_ARCHIVING, "2")
    modal = await act(slack, emulator, modal, OrderAction.LICENSE, typed,
                      selected=str(EXCHANGE_ARCHIVING))
    assert option_values(modal, line_block(PARENT, "1")) == [
        str(NORDWIND_BASIC), str(NORDWIND_EXCHANGE)]
    # a choice the modal never offered (forged, or from an older modal) is refused in words
    forged = with_option(modal, line_block(PARENT, "1"), str(NORDWIND_E3))
    errors = await refused(slack, bot, sandbox, forged,
                           typed | {line_block(PARENT, "1"): NORDWIND_E3})
    assert errors == {line_block(PARENT, "1"): (
        f"Subscription {NORDWIND_E3} can't take Exchange Online Archiving: OVHcloud offers it "
        f"only on subscriptions {NORDWIND_BASIC} and {NORDWIND_EXCHANGE}.")}


async def test_an_add_on_no_subscription_of_the_group_can_take_is_explained(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order bellavista")
    typed = one_line(EXCHANGE_ARCHIVING, "1", tenant=BELLAVISTA)
    modal = await act(slack, emulator, modal, OrderAction.LICENSE, typed,
                      selected=str(EXCHANGE_ARCHIVING))
    why = ("No subscription of Trattoria Bellavista S.r.l. can take Exchange Online Archiving: "
           "OVHcloud offers it on none of them. Order a main license it goes with first.")
    assert line_block(PARENT, "1") not in [b.get("block_id") for b in modal["blocks"]]
    assert why in blocks_text(modal["blocks"])
    errors = await refused(slack, bot, sandbox, modal, typed)
    assert errors == {line_block(LICENSE, "1"): why}


async def test_the_bot_never_sends_an_add_on_ovhcloud_would_refuse(
    slack, emulator, bot, sandbox, synced
):
    """Every add-on on every subscription of every open group, forged into the form where the
    modal did not offer it: what the bot lets through is confirmed and sent, and OVHcloud's own
    rule (the sandbox answers 400 to an orderAddon outside availableAddonLicenses) takes all of
    it — every request ends done."""
    tried, confirmed = 0, []
    for service, record in list(sandbox.world.tenants.items()):
        if record.tenant.status != "ok":
            continue
        for addon in [lid for lid, lic in record.licenses.items() if lic.is_addon]:
            for parent in list(record.subscriptions):
                modal = await open_modal(slack, emulator, f"order {service}")
                typed = one_line(addon, "1", tenant=service)
                modal = await act(slack, emulator, modal, OrderAction.LICENSE, typed,
                                  selected=str(addon))
                parent_block = line_block(PARENT, "1")
                if any(b.get("block_id") == parent_block for b in modal["blocks"]):
                    modal = with_option(modal, parent_block, str(parent))
                    typed |= {parent_block: parent}
                reply = await slack.submit(modal, typed)
                tried += 1
                if reply.json.get("response_action") == "errors":
                    continue
                answer = await slack.submit(reply.view, {})
                assert answer.json.get("response_action") == "clear", answer.body
                draft_id = int(reply.view["private_metadata"])
                confirmed.append((await confirmed_request(bot.runtime.db, draft_id)).id)
    await settle(bot.runtime)
    assert tried > 20 and 0 < len(confirmed) < tried
    assert len(sandbox.calls("orderAddon")) == len(confirmed)
    for request_id in confirmed:
        assert (await load(bot.runtime.db, request_id)).state is RequestState.DONE


async def test_a_new_group_with_a_bad_email_phone_and_mpn_id(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order new")
    values = CONTACT | {
        OrderBlock.MPN_ID: "61-80",
        OrderBlock.EMAIL: "camille.martin@brasserie",
        OrderBlock.PHONE: "04 91 23 45 67",
        line_block(LICENSE, "1"): OFFICE_E3,
        line_block(QUANTITY, "1"): "0",
    }
    errors = await refused(slack, bot, sandbox, modal, values)
    assert set(errors) == {
        OrderBlock.MPN_ID,
        OrderBlock.EMAIL,
        OrderBlock.PHONE,
        line_block(QUANTITY, "1"),
    }
    assert "6 to 10 digits" in errors[OrderBlock.MPN_ID]
    assert "not a valid email address" in errors[OrderBlock.EMAIL]
    assert "international format" in errors[OrderBlock.PHONE]
    assert sandbox.calls("orderTenant") == []


async def test_a_new_group_over_a_license_limit(slack, emulator, bot, sandbox, synced):
    modal = await open_modal(slack, emulator, "order new")
    errors = await refused(
        slack,
        bot,
        sandbox,
        modal,
        CONTACT | {line_block(LICENSE, "1"): BUSINESS_BASIC, line_block(QUANTITY, "1"): "301"},
    )
    assert "limited to 300 licenses in the new license group" in errors[line_block(QUANTITY, "1")]


async def test_an_unmatched_group_in_the_command_opens_the_modal_and_says_so(
    slack, emulator, bot, synced
):
    before = len(emulator.calls_of("views.open"))
    reply = await slack.command("order zzqx")
    assert "zzqx" not in (reply.text or "")  # not behind the modal, in the channel
    assert len(emulator.calls_of("views.open")) == before + 1
    modal = emulator.calls_of("views.open")[-1]["view"]
    assert "No license group matches “zzqx”: pick one below." in str(modal["blocks"])
