"""A new license group, end to end through the Slack emulator: `/csp order`, the new-group
form, Confirm, the worker's checkout through the order cart, the card saying "waiting for
payment" with the order's link (and the requester told once), the payment, and the card ending
done with the new group's service name and subscription ids, cached for browsing.

Every test runs against the in-process sandbox and against OvhProvider over HTTP to the
sandbox server (the real cart: catalogue, items, `/me/contact`, configuration, checkout).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app.runtime import Runtime
from bot.app.server import Server
from bot.core.domain import RequestState
from bot.core.ids import OrderAction, OrderBlock
from bot.orders.form import LineField, line_block
from bot.pipeline.transitions import load, load_steps
from bot.provider.cart_config import Requirement
from bot.provider.sandbox import ITEMS_SHAPE
from bot.provider.sandbox_data import BUSINESS_BASIC, OFFICE_E3
from store import cache
from tests.conftest import ALICE
from tests.flows.conftest import open_modal, settle
from tests.flows.test_orders import CONTACT, act, card_text, confirm, review
from tests.provider.conftest import serving

LICENSE, QUANTITY = LineField.LICENSE, LineField.QUANTITY
POLL = timedelta(seconds=61)  # past CSP_ORDER_POLL_SECONDS (60 by default)


@pytest.fixture(params=["sandbox", "http"])
async def bot(request, settings, sandbox, clock) -> AsyncIterator[Server]:
    """The app on the in-process sandbox, or on OvhProvider talking HTTP to the sandbox."""
    if request.param == "sandbox":
        server = Server(settings, Runtime(settings, provider=sandbox, clock=clock))
        await server.start(background=False)
        yield server
        await server.stop()
        return
    async with serving(sandbox) as http:
        client = http.client(timeout=10)
        server = Server(settings, Runtime(settings, provider=client, clock=clock))
        await server.start(background=False)
        yield server
        await server.stop()


def dm_texts(emulator, user: str = ALICE) -> list[str]:
    return [m.text for m in emulator.messages["D" + user]]


async def order_new_group(slack, emulator, bot):
    """Fills the new-group form (10 × Office 365 E3, 4 × Business Basic) and confirms it."""
    modal = await open_modal(slack, emulator, "order")
    modal = await act(slack, emulator, modal, OrderAction.NEW_GROUP)
    typed = CONTACT | {line_block(LICENSE, "1"): OFFICE_E3, line_block(QUANTITY, "1"): "10"}
    modal = await act(slack, emulator, modal, OrderAction.ADD_LINE, typed)
    typed |= {line_block(LICENSE, "2"): BUSINESS_BASIC, line_block(QUANTITY, "2"): "4"}
    request = await confirm(slack, bot, await review(slack, modal, typed))
    assert request.state is RequestState.QUEUED and request.tenant is None
    return request


async def test_a_new_group_waits_for_payment_then_is_done_with_its_subscriptions(
    slack, emulator, bot, sandbox, synced, clock
):
    request = await order_new_group(slack, emulator, bot)
    await settle(bot.runtime)

    [order] = sandbox.calls("orderTenant")
    assert order["mpnId"] == "6180342" and order["subdomain"] == "brasserieduport"
    assert order["contact"]["email"] == "camille.martin@brasserie-du-port.fr"
    assert order["licenses"] == [
        {"licenseId": OFFICE_E3, "quantity": 10},
        {"licenseId": BUSINESS_BASIC, "quantity": 4},
    ]
    [order_id] = sandbox.unpaid_orders()
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.RUNNING
    card = emulator.message(request.card_channel, request.card_ts)
    assert card.text.endswith(": waiting for payment")
    shown = card.all_text
    assert "Waiting for payment" in shown and f"order {order_id}" in shown
    assert f"<https://sandbox.invalid/order/{order_id}|open it at OVHcloud>" in shown
    [told] = dm_texts(emulator)
    assert "waits for payment" in told and f"https://sandbox.invalid/order/{order_id}" in told

    clock.advance(POLL)
    await settle(bot.runtime)  # still unpaid: nothing new, nobody told twice
    assert (await load(bot.runtime.db, request.id)).state is RequestState.RUNNING
    assert len(dm_texts(emulator)) == 1
    assert len(sandbox.calls("orderTenant")) == 1

    await sandbox.pay_order(order_id)
    clock.advance(POLL)
    await settle(bot.runtime)

    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.DONE, request.error
    [step] = await load_steps(bot.runtime.db, request.id)
    created = step.result["service_name"]
    tenant = sandbox.world.tenants[created]
    assert tenant.tenant.display_name == "Brasserie du Port SARL"
    subs = {s.subscription.license_id: s.subscription.id for s in tenant.subscriptions.values()}
    shown = card_text(emulator, request)
    assert "Done" in shown and f"`{created}`" in shown
    assert f"`{subs[OFFICE_E3]}` Office 365 E3 × 10" in shown
    assert f"`{subs[BUSINESS_BASIC]}` Microsoft 365 Business Basic × 4" in shown
    assert "is done" in dm_texts(emulator)[-1]
    async with bot.runtime.db.session() as session:  # cached at once, for /csp subs
        assert await cache.get_tenant(session, created) is not None
    assert len(sandbox.calls("orderTenant")) == 1  # ordered exactly once


async def test_with_auto_pay_the_new_group_is_done_at_once(
    slack, emulator, bot, sandbox, synced, auto_pay
):
    request = await order_new_group(slack, emulator, bot)
    await settle(bot.runtime)
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.DONE, request.error
    assert sandbox.unpaid_orders() == []
    [told] = dm_texts(emulator)  # only "is done": no payment news
    assert "is done" in told
    assert "Waiting for payment" not in "\n".join(
        h["text"] for h in emulator.message(request.card_channel, request.card_ts).history
    )


@pytest.fixture
def auto_pay(bot, sandbox):
    """CSP_OVH_AUTO_PAY=true, as build_provider passes it to either provider."""
    sandbox.auto_pay = True
    bot.runtime.provider.auto_pay = True


async def test_a_label_the_bot_cannot_fill_fails_the_request_naming_it(
    slack, emulator, bot, sandbox, synced
):
    sandbox.cart_shape = ITEMS_SHAPE
    sandbox.order_requirements.append(Requirement(label="Microsoft tenant GUID"))
    request = await order_new_group(slack, emulator, bot)
    await settle(bot.runtime)
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.FAILED
    assert "“Microsoft tenant GUID” (the order form does not ask for it)" in request.error
    assert "nothing was ordered" in dm_texts(emulator)[-1]
    assert sandbox.unpaid_orders() == [] and sandbox.calls("createContact") == []


async def test_a_cancelled_order_fails_the_request(slack, emulator, bot, sandbox, synced, clock):
    request = await order_new_group(slack, emulator, bot)
    await settle(bot.runtime)
    [order_id] = sandbox.unpaid_orders()
    await sandbox.cancel_order(order_id)
    clock.advance(POLL)
    await settle(bot.runtime)
    request = await load(bot.runtime.db, request.id)
    assert request.state is RequestState.FAILED
    assert f"OVHcloud cancelled order {order_id}" in card_text(emulator, request)


def mpn_initial(view: dict) -> str | None:
    found = next(b for b in view["blocks"] if b.get("block_id") == OrderBlock.MPN_ID)
    return found["element"].get("initial_value")


async def test_the_new_group_form_remembers_the_resellers_mpn_id(slack, emulator, bot, synced):
    modal = await act(slack, emulator, await open_modal(slack, emulator, "order"),
                      OrderAction.NEW_GROUP)
    assert mpn_initial(modal) is None  # nothing ordered yet, no setting
    await order_new_group(slack, emulator, bot)
    again = await open_modal(slack, emulator, "order new")
    assert mpn_initial(again) == CONTACT[OrderBlock.MPN_ID]  # the last one ordered with
    bot.runtime.settings.csp_reseller_mpn_id = "6180399"  # a setting wins
    assert mpn_initial(await open_modal(slack, emulator, "order new")) == "6180399"
