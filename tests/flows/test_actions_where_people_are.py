"""Actions where people look: Order on a group's details, "Order add-on" in a subscription's
menu, and App Home's groups opening their details."""

from __future__ import annotations

from bot.core.ids import BlockId, HomeAction, OrderAction, OrderBlock, SubscriptionAction
from bot.orders.form import LineField, OrderMeta, line_block
from bot.pipeline.transitions import load_steps
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3, TEAMS_AUDIO_CONFERENCING
from tests.conftest import ALICE, STAFF_CHANNEL
from tests.flows.conftest import latest_view, settle
from tests.flows.test_orders import act, block, confirm, review
from tests.slack_emulator import Message, blocks_text


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


async def test_order_from_a_groups_details_opens_the_order_for_that_group(
    slack, emulator, synced
):
    details = await slack.command("tenant nordwind")
    order = buttons(details.json["blocks"])[HomeAction.ORDER]
    assert (order["text"]["text"], order["value"]) == ("Order", NORDWIND)
    await slack.action(HomeAction.ORDER, value=NORDWIND, message=slack.as_message(details))
    modal = latest_view(emulator)
    assert modal["callback_id"] == "order_form"
    assert block(modal, BlockId.TENANT)["element"]["initial_option"]["value"] == NORDWIND
    assert OrderMeta.load(modal["private_metadata"]).channel == STAFF_CHANNEL


async def test_order_add_on_from_a_subscriptions_menu_attaches_it_there(
    slack, emulator, bot, sandbox, synced
):
    listing = await slack.command("subs nordwind")
    menus = [b["accessory"] for b in listing.json["blocks"]
             if b.get("accessory", {}).get("type") == "overflow"]
    values = [o["value"] for m in menus for o in m["options"]]
    assert f"{SubscriptionAction.ORDER_ADDON}:{NORDWIND_E3}" in values
    assert f"{SubscriptionAction.ORDER_ADDON}:480102" not in values  # an add-on itself
    message = Message(STAFF_CHANNEL, "1700000000.000100", "", listing.json["blocks"])
    await slack.action(SubscriptionAction.MENU, action_type="overflow", message=message,
                       selected=f"{SubscriptionAction.ORDER_ADDON}:{NORDWIND_E3}")
    modal = latest_view(emulator)
    assert "Add-ons for Office 365 E3 (480101)" in blocks_text(
        [block(modal, OrderBlock.NOTICE)])
    assert block(modal, BlockId.TENANT)["element"]["initial_option"]["value"] == NORDWIND

    typed = {BlockId.TENANT: NORDWIND,
             line_block(LineField.LICENSE, "1"): TEAMS_AUDIO_CONFERENCING,
             line_block(LineField.QUANTITY, "1"): "2"}  # fmt: skip
    modal = await act(slack, emulator, modal, OrderAction.LICENSE, typed,
                      selected=str(TEAMS_AUDIO_CONFERENCING))
    parent = block(modal, line_block(LineField.PARENT, "1"))["element"]
    assert parent["initial_option"]["value"] == str(NORDWIND_E3)  # attached there already
    reply = await review(slack, modal, typed | {line_block(LineField.PARENT, "1"): NORDWIND_E3})
    assert "add-on of Office 365 E3 (480101)" in blocks_text(reply.view["blocks"])
    request = await confirm(slack, bot, reply)
    await settle(bot.runtime)
    assert sandbox.calls("orderAddon") == [{"licenseId": TEAMS_AUDIO_CONFERENCING, "quantity": 2}]
    [step] = await load_steps(bot.runtime.db, request.id)
    assert step.params["parent_subscription_id"] == NORDWIND_E3


async def test_app_home_groups_open_their_details(slack, emulator, bot, synced):
    await slack.event({"type": "app_home_opened", "user": ALICE, "tab": "home"})
    home = emulator.calls_of("views.publish")[-1]["view"]
    [picker] = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == HomeAction.GROUP_DETAILS]
    assert NORDWIND in [o["value"] for o in picker["options"]]

    await slack.action(HomeAction.GROUP_DETAILS, selected=NORDWIND, action_type="static_select")
    details = latest_view(emulator)
    text = blocks_text(details["blocks"])
    assert "Nordwind Logistics B.V." in text and "`csp2-nw7k3q.o365.ovh`" in text
    order = buttons(details["blocks"])[HomeAction.ORDER]
    # Order, from the modal, is pushed on top of it
    before = len(emulator.calls_of("views.push"))
    await slack.action(HomeAction.ORDER, value=order["value"], view=details)
    assert len(emulator.calls_of("views.push")) == before + 1
    assert latest_view(emulator)["callback_id"] == "order_form"
