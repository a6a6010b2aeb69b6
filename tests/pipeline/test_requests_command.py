"""`/csp requests mine | waiting | recent` and the App Home sections: the state, the age and a
link to each card, and "waiting" only for those who decide."""

from __future__ import annotations

from bot.core.domain import Role
from bot.home.app_home import publish_home
from bot.pipeline.cards import message_link
from tests.conftest import ADA, ALICE, BOB, SAM
from tests.pipeline.scenario import confirmed_cancellation, draft_cancellation


def link(request) -> str:
    return message_link(request.card_channel, request.card_ts)


async def test_mine_lists_my_requests_with_state_age_and_card_link(bot, slack, emulator):
    mine = await confirmed_cancellation(bot, slack, emulator)
    theirs = await confirmed_cancellation(bot, slack, emulator, requester=BOB,
                                          summary="Bob's cancellation")
    await draft_cancellation(bot.runtime, summary="never confirmed")

    for text in ("requests", "requests mine"):
        reply = await slack.command(text, user=ALICE)
        assert reply.json["response_type"] == "ephemeral"
        assert "Your recent requests" in reply.text
        assert f"*{mine.ref}* · Cancellation · Cancel Office 365 E5" in reply.text
        assert "Waiting for a support agent's decision" in reply.text
        assert f"<!date^{int(mine.created_at.timestamp())}^{{ago}}|" in reply.text
        assert f"<{link(mine)}|card>" in reply.text
        assert link(mine).startswith("https://slack.com/archives/C0STAFF/p")
        assert theirs.ref not in reply.text and "never confirmed" not in reply.text


async def test_waiting_is_for_support_agents_and_leaves_out_their_own(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    alices = await confirmed_cancellation(bot, slack, emulator)
    sams = await confirmed_cancellation(bot, slack, emulator, requester=SAM,
                                        summary="Sam's own")

    refused = await slack.command("requests waiting", user=BOB)
    assert "Only support agents decide" in refused.text

    reply = await slack.command("requests waiting", user=SAM)
    assert "Waiting for your decision" in reply.text
    assert alices.ref in reply.text and f"<{link(alices)}|card>" in reply.text
    assert "decide before <!date^" in reply.text
    assert sams.ref not in reply.text

    admin = await slack.command("requests waiting", user=ADA)
    assert alices.ref in admin.text and sams.ref in admin.text


async def test_recent_shows_everyones_and_a_typo_says_what_to_write(bot, slack, emulator):
    first = await confirmed_cancellation(bot, slack, emulator)
    second = await confirmed_cancellation(bot, slack, emulator, requester=BOB,
                                          summary="Bob's cancellation")
    reply = await slack.command("requests recent", user=ALICE)
    assert "Recent requests" in reply.text
    assert reply.text.index(second.ref) < reply.text.index(first.ref)  # newest first

    typo = await slack.command("requests waitng", user=ALICE)
    assert "/csp requests waiting" in typo.text


async def test_app_home_shows_your_requests_and_for_agents_those_waiting(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)

    await publish_home(bot.runtime, ALICE)
    alice_home = str(emulator.home[ALICE]["blocks"])
    assert "Your recent requests" in alice_home and request.ref in alice_home
    assert "Waiting for your decision" not in alice_home

    await publish_home(bot.runtime, SAM)
    sam_home = str(emulator.home[SAM]["blocks"])
    assert "Waiting for your decision" in sam_home and request.ref in sam_home
    assert "You have no requests yet." in sam_home
