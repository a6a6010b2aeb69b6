"""What people type after a subcommand is used, or named back inside the modal it opens."""

from __future__ import annotations

import pytest

from bot.core.ids import OrderBlock, SeatsBlock, SubscriptionChoiceBlock
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3
from tests.flows.conftest import open_modal
from tests.slack_emulator import blocks_text


def block(view: dict, block_id: str) -> dict | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def new_total(view: dict) -> str | None:
    return block(view, SeatsBlock.NEW_TOTAL)["element"].get("initial_value")


def notice(view: dict) -> str:
    found = block(view, SubscriptionChoiceBlock.NOTICE) or block(view, OrderBlock.NOTICE)
    return blocks_text([found]) if found else ""


@pytest.mark.parametrize(
    ("typed", "total", "said"),
    [
        ("13", "13", ""),
        ("+3", "15", "12 +3 seats: the new total is 15."),
        ("-2", "10", "12 \u22122 seats: the new total is 10."),
        ("\u22122", "10", "12 \u22122 seats: the new total is 10."),
        ("abc", None, "Ignored “abc”: give the new total of seats below (for example 13, +3, "
                      "\u22122)."),
        ("-12", None, "12 \u221212 would leave no seats: to remove them all, cancel the "
                      "subscription."),
    ],
)
async def test_the_seat_number_is_used_absolute_or_relative_or_named_back(
    slack, emulator, synced, typed, total, said
):
    view = await open_modal(slack, emulator, f"seats nordwind {NORDWIND_E3} {typed}")
    assert new_total(view) == total
    assert notice(view) == (f":warning: {said}" if said else "")


async def test_words_after_the_seat_number_are_named_back(slack, emulator, synced):
    view = await open_modal(slack, emulator, f"seats nordwind {NORDWIND_E3} 14 please now")
    assert new_total(view) == "14"
    assert "Ignored “please” and “now”: `/csp seats` takes a group, a subscription and one " \
        "number of seats." in notice(view)


async def test_a_relative_number_without_a_subscription_asks_for_it(slack, emulator, synced):
    view = await open_modal(slack, emulator, "seats nordwind +3")
    assert new_total(view) is None
    assert "“+3” counts from the subscription's seats: choose the subscription" in notice(view)
    # the group was still understood
    tenant = next(b for b in view["blocks"] if b.get("block_id") == "tenant")
    assert tenant["element"]["initial_option"]["value"] == NORDWIND


async def test_an_unknown_group_in_order_is_said_inside_the_modal(slack, emulator, synced):
    before = len(emulator.calls_of("chat.postEphemeral"))
    reply = await slack.command("order nosuch")
    view = emulator.views[max(emulator.views)]
    assert "No license group matches “nosuch”: pick one below." in notice(view)
    assert "nosuch" not in (reply.text or "")  # nothing behind the modal, in the channel
    assert len(emulator.calls_of("chat.postEphemeral")) == before


async def test_cancel_names_the_words_it_does_not_use(slack, emulator, synced):
    view = await open_modal(slack, emulator, f"cancel nordwind {NORDWIND_E3} now")
    assert "Ignored “now”: `/csp cancel` takes a license group and a subscription." in (
        notice(view)
    )
