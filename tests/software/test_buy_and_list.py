"""Buying software and listing it, end to end: signed requests in through the Slack emulator,
Partner Center calls out (to the sandbox, or over HTTPS to its server)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.domain import RequestState
from bot.core.ids import SoftwareAction, SoftwareBlock
from bot.partner_center import errors
from bot.partner_center.sandbox_data import BIZTALK, CONTOSO_TENANT, RDS_CAL
from bot.software.catalogue import Offer
from store import requests as repo
from tests.conftest import ALICE, STAFF_CHANNEL
from tests.flows.conftest import open_modal, settle
from tests.slack_emulator import blocks_text

BIZTALK_ONCE = Offer(BIZTALK, "0002", None, "one_time").value
RDS_3Y = Offer(RDS_CAL, "000P", "P3Y", "triennial").value


async def last_request(bot):
    async with bot.runtime.db.session() as session:
        return (await repo.recent_requests(session, limit=1))[0]


def card_text(emulator, request_id: int) -> str:
    card = next(m for m in emulator.messages[STAFF_CHANNEL] if f"R{request_id}" in m.all_text)
    return card.all_text


async def buy(slack, emulator, bot, offer: str, quantity: int, customer: str = CONTOSO_TENANT):
    form = await open_modal(slack, emulator, "/csp software buy contoso")
    reply = await slack.submit(form, {SoftwareBlock.CUSTOMER: customer,
                                      SoftwareBlock.OFFER: offer,
                                      SoftwareBlock.QUANTITY: quantity})
    assert reply.view is not None, reply.errors
    return form, reply


async def test_the_buy_form_opens_from_the_cache_with_typeahead(slack, emulator, pc, bot,
                                                               software_synced):
    pc.clear_calls()
    form = await open_modal(slack, emulator, "/csp software buy contoso")
    assert pc.calls("listProducts") == [] and pc.calls("createCart") == []
    customer = next(b for b in form["blocks"] if b.get("block_id") == SoftwareBlock.CUSTOMER)
    assert customer["element"]["initial_option"]["value"] == CONTOSO_TENANT

    found = await slack.suggest(SoftwareAction.OFFER, "sql 3", view=form)
    labels = [o["text"]["text"] for o in found.json["options"]]
    assert labels and all("SQL Server" in x for x in labels), labels
    assert any("3 years, billed yearly" in x for x in labels)
    names = await slack.suggest(SoftwareAction.CUSTOMER, "nordw", view=form)
    assert [o["text"]["text"] for o in names.json["options"]] == [
        "Nordwind Logistics B.V. — nordwindlogistics.onmicrosoft.com"]


async def test_quantity_is_held_to_the_skus_limits(slack, emulator, bot, software_synced):
    form = await open_modal(slack, emulator, "/csp software buy contoso")
    values = {SoftwareBlock.CUSTOMER: CONTOSO_TENANT, SoftwareBlock.OFFER: BIZTALK_ONCE}
    reply = await slack.submit(form, {**values, SoftwareBlock.QUANTITY: 101})
    assert reply.errors == {SoftwareBlock.QUANTITY: "Between 1 and 100 for this SKU."}
    reply = await slack.submit(form, {**values, SoftwareBlock.QUANTITY: "-3"})
    assert SoftwareBlock.QUANTITY in reply.errors
    reply = await slack.submit(form, {**values, SoftwareBlock.OFFER: "DG7GMGF0DWM3:0002:P9Y:x",
                                      SoftwareBlock.QUANTITY: 1})
    assert SoftwareBlock.OFFER in reply.errors


async def test_buying_perpetual_software_once_follows_the_order_to_completed(
    slack, emulator, pc, bot, clock, software_synced
):
    pc.clear_calls()
    _form, reply = await buy(slack, emulator, bot, BIZTALK_ONCE, 2)
    text = blocks_text(reply.view["blocks"])
    for said in ("Contoso Bakery GmbH", "BizTalk Server 2016 Branch", "Perpetual software",
                 "none (perpetual)", "once", "price not configured", "30 days after purchase"):
        assert said in text, said
    assert pc.calls("createCart") == []  # nothing is sent before Confirm

    await asyncio.gather(slack.submit(reply.view), slack.submit(reply.view))  # a double click
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    request = await last_request(bot)
    assert request.state == RequestState.RUNNING  # checked out; the order is still pending
    assert len(pc.calls("checkout")) == 1 and len(pc.calls("createCart")) == 1
    (cart,) = pc.calls("createCart")
    assert cart["lines"][0]["quantity"] == 2 and cart["lines"][0]["billingCycle"] == "one_time"
    assert "Partner Center order" in card_text(emulator, request.id)

    clock.advance(minutes=10)
    await settle(bot.runtime)
    request = await last_request(bot)
    assert request.state == RequestState.DONE
    text = card_text(emulator, request.id)
    (order_id,) = [o for o in pc.world.customers[CONTOSO_TENANT].orders
                   if o not in _seeded(pc)]
    assert order_id in text and "completed" in text
    assert "Perpetual: no subscription" in text
    assert len(pc.calls("checkout")) == 1

    listed = await slack.command("software list contoso")
    said = listed.json["text"] + blocks_text(listed.json["blocks"])
    assert "BizTalk Server 2016 Branch" in said and f"<@{ALICE}>" in said
    assert order_id in said and "cancellable until" in said


def _seeded(pc) -> set[str]:
    return {o for o, rec in pc.world.customers[CONTOSO_TENANT].orders.items()
            if rec.order.creation_date < pc.now() - timedelta(hours=1)}


async def test_a_software_subscription_names_its_subscription_on_the_card(
    slack, emulator, pc, bot, clock, software_synced
):
    _form, reply = await buy(slack, emulator, bot, RDS_3Y, 5)
    text = blocks_text(reply.view["blocks"])
    assert "3 years" in text and "every 3 years" in text and "7 days after purchase" in text
    await slack.submit(reply.view)
    await settle(bot.runtime)
    clock.advance(minutes=10)
    await settle(bot.runtime)
    request = await last_request(bot)
    assert request.state == RequestState.DONE
    subs = [s for s in pc.world.customers[CONTOSO_TENANT].subscriptions.values()
            if s.quantity == 5]
    assert len(subs) == 1
    assert subs[0].id in card_text(emulator, request.id)


async def test_a_lost_checkout_answer_is_resent_with_the_same_request_id_and_buys_once(
    slack, emulator, pc, bot, clock, software_synced
):
    pc.faults.set(fail_next=[("checkout", errors.ServerError(description="lost"), True)])
    _form, reply = await buy(slack, emulator, bot, BIZTALK_ONCE, 1)
    await slack.submit(reply.view)
    await settle(bot.runtime)
    clock.advance(minutes=10)
    await settle(bot.runtime)
    clock.advance(minutes=10)
    await settle(bot.runtime)
    request = await last_request(bot)
    assert request.state == RequestState.DONE, request.error
    new = [o for o in pc.world.customers[CONTOSO_TENANT].orders if o not in _seeded(pc)]
    assert len(new) == 1  # the checkout went through once, whatever was resent


async def test_a_customer_cannot_be_listed_by_words_that_match_nobody(slack, bot,
                                                                     software_synced):
    reply = await slack.command("software list <!channel> nobody")
    assert "No Partner Center customer matches" in reply.text
    assert "<!channel>" not in reply.body


async def test_software_purchases_show_in_app_home_requests_and_the_audit_trail(
    slack, emulator, pc, bot, clock, software_synced, tmp_path
):
    from bot.audit.trail import export_csv
    from bot.home.app_home import publish_home

    _form, reply = await buy(slack, emulator, bot, BIZTALK_ONCE, 1)
    await slack.submit(reply.view)
    await settle(bot.runtime)
    clock.advance(minutes=10)
    await settle(bot.runtime)
    request = await last_request(bot)

    await publish_home(bot.runtime, ALICE)
    home = str(emulator.home[ALICE]["blocks"])
    assert f"R{request.id}" in home and "Software purchase" in home
    assert "Software you bought" in home and "BizTalk Server 2016 Branch" in home

    mine = await slack.command("requests mine")
    assert f"R{request.id}" in mine.text + str(mine.json.get("blocks"))
    trail = await slack.command(f"audit R{request.id}")
    trail_text = trail.json["text"] + blocks_text(trail.json["blocks"])
    assert "step_done" in trail_text or "done" in trail_text

    out = tmp_path / "audit.csv"
    with out.open("w") as handle:
        count = await export_csv(bot.runtime.db, clock.now() - timedelta(days=1), handle)
    assert count > 0
    exported = out.read_text()
    assert "buy_software" in exported and "Buy 1 × BizTalk Server 2016 Branch" in exported
