"""The App Home tab: drawn from the cache when opened, redrawn after Refresh, and open to
sections from other parts of the bot."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import SectionBlock

from bot.core.blocks import section
from bot.core.ids import HomeAction
from bot.home.app_home import add_home_section, remove_home_section
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, PADARIA
from tests.conftest import ALICE, BOB
from tests.slack_emulator import blocks_text


@pytest.fixture
async def synced(bot):
    await bot.runtime.syncer.run_once()


@pytest.fixture
def sections():
    """Sections a test adds, removed afterwards."""
    added = []

    def add(name, build, order=100):
        added.append(name)
        add_home_section(name, build, order=order)

    yield add
    for name in added:
        remove_home_section(name)


def action_ids(view: dict) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def test_opening_home_shows_the_flows_and_the_groups_at_a_glance(slack, emulator, synced):
    reply = await slack.open_home(ALICE)
    assert reply.status == 200
    home = emulator.home[ALICE]
    assert home["type"] == "home"
    assert action_ids(home)[:4] == [
        HomeAction.ORDER,
        HomeAction.SEATS,
        HomeAction.CANCEL,
        HomeAction.REFUND,
    ]
    text = blocks_text(home["blocks"])
    assert "*License groups* · 5 groups · 147 seats" in text
    assert ("• *Nordwind Logistics B.V.* — :large_green_circle: in service · 5 subscriptions · "
            "90 seats") in text
    assert "Van der Berg Architecten* — :red_circle: suspended" in text
    assert ":warning: MPN issue" in text
    assert "As of <!date^" in text


async def test_sections_from_other_parts_come_after_the_buttons(slack, emulator, synced, sections):
    async def waiting_for_you(runtime, user_id):
        return [section(f"*Waiting for your decision* (for {user_id})")]

    async def broken(runtime, user_id):
        raise RuntimeError("this section has a bug")

    async def nothing(runtime, user_id):
        return []

    sections("test-waiting", waiting_for_you, order=1)
    sections("test-broken", broken, order=2)
    sections("test-nothing", nothing, order=3)
    await slack.open_home(BOB)
    text = blocks_text(emulator.home[BOB]["blocks"])
    assert "*Waiting for your decision* (for U0BOB)" in text
    assert text.index("Refund ticket") < text.index("Waiting for your decision")
    assert text.index("Waiting for your decision") < text.index("*License groups*")


async def test_a_section_too_big_for_the_tab_is_left_out(slack, emulator, synced, sections):
    async def huge(runtime, user_id):
        return [SectionBlock(text=f"line {i}") for i in range(120)]

    sections("test-huge", huge)
    await slack.open_home(ALICE)
    home = emulator.home[ALICE]
    assert len(home["blocks"]) <= 100
    assert "line 0" not in blocks_text(home["blocks"])
    assert "Some sections did not fit here" in blocks_text(home["blocks"])
    assert "*License groups*" in blocks_text(home["blocks"])


async def test_refresh_redraws_the_tab_after_syncing_in_the_background(
    slack, bot, emulator, sandbox, synced
):
    await slack.open_home(ALICE)
    await sandbox.change_quantity(NORDWIND, NORDWIND_BASIC, 35)
    sandbox.settle()
    published = len(emulator.calls_of("views.publish"))

    reply = await slack.action(HomeAction.REFRESH, user=ALICE)
    assert reply.status == 200
    await bot.runtime.syncer.idle()

    assert len(emulator.calls_of("views.publish")) == published + 1
    assert "5 subscriptions · 100 seats" in blocks_text(emulator.home[ALICE]["blocks"])


async def test_home_before_any_sync(slack, emulator):
    await slack.open_home(ALICE)
    text = blocks_text(emulator.home[ALICE]["blocks"])
    assert "No license group is cached yet." in text
    assert "Nothing has been synced from the provider yet." in text


async def test_many_groups_are_counted_not_listed(slack, bot, emulator, sandbox):
    base = sandbox.world.tenants[PADARIA]
    for i in range(60):
        record = base.model_copy(deep=True)
        record.tenant.service_name = f"csp2-home{i:03d}.o365.ovh"
        record.tenant.display_name = f"Zulu {i:03d}"
        record.subscriptions, record.tasks = {}, {}
        sandbox.world.tenants[record.tenant.service_name] = record
    await bot.runtime.syncer.run_once()
    await slack.open_home(ALICE)
    home = emulator.home[ALICE]
    assert len(home["blocks"]) <= 100
    assert "…and 25 more groups." in blocks_text(home["blocks"])


async def test_someone_without_the_staff_role_sees_how_to_get_it(slack, bot, emulator, synced):
    bot.runtime.settings.csp_everyone_is_staff = False
    await slack.open_home(BOB)
    text = blocks_text(emulator.home[BOB]["blocks"])
    assert "Ask an admin of csp-bot for the staff role" in text
    assert "Nordwind" not in text
