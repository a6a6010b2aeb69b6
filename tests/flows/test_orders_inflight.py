"""License limits count the seats of confirmed requests still under way: two orders (or an order
and a seat increase) confirmed one after the other must not pass a license's `limit` together,
or OVHcloud refuses the second one when the worker sends it."""

from __future__ import annotations

from bot.core.domain import RequestState
from bot.core.ids import BlockId, PipelineAction, SeatsBlock, SubscriptionChoiceBlock
from bot.orders.form import LineField, line_block
from bot.pipeline.transitions import confirmed_request, load
from bot.provider.sandbox_data import BUSINESS_BASIC, NORDWIND, NORDWIND_BASIC
from tests.conftest import ALICE, BOB, SAM
from tests.flows.conftest import open_modal, settle

QUANTITY = line_block(LineField.QUANTITY, "1")
SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"
# Nordwind has 25 seats of Business Basic (limit 300) in NORDWIND_BASIC.
UP_TO_LIMIT_MINUS_2 = 273


def order_of(quantity: int) -> dict:
    return {
        BlockId.TENANT: NORDWIND,
        line_block(LineField.LICENSE, "1"): BUSINESS_BASIC,
        QUANTITY: str(quantity),
    }


async def submit(slack, emulator, text: str, values: dict, user: str = ALICE):
    """Opens `/csp <text>`, submits `values`: the reply (errors, or the pushed confirmation)."""
    modal = await open_modal(slack, emulator, text, user=user)
    reply = await slack.submit(modal, values, user=user)
    assert reply.status == 200, reply.body
    return reply


async def confirmed(slack, bot, reply, user: str = ALICE):
    """Presses Confirm on the pushed confirmation; returns the stored request."""
    assert reply.view is not None and not reply.errors, reply.body
    answer = await slack.submit(reply.view, {}, user=user)
    assert answer.json.get("response_action") == "clear", answer.body
    await bot.runtime.notifier.settle()
    return await confirmed_request(bot.runtime.db, int(reply.view["private_metadata"]))


async def test_a_second_order_is_refused_while_the_first_is_on_its_way(
    slack, emulator, bot, sandbox, synced, agents
):
    first = await confirmed(
        slack, bot, await submit(slack, emulator, "order nordwind", order_of(UP_TO_LIMIT_MINUS_2))
    )
    assert first.state is RequestState.AWAITING_APPROVAL  # a large order: not sent yet

    reply = await submit(slack, emulator, "order nordwind", order_of(5), user=BOB)
    assert reply.errors == {
        QUANTITY: "Microsoft 365 Business Basic is limited to 300 licenses in Nordwind Logistics "
        "B.V., which has 25, and 273 seats are already on their way in other requests: at most "
        "2 more can be ordered."
    }

    # approved, queued: still on its way, still counted
    card = emulator.message(first.approval_channel, first.approval_ts)
    await slack.action(PipelineAction.APPROVE, value=str(first.id), user=SAM, message=card)
    await bot.runtime.notifier.settle()
    assert (await load(bot.runtime.db, first.id)).state is RequestState.QUEUED
    reply = await submit(slack, emulator, "order nordwind", order_of(5), user=BOB)
    assert "273 seats are already on their way" in reply.errors[QUANTITY]
    # what is left fits; a draft nobody confirmed takes nothing
    reply = await submit(slack, emulator, "order nordwind", order_of(2), user=BOB)
    assert reply.view is not None and not reply.errors
    assert sandbox.calls("addSubscription") == []

    # once sent and done, the seats are in the cache and are counted once, not twice
    await settle(bot.runtime)
    assert (await load(bot.runtime.db, first.id)).state is RequestState.DONE
    reply = await submit(slack, emulator, "order nordwind", order_of(5), user=BOB)
    assert reply.errors[QUANTITY] == (
        "Microsoft 365 Business Basic is limited to 300 licenses in Nordwind Logistics B.V., "
        "which has 298: at most 2 more can be ordered."
    )
    assert sandbox.calls("addSubscription") == [
        {"licenseId": BUSINESS_BASIC, "quantity": UP_TO_LIMIT_MINUS_2}
    ]


async def test_a_seat_increase_is_refused_while_an_order_is_on_its_way(
    slack, emulator, bot, sandbox, synced
):
    await confirmed(
        slack, bot, await submit(slack, emulator, "order nordwind", order_of(UP_TO_LIMIT_MINUS_2))
    )
    seats = {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_BASIC}
    reply = await submit(slack, emulator, "seats", seats | {SeatsBlock.NEW_TOTAL: 30}, user=BOB)
    assert reply.errors == {
        SeatsBlock.NEW_TOTAL: "Microsoft 365 Business Basic is limited to 300 seats in this "
        "license group, 0 are in other subscriptions and 273 seats are already on their way in "
        "other requests: this one can have at most 27."
    }
    reply = await submit(slack, emulator, "seats", seats | {SeatsBlock.NEW_TOTAL: 27}, user=BOB)
    assert reply.view is not None and not reply.errors
    assert sandbox.calls("changeQuantity") == []


async def test_an_order_is_refused_while_a_seat_increase_is_on_its_way(
    slack, emulator, bot, sandbox, synced
):
    seats = {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_BASIC, SeatsBlock.NEW_TOTAL: 296}
    increase = await confirmed(slack, bot, await submit(slack, emulator, "seats", seats))
    assert increase.state is RequestState.QUEUED  # 25 → 296, not sent yet

    reply = await submit(slack, emulator, "order nordwind", order_of(5), user=BOB)
    assert reply.errors == {
        QUANTITY: "Microsoft 365 Business Basic is limited to 300 licenses in Nordwind Logistics "
        "B.V., which has 25, and 271 seats are already on their way in other requests: at most "
        "4 more can be ordered."
    }
    assert sandbox.calls("addSubscription") == []
