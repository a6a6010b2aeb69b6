"""Ordering licenses end to end: `/csp order` through the Slack emulator, the modal changed in
place, the priced confirmation, approval when an order is large, the worker sending one call per
line to the sandbox, and what people see on the status card."""

from __future__ import annotations

import copy

from bot.core.domain import RequestState, StepState
from bot.core.ids import BlockId, HomeAction, OrderAction, OrderBlock, PipelineAction
from bot.orders.form import LineField, OrderMeta, line_block
from bot.pipeline.transitions import confirmed_request, load, load_steps
from bot.provider.base import BadParameters
from bot.provider.sandbox_data import (
    BUSINESS_BASIC,
    EXCHANGE_PLAN1,
    NORDWIND,
    NORDWIND_E3,
    OFFICE_E3,
    OFFICE_E5,
    TEAMS_AUDIO_CONFERENCING,
)
from tests.conftest import ALICE, APPROVALS_CHANNEL, SAM, STAFF_CHANNEL
from tests.flows.conftest import latest_view, open_modal, over_http, settle
from tests.slack_emulator import blocks_text, state_values

LICENSE, QUANTITY, PARENT = LineField.LICENSE, LineField.QUANTITY, LineField.PARENT


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def block_ids(view: dict) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b.get("block_id")]


def option_values(view: dict, block_id: str) -> list[str]:
    return [o["value"] for o in block(view, block_id)["element"]["options"]]


async def act(
    slack,
    emulator,
    view: dict,
    action_id: str,
    values: dict | None = None,
    value: str | None = None,
    selected: str | None = None,
) -> dict:
    """A click or a choice in the modal, with what is typed in it; returns the updated modal
    and checks that the bot updated it in place, guarded by the view's hash."""
    before = len(emulator.calls_of("views.update"))
    shown = {**view, "state": {"values": state_values(view, values or {})}}
    reply = await slack.action(action_id, view=shown, value=value, selected=selected)
    assert reply.status == 200, reply.body
    updates = emulator.calls_of("views.update")
    assert len(updates) == before + 1
    assert updates[-1]["view_id"] == view["id"] and updates[-1]["hash"] == view["hash"]
    return emulator.views[view["id"]]


async def review(slack, view: dict, values: dict, user: str = ALICE):
    reply = await slack.submit(view, values, user=user)
    assert reply.status == 200, reply.body
    return reply


async def confirm(slack, bot, reply, user: str = ALICE):
    """Presses Confirm on the pushed confirmation; returns the stored request."""
    assert reply.view is not None, reply.body
    answer = await slack.submit(reply.view, {}, user=user)
    assert answer.json.get("response_action") == "clear", answer.body
    await bot.runtime.notifier.settle()
    return await confirmed_request(bot.runtime.db, int(reply.view["private_metadata"]))


def card_text(emulator, request) -> str:
    return emulator.message(request.card_channel, request.card_ts).all_text


# --- one line, several lines -----------------------------------------------------------------


async def test_a_one_line_order_is_priced_confirmed_sent_once_and_done(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order nordwind")
    tenant = block(modal, BlockId.TENANT)["element"]
    assert tenant["initial_option"]["value"] == NORDWIND  # prefilled from the command
    offered = option_values(modal, line_block(LICENSE, "1"))
    assert str(OFFICE_E3) in offered and str(TEAMS_AUDIO_CONFERENCING) in offered
    assert "10031" not in offered and "10032" not in offered  # closed to new subscriptions

    reply = await review(
        slack,
        modal,
        {
            BlockId.TENANT: NORDWIND,
            line_block(LICENSE, "1"): OFFICE_E3,
            line_block(QUANTITY, "1"): "5",
        },
    )
    shown = blocks_text(reply.view["blocks"])
    assert "5 × Office 365 E3" in shown
    assert "22.00 EUR per license · 110.00 EUR a month" in shown
    assert "Nordwind Logistics B.V." in shown and "never sent again" in shown
    assert "No approval is needed" in shown

    request = await confirm(slack, bot, reply)
    assert request.state is RequestState.QUEUED and request.tenant == NORDWIND
    assert sandbox.calls("addSubscription") == []  # nothing sent before the worker runs

    await settle(bot.runtime)
    await settle(bot.runtime)  # a second pass sends nothing again
    assert sandbox.calls("addSubscription") == [{"licenseId": OFFICE_E3, "quantity": 5}]
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.DONE
    assert request.card_channel == STAFF_CHANNEL
    assert "Done" in card_text(emulator, request)
    [step] = await load_steps(bot.runtime.db, request.id)
    created = step.result["subscription_id"]
    async with bot.runtime.db.session() as session:
        from store.cache import get_subscription

        cached = await get_subscription(session, created)
    assert cached is not None and cached.quantity == 5  # the cache was refreshed


async def test_several_lines_added_in_the_modal_become_one_call_each(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order nordwind")
    typed = {
        BlockId.TENANT: NORDWIND,
        line_block(LICENSE, "1"): OFFICE_E3,
        line_block(QUANTITY, "1"): "5",
    }
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    assert line_block(QUANTITY, "1") in block_ids(modal) and line_block(QUANTITY, "2") in block_ids(
        modal
    )
    # what was typed in line 1 is still there
    assert block(modal, line_block(QUANTITY, "1"))["element"]["initial_value"] == "5"
    assert block(modal, line_block(LICENSE, "1"))["element"]["initial_option"]["value"] == str(
        OFFICE_E3
    )
    typed |= {line_block(LICENSE, "2"): BUSINESS_BASIC, line_block(QUANTITY, "2"): "10"}
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    typed |= {line_block(LICENSE, "3"): EXCHANGE_PLAN1, line_block(QUANTITY, "3"): "3"}
    # a fourth line, then removed again: the others keep their blocks and values
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    modal = await act(slack, emulator, modal, OrderAction.REMOVE_LINE, typed, value="4")
    assert line_block(LICENSE, "4") not in block_ids(modal)
    assert OrderMeta.load(modal["private_metadata"]).lines == ["1", "2", "3"]
    assert block(modal, line_block(QUANTITY, "2"))["element"]["initial_value"] == "10"

    reply = await review(slack, modal, typed)
    shown = blocks_text(reply.view["blocks"])
    assert "10 × Microsoft 365 Business Basic" in shown and "3 × Exchange Online (Plan 1)" in shown
    assert "177.10 EUR" in shown  # 110.00 + 56.00 + 11.10 a month

    request = await confirm(slack, bot, reply)
    await settle(bot.runtime)
    assert sandbox.calls("addSubscription") == [
        {"licenseId": OFFICE_E3, "quantity": 5},
        {"licenseId": BUSINESS_BASIC, "quantity": 10},
        {"licenseId": EXCHANGE_PLAN1, "quantity": 3},
    ]
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.DONE
    steps = await load_steps(bot.runtime.db, request.id)
    assert [s.state for s in steps] == [StepState.DONE] * 3


async def test_changing_the_group_refreshes_the_choices_in_place(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order")
    assert line_block(LICENSE, "1") not in block_ids(modal)  # no group yet: nothing to choose
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, {})
    modal = await act(
        slack, emulator, modal, "options_tenant", {BlockId.TENANT: NORDWIND}, selected=NORDWIND
    )
    assert OrderMeta.load(modal["private_metadata"]).tenant == NORDWIND
    typed = {
        BlockId.TENANT: NORDWIND,
        line_block(LICENSE, "1"): OFFICE_E3,
        line_block(QUANTITY, "1"): "4",
        line_block(LICENSE, "2"): BUSINESS_BASIC,
        line_block(QUANTITY, "2"): "7",
    }
    # Basic is at its limit in Padaria now: it is not offered there, E3 is.
    sandbox.patch_license("csp2-pl5r2t.o365.ovh", BUSINESS_BASIC, limit=9)
    await bot.runtime.syncer.sync_all()
    modal = await act(
        slack,
        emulator,
        modal,
        "options_tenant",
        typed | {BlockId.TENANT: "csp2-pl5r2t.o365.ovh"},
        selected="csp2-pl5r2t.o365.ovh",
    )
    meta = OrderMeta.load(modal["private_metadata"])
    assert meta.tenant == "csp2-pl5r2t.o365.ovh"
    assert meta.lines[0] == "1"  # E3 still applies: same blocks, kept
    assert block(modal, line_block(LICENSE, "1"))["element"]["initial_option"]["value"] == str(
        OFFICE_E3
    )
    fresh = meta.lines[1]
    assert fresh != "2"  # Basic does not apply: new blocks so Slack forgets it
    assert "initial_option" not in block(modal, line_block(LICENSE, fresh))["element"]
    assert block(modal, line_block(QUANTITY, fresh))["element"]["initial_value"] == "7"
    assert str(BUSINESS_BASIC) not in option_values(modal, line_block(LICENSE, fresh))


async def test_the_app_home_button_opens_the_order_modal(slack, emulator, bot, synced):
    reply = await slack.action(HomeAction.ORDER)
    assert reply.status == 200
    [opened] = emulator.calls_of("views.open")
    assert opened["view"]["callback_id"] == "order_form"
    assert block(opened["view"], BlockId.TENANT)["element"]["action_id"] == "options_tenant"
    # the group select is served by the cache's typeahead
    answer = await slack.suggest(
        "options_tenant", "nordw", block_id=BlockId.TENANT, view=latest_view(emulator)
    )
    assert [o["value"] for o in answer.json["options"]] == [NORDWIND]


async def test_an_update_built_from_an_older_modal_is_dropped_quietly(slack, emulator, bot, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    newer = await act(slack, emulator, modal, OrderAction.ADD_LINE, {})
    # A second click Slack sent before the first update reached the user: its view is older.
    reply = await slack.action(OrderAction.ADD_LINE, view={**modal, "state": {"values": {}}})
    assert reply.status == 200, reply.body
    assert emulator.calls_of("views.update")[-1]["hash"] == modal["hash"]  # refused by Slack
    assert emulator.views[modal["id"]] == newer  # the newer modal stays as it was
    assert emulator.ephemerals(ALICE) == [] and not emulator.messages.get("DU0ALICE")


# --- add-ons ---------------------------------------------------------------------------------


async def test_an_add_on_is_ordered_on_the_subscription_chosen_for_it(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order nordwind")
    typed = {
        BlockId.TENANT: NORDWIND,
        line_block(LICENSE, "1"): TEAMS_AUDIO_CONFERENCING,
        line_block(QUANTITY, "1"): "3",
    }
    modal = await act(
        slack, emulator, modal, OrderAction.LICENSE, typed, selected=str(TEAMS_AUDIO_CONFERENCING)
    )
    parents = option_values(modal, line_block(PARENT, "1"))
    assert str(NORDWIND_E3) in parents
    assert "480102" not in parents  # itself an add-on: cannot carry one
    reply = await review(slack, modal, typed | {line_block(PARENT, "1"): NORDWIND_E3})
    assert "add-on of Office 365 E3 (480101)" in blocks_text(reply.view["blocks"])
    request = await confirm(slack, bot, reply)
    await settle(bot.runtime)
    assert sandbox.calls("orderAddon") == [{"licenseId": TEAMS_AUDIO_CONFERENCING, "quantity": 3}]
    [call] = [c for c in sandbox.call_log if c.op == "orderAddon"]
    assert call.target == NORDWIND_E3
    assert (await load(bot.runtime.db, request.id)).state is RequestState.DONE


# --- a new license group ---------------------------------------------------------------------

CONTACT = {
    OrderBlock.MPN_ID: "6180342",
    OrderBlock.DISPLAY_NAME: "Brasserie du Port SARL",
    OrderBlock.SUBDOMAIN: "brasserieduport",
    OrderBlock.FIRST_NAME: "Camille",
    OrderBlock.LAST_NAME: "Martin",
    OrderBlock.EMAIL: "camille.martin@brasserie-du-port.fr",
    OrderBlock.PHONE: "+33 4 91 23 45 67",
    OrderBlock.ADDRESS: "12 quai du Port",
    OrderBlock.CITY: "Marseille",
    OrderBlock.ZIP_CODE: "13002",
    OrderBlock.COUNTRY: "FR",
}


# --- approval above the thresholds -----------------------------------------------------------


async def test_a_large_order_waits_for_a_support_agent(
    slack, emulator, bot, sandbox, synced, agents
):
    modal = await open_modal(slack, emulator, "order nordwind")
    reply = await review(
        slack,
        modal,
        {
            BlockId.TENANT: NORDWIND,
            line_block(LICENSE, "1"): OFFICE_E3,
            line_block(QUANTITY, "1"): "60",
        },
    )
    shown = blocks_text(reply.view["blocks"])
    assert "A support agent must approve this order" in shown and "60 licenses" in shown
    request = await confirm(slack, bot, reply)
    assert request.state is RequestState.AWAITING_APPROVAL
    await settle(bot.runtime)
    assert sandbox.calls("addSubscription") == []  # nothing sent before the approval

    card = emulator.message(request.approval_channel, request.approval_ts)
    assert request.approval_channel == APPROVALS_CHANNEL and "60 × Office 365 E3" in card.all_text
    answer = await slack.action(
        PipelineAction.APPROVE, value=str(request.id), user=SAM, message=card
    )
    assert answer.status == 200
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    assert sandbox.calls("addSubscription") == [{"licenseId": OFFICE_E3, "quantity": 60}]
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.DONE and request.decided_by == SAM


async def test_an_expensive_order_of_few_seats_also_waits(slack, emulator, bot, synced):
    modal = await open_modal(slack, emulator, "order nordwind")
    reply = await review(
        slack,
        modal,
        {  # 30 × 36.20 = 1,086.00 EUR a month
            BlockId.TENANT: NORDWIND,
            line_block(LICENSE, "1"): OFFICE_E5,
            line_block(QUANTITY, "1"): "30",
        },
    )
    assert "1,086.00 EUR a month (more than 1,000.00 EUR)" in blocks_text(reply.view["blocks"])
    request = await confirm(slack, bot, reply)
    assert request.needs_approval and request.state is RequestState.AWAITING_APPROVAL


# --- a partial failure -----------------------------------------------------------------------


async def test_a_failed_line_is_reported_alone_and_a_retry_never_resends_the_others(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order nordwind")
    typed = {
        BlockId.TENANT: NORDWIND,
        line_block(LICENSE, "1"): OFFICE_E3,
        line_block(QUANTITY, "1"): "2",
    }
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    typed |= {line_block(LICENSE, "2"): TEAMS_AUDIO_CONFERENCING, line_block(QUANTITY, "2"): "4"}
    modal = await act(
        slack, emulator, modal, OrderAction.LICENSE, typed, selected=str(TEAMS_AUDIO_CONFERENCING)
    )
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    typed |= {
        line_block(PARENT, "2"): NORDWIND_E3,
        line_block(LICENSE, "3"): BUSINESS_BASIC,
        line_block(QUANTITY, "3"): "6",
    }
    request = await confirm(slack, bot, await review(slack, modal, typed))

    # The second line's call (the only orderAddon) is refused by the provider.
    refusal = BadParameters(
        "License 10040 is not available for this subscription",
        status=400,
        error_class="Client::BadRequest",
        query_id="EU.ext-3.6b1f",
    )
    sandbox.faults.set(fail_next=[("orderAddon", refusal)])
    await settle(bot.runtime)
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.FAILED
    steps = await load_steps(bot.runtime.db, request.id)
    assert [s.state for s in steps] == [StepState.DONE, StepState.FAILED, StepState.DONE]
    card = card_text(emulator, request)
    assert "License 10040 is not available for this subscription" in card
    query_id = steps[1].provider_query_id  # over HTTP, the one the server tagged its answer with
    assert query_id.startswith("EU.sandbox-" if over_http(bot) else "EU.ext-3.6b1f")
    assert query_id in card

    message = emulator.message(request.card_channel, request.card_ts)
    answer = await slack.action(
        PipelineAction.RETRY, value=str(request.id), user=ALICE, message=message
    )
    assert answer.status == 200, answer.body
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.DONE, request.error
    # Lines 1 and 3 went through the first time and were never sent again.
    assert sandbox.calls("addSubscription") == [
        {"licenseId": OFFICE_E3, "quantity": 2},
        {"licenseId": BUSINESS_BASIC, "quantity": 6},
    ]
    assert sandbox.calls("orderAddon") == [
        {"licenseId": TEAMS_AUDIO_CONFERENCING, "quantity": 4},
        {"licenseId": TEAMS_AUDIO_CONFERENCING, "quantity": 4},
    ]


async def test_the_card_and_the_dm_name_the_licenses_of_the_lines(
    slack, emulator, bot, sandbox, synced
):
    modal = await open_modal(slack, emulator, "order nordwind")
    typed = {
        BlockId.TENANT: NORDWIND,
        line_block(LICENSE, "1"): OFFICE_E3,
        line_block(QUANTITY, "1"): "5",
    }
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    typed |= {line_block(LICENSE, "2"): TEAMS_AUDIO_CONFERENCING, line_block(QUANTITY, "2"): "2"}
    modal = await act(
        slack, emulator, modal, OrderAction.LICENSE, typed, selected=str(TEAMS_AUDIO_CONFERENCING)
    )
    request = await confirm(
        slack, bot, await review(slack, modal, typed | {line_block(PARENT, "2"): NORDWIND_E3})
    )
    card = card_text(emulator, request)
    assert "1. Add Office 365 E3 × 5" in card
    assert "2. Add Microsoft Teams Audio Conferencing × 2 on subscription 480101" in card
    assert "license 10021" not in card and "10040" not in card  # names, not ids

    sandbox.faults.set(fail_next=[("orderAddon", BadParameters(
        "Not available for this subscription", status=400, error_class="Client::BadRequest"))])
    await settle(bot.runtime)
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.FAILED
    card = card_text(emulator, request)
    assert "1. Add Office 365 E3 × 5" in card and "on subscription 480101 · _failed_" in card
    dm = emulator.last_message(f"D{ALICE}").all_text
    assert "Line 1 (new subscription of Office 365 E3, 5 seats): done" in dm
    assert ("Line 2 (add-on Microsoft Teams Audio Conferencing on subscription 480101, 2 seats): "
            "failed: Not available for this subscription") in dm


# --- bad input, next to its field ------------------------------------------------------------


def with_option(view: dict, block_id: str, value: str) -> dict:
    """The modal with one more option in a select: what a stale or forged choice looks like."""
    view = copy.deepcopy(view)
    element = block(view, block_id)["element"]
    element["options"].append({"text": {"type": "plain_text", "text": value}, "value": value})
    return view
