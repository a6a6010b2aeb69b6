"""Browsing from Slack, end to end: what people see after `/csp tenants | subs | tasks | tenant`,
the buttons of those messages, and how the answers read while the provider is down."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from bot import policy
from bot.core.blocks import escape
from bot.core.domain import License
from bot.core.ids import BrowseAction, SubscriptionAction
from bot.provider.base import ServerError
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_data import (
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    NORDWIND_E3_AUDIO,
    PADARIA,
    VANDERBERG,
)
from bot.tenants.browse_view import subscription_row
from bot.tenants.subscription_choice import SubscriptionFacts
from bot.tenants.subscription_choice_view import facts_block
from store.cache import CachedSubscription, CachedTenant
from tests.slack_emulator import Reply, blocks_text

pytestmark = pytest.mark.usefixtures("synced")


@pytest.fixture
def sandbox(clock):
    """Tasks take ten minutes, so they can be seen in progress."""
    return SandboxProvider(clock=clock.now, task_duration=timedelta(minutes=10))


@pytest.fixture
async def synced(bot):
    await bot.runtime.syncer.run_once()


def elements(blocks: list[dict]) -> list[dict]:
    """Every interactive element of a message (buttons, overflow menus, accessories)."""
    found = []
    for block in blocks:
        found += block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            found.append(block["accessory"])
    return found


def value_of(blocks: list[dict], action_id: str) -> str:
    return next(e["value"] for e in elements(blocks) if e.get("action_id") == action_id)


def replaced(emulator) -> dict:
    """The last message the bot sent through a response_url."""
    return emulator.calls_of("response_url")[-1]


# --- /csp tenants ------------------------------------------------------------------------------


async def test_tenants_lists_every_group_with_status_mpn_issue_subscriptions_and_seats(slack):
    reply = await slack.command("tenants")
    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    text = reply.text
    assert "Nordwind Logistics B.V.*  `csp2-nw7k3q.o365.ovh`" in text
    assert ":large_green_circle: in service · 5 subscriptions · 90 seats" in text
    assert "Van der Berg Architecten" in text and "suspended · 1 subscription · 5 seats" in text
    assert "MPN issue: `mpnIdNotIndirectReseller`" in text
    assert "As of <!date^1793610000^{date_short_pretty} {time}|Mon 02 Nov 2026, 09:00 UTC>" in text
    assert "out of date" not in text
    ids = [e["action_id"] for e in elements(reply.json["blocks"])]
    assert BrowseAction.REFRESH in ids and BrowseAction.NEXT not in ids


async def test_tenants_filter(slack):
    reply = await slack.command("tenants bakery")
    assert "Contoso Bakery GmbH" in reply.text
    assert "Nordwind" not in reply.text
    assert "License groups matching “bakery”" in reply.text


async def test_details_button_shows_the_group(slack, emulator):
    reply = await slack.command("tenants")
    details = next(
        e["value"]
        for e in elements(reply.json["blocks"])
        if e["action_id"] == BrowseAction.SHOW and VANDERBERG in e["value"]
    )
    await slack.action(BrowseAction.SHOW, value=details, message=slack.as_message(reply))
    shown = replaced(emulator)
    assert shown["replace_original"] is False
    assert "Van der Berg Architecten" in blocks_text(shown["blocks"])
    assert "*MPN issue* `mpnIdNotIndirectReseller`" in blocks_text(shown["blocks"])


# --- /csp subs ---------------------------------------------------------------------------------


async def test_subs_is_the_control_panel_table_with_a_menu_per_row(slack):
    reply = await slack.command("subs nordwind")
    text = reply.text
    assert "Subscriptions of Nordwind Logistics B.V." in text
    assert f"*{NORDWIND_E3}* · Office 365 E3" in text
    assert "12 licenses · :large_green_circle: in service · created <!date^" in text
    assert "updated <!date^" in text
    assert f"Add-on of {NORDWIND_E3}" in text  # the audio conferencing add-on
    menus = [e for e in elements(reply.json["blocks"]) if e["type"] == "overflow"]
    assert len(menus) == 5
    assert {e["action_id"] for e in menus} == {SubscriptionAction.MENU}
    first = [(o["text"]["text"], o["value"]) for o in menus[0]["options"]]
    assert first == [
        ("Change seats", f"{SubscriptionAction.CHANGE_SEATS}:{NORDWIND_E3}"),
        ("Order add-on", f"{SubscriptionAction.ORDER_ADDON}:{NORDWIND_E3}"),
        ("Cancel subscription", f"{SubscriptionAction.CANCEL}:{NORDWIND_E3}"),
    ]


async def test_a_pending_task_shows_on_its_row(slack, bot, sandbox, clock):
    task = await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 30)
    clock.advance(minutes=4)
    await bot.runtime.syncer.run_once()
    reply = await slack.command("subs nordwind")
    assert f"pending task {task.id}: seat change, in progress" in reply.text


@pytest.mark.parametrize("idle", [0, None], ids=["taskPendingId 0", "null"])
@pytest.mark.parametrize("status", ["ok", "inService", "<b>new</b>"])
def test_an_idle_subscription_shows_no_task_and_its_status_in_words(idle, status):
    """The row and the facts block, from a subscription as OVHcloud's JSON gives it."""
    sub = CachedSubscription.model_validate({
        "id": NORDWIND_E3, "licenseId": 10021, "quantity": 12, "status": status,
        "creationDate": "2025-01-09T11:20:52+01:00", "taskPendingId": idle,
        "serviceName": NORDWIND, "licenseName": "Office 365 E3",
        "syncedAt": "2026-11-02T10:00:00+01:00",
    })
    lic = License(id=10021, name="Office 365 E3")
    tenant = CachedTenant(service_name=NORDWIND, synced_at=sub.synced_at)
    row = blocks_text([subscription_row(sub, None).to_dict()])
    facts = blocks_text([facts_block(SubscriptionFacts(tenant, sub, lic)).to_dict()])
    for text in (row, facts):
        assert "task" not in text.lower()
        assert escape(policy.status_label(status)) in text
    assert "<b>" not in row + facts
    assert (":large_green_circle: in service" in row) is (status == "ok")


@pytest.mark.parametrize(
    "words", ["csp2-nw7k3q.o365.ovh", "Nordwind Logistics B.V.", "logistics", "NORDWIND"]
)
async def test_a_group_is_found_by_service_name_display_name_or_fragment(slack, words):
    reply = await slack.command(f"subs {words}")
    assert "Subscriptions of Nordwind Logistics B.V." in reply.text


async def test_an_unknown_group_gets_close_matches(slack):
    reply = await slack.command("subs nordwnd logistic")
    assert reply.status == 200
    assert "No license group matches “nordwnd logistic”." in reply.text
    assert "Close matches: Nordwind Logistics B.V. (`csp2-nw7k3q.o365.ovh`)" in reply.text


async def test_an_ambiguous_fragment_lists_the_candidates(slack):
    reply = await slack.command("subs o365")
    assert "“o365” matches several license groups:" in reply.text
    assert "Contoso Bakery GmbH (`csp2-cb2m8x.o365.ovh`)" in reply.text
    assert "Which one?" in reply.text


async def test_subs_without_a_group_says_how(slack):
    reply = await slack.command("subs")
    assert "Which license group? For example `/csp subs nordwind`." in reply.text


# --- /csp tasks --------------------------------------------------------------------------------


async def test_tasks_in_progress_and_recently_finished(slack, bot, sandbox, clock):
    finished = await sandbox.change_quantity(PADARIA, 480121, 10)
    await bot.runtime.syncer.run_once()
    clock.advance(minutes=6)
    running = await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 30)
    clock.advance(minutes=5)  # the first task is done, the second half way
    await bot.runtime.syncer.run_once()

    reply = await slack.command("tasks")
    text = reply.text
    progress, recent = text.index("*In progress*"), text.index("*Recently finished*")
    assert progress < text.index(f"`{running.id}` seat change") < recent
    assert text.index(f"`{finished.id}` seat change") > recent
    assert "Nordwind Logistics B.V." in text and "Padaria Atlântico Lda" in text

    only = await slack.command("tasks padaria")
    assert f"`{finished.id}`" in only.text and f"`{running.id}`" not in only.text
    assert "Provider tasks of Padaria Atlântico Lda" in only.text


# --- /csp tenant -------------------------------------------------------------------------------


async def test_tenant_details(slack):
    reply = await slack.command("tenant nordwind")
    text = reply.text
    for expected in (
        "*Internal name*\n`csp2-nw7k3q.o365.ovh`",
        "*Display name*\nNordwind Logistics B.V.",
        "*Created*\n<!date^",
        "*Status*\n:large_green_circle: in service",
        "*MPN ID*\n`6180342`",
        "femke.devries@nordwind-logistics.nl",
        "*Renewal*\nautomatic every 12 months",
        "*Expires*\n12 Jan 2027 (ok)",
        "• Exchange Online (Plan 1): 40 seats (1 subscription)",
        "*Usage peaks, this billing period so far (since 1 Nov 2026)*",
        "• Office 365 E3: 12",
        "Microsoft's admin portal",
    ):
        assert expected in text, expected
    urls = [e.get("url") for e in elements(reply.json["blocks"])]
    assert "https://portal.office.com/Admin/Default.aspx" in urls
    assert value_of(reply.json["blocks"], "tenant_edit") == NORDWIND


async def test_subscriptions_button_of_the_details(slack, emulator):
    reply = await slack.command("tenant padaria")
    value = value_of(reply.json["blocks"], BrowseAction.SHOW)
    await slack.action(BrowseAction.SHOW, value=value, message=slack.as_message(reply))
    assert "Subscriptions of Padaria Atlântico Lda" in blocks_text(replaced(emulator)["blocks"])


# --- pages ---------------------------------------------------------------------------------------


def add_groups(sandbox, count: int) -> None:
    """More license groups, copies of Padaria without subscriptions."""
    base = sandbox.world.tenants[PADARIA]
    for i in range(count):
        record = base.model_copy(deep=True)
        record.tenant.service_name = f"csp2-zz{i:04d}.o365.ovh"
        record.tenant.display_name = f"Zeta Group {i:02d}"
        record.subscriptions, record.tasks = {}, {}
        sandbox.world.tenants[record.tenant.service_name] = record


async def test_long_lists_page_within_slacks_block_limit(slack, bot, sandbox, emulator):
    add_groups(sandbox, 30)  # 35 groups: 3 pages of 15
    await bot.runtime.syncer.run_once()

    reply = await slack.command("tenants")
    blocks = reply.json["blocks"]
    assert len(blocks) <= 50
    assert "Page 1 of 3 · 35 groups" in reply.text
    assert "Zeta Group 09" in reply.text and "Zeta Group 10" not in reply.text

    await slack.action(
        BrowseAction.NEXT,
        value=value_of(blocks, BrowseAction.NEXT),
        message=slack.as_message(reply),
    )
    page = replaced(emulator)
    assert page["replace_original"] is True and len(page["blocks"]) <= 50
    text = blocks_text(page["blocks"])
    assert "Page 2 of 3" in text and "Zeta Group 10" in text and "Zeta Group 09" not in text
    back = value_of(page["blocks"], BrowseAction.PREVIOUS)
    await slack.action(BrowseAction.PREVIOUS, value=back, message=slack.as_message(reply))
    assert "Page 1 of 3" in blocks_text(replaced(emulator)["blocks"])


async def test_a_big_group_pages_its_subscriptions(slack, bot, sandbox, emulator, clock):
    record = sandbox.world.tenants[PADARIA]
    template = next(iter(record.subscriptions.values()))
    for i in range(40):
        copy = template.model_copy(deep=True)
        copy.subscription.id = 490_000 + i
        record.subscriptions[copy.subscription.id] = copy
    await bot.runtime.syncer.run_once()

    reply = await slack.command("subs padaria")
    blocks = reply.json["blocks"]
    assert len(blocks) <= 50 and "Page 1 of 3 · 42 subscriptions" in reply.text
    assert len([e for e in elements(blocks) if e["type"] == "overflow"]) == 15
    last = slack.as_message(reply)
    for page in (2, 3):
        value = value_of(last.blocks, BrowseAction.NEXT)
        await slack.action(BrowseAction.NEXT, value=value, message=last)
        shown = replaced(emulator)
        assert len(shown["blocks"]) <= 50
        assert f"Page {page} of 3" in blocks_text(shown["blocks"])
        last = slack.as_message(Reply(200, json.dumps(shown)))
    assert BrowseAction.NEXT not in [e.get("action_id") for e in elements(last.blocks)]
    assert "*490039*" in blocks_text(last.blocks)


async def test_pages_keep_the_filter(slack, bot, sandbox, emulator):
    add_groups(sandbox, 20)
    await bot.runtime.syncer.run_once()
    reply = await slack.command("tenants zeta")
    assert "Page 1 of 2 · 20 groups" in reply.text
    await slack.action(
        BrowseAction.NEXT,
        value=value_of(reply.json["blocks"], BrowseAction.NEXT),
        message=slack.as_message(reply),
    )
    text = blocks_text(replaced(emulator)["blocks"])
    assert "License groups matching “zeta”" in text and "Page 2 of 2" in text
    assert "Nordwind" not in text


async def test_a_tampered_page_button_gets_a_clear_answer(slack, emulator):
    reply = await slack.command("tenants")
    await slack.action(BrowseAction.NEXT, value="{not json", message=slack.as_message(reply))
    assert "That button is out of date" in replaced(emulator)["text"]


# --- refresh ---------------------------------------------------------------------------------


async def test_refresh_answers_at_once_and_replaces_the_message_when_synced(
    slack, bot, sandbox, emulator
):
    reply = await slack.command("subs nordwind")
    await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 31)
    sandbox.settle()
    sandbox.faults.set(latency=0.5)  # a slow provider

    started = time.monotonic()
    clicked = await slack.action(
        BrowseAction.REFRESH,
        value=value_of(reply.json["blocks"], BrowseAction.REFRESH),
        message=slack.as_message(reply),
    )
    assert clicked.status == 200
    assert time.monotonic() - started < 0.5  # the ack did not wait for the provider
    assert "Refreshing from the provider" in blocks_text(replaced(emulator)["blocks"])

    await bot.runtime.syncer.idle()
    final = blocks_text(replaced(emulator)["blocks"])
    assert "Refreshing" not in final
    assert f"*{NORDWIND_BASIC}* · Microsoft 365 Business Basic\n31 licenses" in final


async def test_sync_command_reports_when_done(slack, bot, emulator, sandbox):
    sandbox.faults.set(fail_next=[("getSubscriptions", ServerError)])
    reply = await slack.command("sync")
    assert "Reading every license group from OVHcloud" in reply.text
    await bot.runtime.syncer.idle()
    said = replaced(emulator)["text"]
    assert "Synced 4 license groups; 1 failed." in said
    assert "failed: Injected fault on getSubscriptions" in said


async def test_sync_command_for_one_group(slack, bot, emulator, sandbox):
    await slack.command("sync padaria")
    await bot.runtime.syncer.idle()
    assert replaced(emulator)["text"] == f"`{PADARIA}` is up to date."
    assert [c.service_name for c in sandbox.call_log if c.op == "getTenant"][-1] == PADARIA


# --- the row menu hands over to the flows --------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "callback_id"),
    [(SubscriptionAction.CHANGE_SEATS, "seats_form"), (SubscriptionAction.CANCEL, "cancel_form")],
)
async def test_the_row_menu_opens_the_flow_prefilled(slack, emulator, item, callback_id):
    """An overflow menu has one action_id: the choice reaches the flow's listener as its own
    action with the subscription id as value, and the flow opens its modal on that row."""
    reply = await slack.command("subs nordwind")
    answer = await slack.action(
        SubscriptionAction.MENU,
        selected=f"{item}:{NORDWIND_E3_AUDIO}",
        action_type="overflow",
        message=slack.as_message(reply),
    )
    assert answer.status == 200
    view = emulator.calls_of("views.open")[-1]["view"]
    assert view["callback_id"] == callback_id
    chosen = [
        b["element"].get("initial_option", {}).get("value")
        for b in view["blocks"]
        if b["type"] == "input"
    ]
    assert str(NORDWIND_E3_AUDIO) in chosen and NORDWIND in chosen
