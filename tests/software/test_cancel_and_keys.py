"""Cancelling software and the route to its keys, end to end: admin agents only, a support
agent approves (never their own), one order PATCH; past the window, the refund ticket."""

from __future__ import annotations

from datetime import timedelta

from bot.core.domain import RequestState, Role
from bot.core.ids import PipelineAction, RefundBlock, SoftwareAction, SoftwareBlock
from bot.partner_center import errors
from bot.partner_center.sandbox_data import CONTOSO_TENANT, IDENTITY_MANAGER_CAL, RDS_CAL
from bot.software.reminders import remind_software_windows
from store import requests as repo
from store import software as software_repo
from tests.conftest import ADA, ALICE, APPROVALS_CHANNEL, BOB, SAM, STAFF_CHANNEL
from tests.flows.conftest import latest_view, settle
from tests.slack_emulator import Message, blocks_text
from tests.software.test_buy_and_list import BIZTALK_ONCE, buy, last_request


async def purchase_of(bot, product_id: str):
    async with bot.runtime.db.session() as session:
        rows = await software_repo.purchases_of(session, CONTOSO_TENANT)
    return next(r for r in rows if r.product_id == product_id)


async def make_admin_agent(bot, user=BOB) -> str:
    await bot.runtime.roles.grant(user, Role.ADMIN_AGENT, ADA)
    return user


def buttons(message: Message, action_id: str) -> list[dict]:
    return [e for b in message.blocks if b.get("type") == "actions"
            for e in b["elements"] if e.get("action_id") == action_id]


async def listing(slack, user: str) -> Message:
    reply = await slack.command("software list contoso", user=user)
    assert reply.status == 200 and reply.json.get("blocks"), reply.body
    return slack.as_message(reply)


def said_to(emulator, user: str) -> str:
    said = [m.all_text for m in emulator.ephemerals(user)]
    said += [p.get("text", "") for ps in emulator.response_urls.values() for p in ps]
    return "\n".join(said)


async def audit_actions(bot) -> list[tuple[str, str]]:
    async with bot.runtime.db.session() as session:
        rows = await repo.audit_events(session, limit=None)
    return [(r.action, r.actor) for r in rows]


# --- keys and downloads -----------------------------------------------------------------------


async def test_the_key_route_is_for_admin_agents_and_every_use_is_audited(
    slack, emulator, bot, software_synced
):
    await make_admin_agent(bot)
    reply = await slack.command("software keys contoso", user=BOB)
    text = reply.json["text"] + blocks_text(reply.json["blocks"])
    assert "no API for product keys" in text
    for step in ("Software", "language", "32 or 64-bit", "Get keys and downloads",
                 "Billing", "Your products", "MAK only"):
        assert step in text, step
    assert CONTOSO_TENANT in text and "Windows Server 2022 Remote Desktop Services" in text

    refused = await slack.command("software keys contoso", user=ALICE)
    assert "for admin agents" in refused.text
    assert "Get keys and downloads" not in refused.body
    actions = await audit_actions(bot)
    assert ("software_key_route", BOB) in actions
    assert ("software_key_route_refused", ALICE) in actions

    # the button in the list is for admin agents only, and re-checked when pressed
    assert buttons(await listing(slack, BOB), SoftwareAction.KEYS)
    assert not buttons(await listing(slack, ALICE), SoftwareAction.KEYS)
    await slack.action(SoftwareAction.KEYS, value=CONTOSO_TENANT, user=ALICE,
                       message=await listing(slack, ALICE))
    await bot.runtime.notifier.settle()
    assert "for admin agents" in said_to(emulator, ALICE)


# --- cancelling inside the window -------------------------------------------------------------


async def request_cancel(slack, emulator, bot, user: str):
    message = await listing(slack, user)
    (button,) = buttons(message, SoftwareAction.CANCEL)
    rds = await purchase_of(bot, RDS_CAL)
    assert button["value"].startswith(f"{CONTOSO_TENANT}|{rds.order_id}|")
    await slack.action(SoftwareAction.CANCEL, value=button["value"], user=user, message=message)
    form = latest_view(emulator)
    assert form["callback_id"] == "software_cancel", form["callback_id"]
    reply = await slack.submit(form, {SoftwareBlock.REASON: "Bought <!here> twice"}, user=user)
    assert reply.view is not None, reply.errors
    confirm_text = blocks_text(reply.view["blocks"])
    assert "revoked" in confirm_text and "next invoice" in confirm_text
    assert "&lt;!here&gt;" in confirm_text and "<!here>" not in confirm_text
    await slack.submit(reply.view, user=user)
    await bot.runtime.notifier.settle()
    return await last_request(bot), rds


async def test_an_admin_agent_cancels_inside_the_window_once_a_support_agent_approves(
    slack, emulator, pc, bot, software_synced
):
    agent = await make_admin_agent(bot)
    await bot.runtime.roles.grant(agent, Role.SUPPORT, ADA)  # may approve, but not their own
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, ADA)
    pc.clear_calls()
    request, rds = await request_cancel(slack, emulator, bot, agent)
    assert request.state == RequestState.AWAITING_APPROVAL and request.deadline is not None
    assert pc.calls("cancelOrder") == []

    card = next(m for m in emulator.messages[APPROVALS_CHANNEL] if f"R{request.id}" in m.all_text)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=agent, message=card)
    await bot.runtime.notifier.settle()
    assert "your own request" in said_to(emulator, agent)
    assert (await last_request(bot)).state == RequestState.AWAITING_APPROVAL

    pc.faults.set(fail_next=[("cancelOrder", errors.Busy(description="in progress"))])
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=card)
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    busy = await last_request(bot)
    assert busy.state == RequestState.QUEUED and "busy" in (busy.error or "")  # try later
    bot.runtime.clock.advance(minutes=30)
    await settle(bot.runtime)
    done = await last_request(bot)
    assert done.state == RequestState.DONE, done.error
    patches = pc.calls("cancelOrder")
    assert [p["line_numbers"] for p in patches] == [[rds.line_number]] * len(patches)
    line = pc.world.customers[CONTOSO_TENANT].orders[rds.order_id].order.line(rds.line_number)
    assert line.quantity == 0
    text = next(m for m in emulator.messages[STAFF_CHANNEL] if f"R{done.id}" in m.all_text).all_text
    assert "key and download links are revoked" in text and "next invoice" in text
    assert "cancelled" in (await purchase_of(bot, RDS_CAL)).order_status or (
        (await purchase_of(bot, RDS_CAL)).quantity == 0)


async def test_staff_who_are_not_admin_agents_cannot_cancel_software(
    slack, emulator, pc, bot, software_synced
):
    pc.clear_calls()
    message = await listing(slack, ALICE)
    assert pc._log == []  # the list comes from the cache: nothing waits on Partner Center
    assert not buttons(message, SoftwareAction.CANCEL)
    assert "for admin agents" in message.all_text
    rds = await purchase_of(bot, RDS_CAL)
    reply = await slack.command(f"software cancel {rds.order_id}", user=ALICE)
    assert "cancelling software is for admin agents" in reply.text
    forged = f"{CONTOSO_TENANT}|{rds.order_id}|{rds.line_number}"
    opened = len(emulator.calls_of("views.open"))
    await slack.action(SoftwareAction.CANCEL, value=forged, user=ALICE, message=message)
    await bot.runtime.notifier.settle()
    assert len(emulator.calls_of("views.open")) == opened
    assert pc.calls("cancelOrder") == []


# --- past the window --------------------------------------------------------------------------


async def test_past_the_window_the_refund_ticket_is_offered_filled_in(
    slack, emulator, pc, bot, software_synced
):
    agent = await make_admin_agent(bot)
    old = await purchase_of(bot, IDENTITY_MANAGER_CAL)  # perpetual, bought 45 days ago
    message = await listing(slack, agent)
    assert "window closed" in message.all_text
    refund_buttons = buttons(message, SoftwareAction.REFUND)
    assert [b["value"] for b in refund_buttons] == [
        f"{CONTOSO_TENANT}|{old.order_id}|{old.line_number}"]

    await slack.command(f"software cancel {old.order_id}", user=agent)
    form = latest_view(emulator)
    assert form["callback_id"] == "refund_form"
    initial = {b["block_id"]: b["element"] for b in form["blocks"] if b.get("type") == "input"}
    assert initial[RefundBlock.CUSTOMER_TENANT]["initial_value"] == "contosobakery.onmicrosoft.com"
    assert initial[RefundBlock.ORDER_ID]["initial_value"] == old.order_id
    assert initial[RefundBlock.PRODUCT]["initial_option"]["value"] == "perpetual"
    assert initial[RefundBlock.PURCHASE_DATE]["initial_date"] == old.purchased_at.date().isoformat()
    assert pc.calls("cancelOrder") == []

    # staff reach the same filled-in ticket from the list
    await slack.action(SoftwareAction.REFUND, value=refund_buttons[0]["value"], user=ALICE,
                       message=message)
    assert latest_view(emulator)["callback_id"] == "refund_form"


# --- the reminder -----------------------------------------------------------------------------


async def test_the_buyer_is_reminded_once_before_the_window_closes(
    slack, emulator, pc, bot, clock, software_synced
):
    _form, reply = await buy(slack, emulator, bot, BIZTALK_ONCE, 1)
    await slack.submit(reply.view)
    await settle(bot.runtime)
    clock.advance(minutes=10)
    await settle(bot.runtime)
    assert await remind_software_windows(bot.runtime) == 0  # 30 days to go
    clock.advance(days=29, hours=12)
    assert await remind_software_windows(bot.runtime) == 1
    assert await remind_software_windows(bot.runtime) == 0
    dm = "\n".join(m.all_text for m in emulator.messages[f"D{ALICE}"])
    assert "cancellation window of BizTalk Server 2016 Branch" in dm


async def test_a_window_that_closes_after_the_approval_fails_in_plain_words(
    slack, emulator, pc, bot, clock, software_synced
):
    agent = await make_admin_agent(bot)
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, ADA)
    request, rds = await request_cancel(slack, emulator, bot, agent)
    card = next(m for m in emulator.messages[APPROVALS_CHANNEL] if f"R{request.id}" in m.all_text)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=card)
    await bot.runtime.notifier.settle()
    clock.set(rds.cancellable_until + timedelta(minutes=1))  # the worker comes too late
    await settle(bot.runtime)
    failed = await last_request(bot)
    assert failed.state == RequestState.FAILED
    assert "cancellation window for this purchase has passed" in failed.error
    assert "refund ticket" in failed.error and "900117" in failed.error
    line = pc.world.customers[CONTOSO_TENANT].orders[rds.order_id].order.line(rds.line_number)
    assert line.quantity > 0


async def test_names_partner_center_returns_are_escaped_in_the_list(
    slack, emulator, pc, bot, software_synced
):
    from bot.software.sync import sync_software

    customer = pc.world.customers[CONTOSO_TENANT].customer
    customer.company_profile.company_name = "Contoso <!channel> & Bakers"
    await sync_software(bot.runtime)
    reply = await slack.command("software list contoso")
    assert "<!channel>" not in reply.body
    assert "Contoso &lt;!channel&gt; &amp; Bakers" in reply.json["text"]


async def test_nobody_deciding_before_the_window_closes_expires_the_request(
    slack, emulator, pc, bot, clock, software_synced
):
    from bot.pipeline.approvals import watch_deadlines

    agent = await make_admin_agent(bot)
    request, rds = await request_cancel(slack, emulator, bot, agent)
    assert request.deadline == rds.cancellable_until
    clock.set(rds.cancellable_until + timedelta(seconds=1))
    await watch_deadlines(bot.runtime)
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    assert (await last_request(bot)).state == RequestState.EXPIRED
    assert pc.calls("cancelOrder") == []
