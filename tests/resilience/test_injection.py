"""Everything people typed or the provider returned is escaped in every text the bot sends:
cards (status and approval, in each state), DMs, App Home, modals, ephemeral and command
answers, option lists, `text` fallbacks included. The corpus goes into every field of every
flow; the oracle walks every recorded Web API call, response_url post and HTTP answer."""

from __future__ import annotations

from bot.core.domain import Role, TenantUpdate
from bot.core.ids import (
    BlockId,
    CancelBlock,
    OptionsAction,
    OrderBlock,
    PipelineAction,
    PipelineBlock,
    RefundAction,
    RefundBlock,
    SeatsBlock,
    SubscriptionChoiceBlock,
    TenantAction,
    TenantEditBlock,
)
from bot.orders.form import line_block
from bot.pipeline.transitions import confirmed_request
from bot.provider.base import BadParameters
from bot.provider.sandbox_data import (
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    NORDWIND_EXCHANGE,
    OFFICE_E3,
)
from tests.conftest import ADA, ALICE, APPROVALS_CHANNEL, SAM
from tests.flows.conftest import latest_view, open_modal, settle
from tests.resilience.injection import CORPUS, SHORT, live_tokens, texts
from tests.slack_emulator import Reply, SlackDriver

SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"


class RecordingDriver(SlackDriver):
    """The emulator's driver, keeping every HTTP answer of the app (command answers, view
    submissions' pushed views, option lists)."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.replies: list[Reply] = []

    async def post(self, body, content_type, headers) -> Reply:
        reply = await super().post(body, content_type, headers)
        self.replies.append(reply)
        return reply


def leaks(emulator, driver: RecordingDriver) -> list:
    """(where, token) of each live corpus token, where = the Web API method or answer."""
    found = [(call.method + where, token)
             for call in emulator.calls for where, token in live_tokens(call.args)]
    for reply in driver.replies:
        if reply.body.startswith("{"):
            found += [("answer" + where, token) for where, token in live_tokens(reply.json)]
    return found


def shown_escaped(emulator, driver: RecordingDriver) -> bool:
    """The corpus did reach Slack, escaped (so the test looked at something); says how much
    was looked at (`pytest -s`)."""
    everything = [c.args for c in emulator.calls] + [
        r.json for r in driver.replies if r.body.startswith("{")
    ]
    seen = [text for _where, text in texts(everything)]
    escaped = sum("&lt;!channel&gt;" in text for text in seen)
    print(f"\ninjection: {len(seen)} texts in {len(emulator.calls)} Slack calls and "
          f"{len(driver.replies)} answers; {escaped} carry the corpus, escaped")
    return escaped > 0


async def poison(bot, sandbox) -> None:
    """The provider returns the corpus in every name it has, and the cache keeps it."""
    await sandbox.update_tenant(NORDWIND, TenantUpdate(
        display_name=SHORT + " Nordwind", first_name="<!here>", last_name="<@U0EVIL>",
        city="<#C0EVIL>", address=CORPUS,
    ))
    report = await bot.runtime.syncer.sync_all()
    assert report.error is None


async def test_browsing_and_command_answers_escape_the_corpus(
    bot, emulator, sandbox, agents
):
    driver = RecordingDriver(emulator, slack_url(bot), secret())
    try:
        await poison(bot, sandbox)
        for text in (
            "tenants", "tenants nordwind", f"tenants {CORPUS}", "subs nordwind",
            f"subs {CORPUS}", "tenant nordwind", f"tenant {CORPUS}", "tasks", "tasks nordwind",
            f"tasks {CORPUS}", f"sync {CORPUS}", f"order {CORPUS}", "order nordwind",
            f"seats {CORPUS}", f"seats nordwind {NORDWIND_E3} {CORPUS}", f"cancel {CORPUS}",
            f"refund {CORPUS}", f"refunds {CORPUS}", f"audit {CORPUS}", f"requests {CORPUS}",
            CORPUS, f"help {CORPUS}",
        ):
            reply = await driver.command(text)
            assert reply.status == 200, (text, reply.body)
        await bot.runtime.roles.grant(ADA, Role.ADMIN, ADA)
        for text in (f"roles grant {CORPUS}", f"roles grant <@U0EVIL> {CORPUS}",
                     f"roles {CORPUS}"):
            await driver.command(text, user=ADA)
        for query in (CORPUS, "nordwind", "<!channel>"):
            await driver.suggest(OptionsAction.TENANT, query)
            await driver.suggest(OptionsAction.SUBSCRIPTION, query)
            await driver.suggest(OptionsAction.LICENSE, query)
        await driver.open_home(ALICE)
        await driver.open_home(SAM)
        await bot.runtime.notifier.settle()
        assert leaks(emulator, driver) == []
        assert shown_escaped(emulator, driver)
    finally:
        await driver.close()


async def test_every_flow_escapes_the_corpus_in_cards_dms_modals_and_fallbacks(
    bot, emulator, sandbox, agents
):
    """Orders, seat changes (one failing with a provider error), cancellations (approved and
    rejected), refund tickets through every state, a license group edit: the corpus in every
    typed field and in every provider name."""
    driver = RecordingDriver(emulator, slack_url(bot), secret())
    try:
        await poison(bot, sandbox)
        sandbox.patch_license(NORDWIND, OFFICE_E3, name="E3 <!channel> <@U0EVIL>")
        await bot.runtime.syncer.sync_all()

        # an order with a note
        modal = await open_modal(driver, emulator, "order nordwind")
        reply = await driver.submit(modal, {
            BlockId.TENANT: NORDWIND, line_block(OrderBlock.LINE_LICENSE, "1"): OFFICE_E3,
            line_block(OrderBlock.LINE_QUANTITY, "1"): "2", OrderBlock.NOTE: CORPUS,
        })
        assert reply.view is not None, reply.body
        await driver.submit(reply.view)
        await settle(bot.runtime)

        # a seat change whose provider call fails with the corpus as its message
        sandbox.faults.set(fail_next=[("changeQuantity", BadParameters(CORPUS, status=400))])
        modal = await open_modal(driver, emulator, f"seats nordwind {NORDWIND_E3}")
        reply = await driver.submit(modal, {
            BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_E3, SeatsBlock.NEW_TOTAL: "14",
        })
        assert reply.view is not None, reply.body
        await driver.submit(reply.view)
        await settle(bot.runtime)

        # cancellations: one rejected with a reason, one approved
        for reason_giver, subscription in ((True, NORDWIND_EXCHANGE), (False, NORDWIND_BASIC)):
            modal = await open_modal(driver, emulator, f"cancel nordwind {subscription}")
            reply = await driver.submit(modal, {
                BlockId.TENANT: NORDWIND, SUBSCRIPTION: subscription,
                CancelBlock.REASON: "not_needed", CancelBlock.DETAILS: CORPUS,
            })
            assert reply.view is not None, reply.body
            await driver.submit(reply.view)
            await bot.runtime.notifier.settle()
            draft_id = int(reply.view["private_metadata"])
            request_id = (await confirmed_request(bot.runtime.db, draft_id)).id
            card = emulator.last_message(APPROVALS_CHANNEL)
            if reason_giver:
                await driver.action(PipelineAction.REJECT, value=str(request_id), user=SAM,
                                    message=card)
                await driver.submit(latest_view(emulator),
                                    {PipelineBlock.REJECT_REASON: CORPUS}, user=SAM)
            else:
                await driver.action(PipelineAction.APPROVE, value=str(request_id), user=SAM,
                                    message=card)
            await settle(bot.runtime)

        # a refund ticket through claim, approval, filing and resolution
        modal = await open_modal(driver, emulator, f"refund {CORPUS}")
        reply = await driver.submit(modal, refund_values())
        assert reply.view is not None, reply.body
        await driver.submit(reply.view)
        await bot.runtime.notifier.settle()
        draft_id = int(reply.view["private_metadata"])
        ticket = (await confirmed_request(bot.runtime.db, draft_id)).id
        for action in (RefundAction.CLAIM, PipelineAction.APPROVE):
            await driver.action(action, value=str(ticket), user=SAM,
                                message=emulator.last_message(APPROVALS_CHANNEL))
            await settle_refunds(bot)
        await driver.action(RefundAction.MARK_FILED, value=str(ticket), user=SAM,
                            message=emulator.last_message(APPROVALS_CHANNEL))
        await driver.submit(latest_view(emulator),
                            {RefundBlock.UPSTREAM_REFERENCE: "CSP-2026-11-0042"}, user=SAM)
        await settle_refunds(bot)
        await driver.action(RefundAction.MARK_RESOLVED, value=str(ticket), user=SAM,
                            message=emulator.last_message(APPROVALS_CHANNEL))
        await driver.submit(latest_view(emulator), {RefundBlock.CREDITED_AMOUNT: "10.00",
                                                    RefundBlock.CREDITED_CURRENCY: "EUR"},
                            user=SAM)
        await settle_refunds(bot)

        # a license group edit
        details = await driver.command("tenant nordwind")
        await driver.action(TenantAction.EDIT, value=NORDWIND, message=driver.as_message(details))
        form = latest_view(emulator)
        values = {b["block_id"]: b["element"].get("initial_value")
                  for b in form["blocks"] if b["type"] == "input"}
        values[TenantEditBlock.DISPLAY_NAME] = "<!everyone> Nordwind"
        values[TenantEditBlock.LAST_NAME] = "<@U0EVIL>"
        reply = await driver.submit(form, values)
        assert reply.view is not None, reply.body
        await driver.submit(reply.view)
        await bot.runtime.worker.run_once()  # the edit is a request: the worker saves it
        await bot.runtime.notifier.settle()

        for text in ("requests recent", "requests mine", "refunds all", "audit R1",
                     f"audit sub {NORDWIND_BASIC}", "tenants", "subs nordwind", "tasks"):
            await driver.command(text)
        for user in (ALICE, SAM):
            await driver.open_home(user)
        await bot.runtime.notifier.settle()

        assert leaks(emulator, driver) == []
        assert shown_escaped(emulator, driver)
        assert len(emulator.calls_of("chat.postMessage")) >= 10
    finally:
        await driver.close()


async def settle_refunds(bot) -> None:
    from bot.refunds import tickets as refunds

    await refunds.settle()
    await bot.runtime.notifier.settle()


def refund_values() -> dict:
    B = RefundBlock
    return {
        BlockId.TENANT: None, B.CUSTOMER_TENANT: "contoso.onmicrosoft.com",
        B.ORDER_ID: "7f3c9a12-5e4d", B.PRODUCT: "perpetual", B.PURCHASE_DATE: "2026-10-20",
        B.REASON: "wrong_product", B.REASON_DETAILS: CORPUS, B.AMOUNT: "249.90",
        B.CURRENCY: "EUR", B.IMPACT: "moderate", B.TITLE: SHORT, B.CONTACT_NAME: SHORT,
        B.CONTACT_EMAIL: "alice@reseller.example", B.CONTACT_PHONE: "+31 10 234 5678",
        B.ATTACHMENTS: None, B.ACKNOWLEDGE: None,
    }


def slack_url(bot) -> str:
    from bot.app.server import EVENTS_PATH

    return f"http://127.0.0.1:{bot.port}{EVENTS_PATH}"


def secret() -> str:
    from tests.conftest import SIGNING_SECRET

    return SIGNING_SECRET


