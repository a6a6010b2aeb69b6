"""The App Home tab follows the requests: when one changes, the requester's and the decider's
tabs are published again ("Your recent requests", "Waiting for your decision"), without their
having to reopen the tab — and a Slack failure there never touches the request."""

from __future__ import annotations

from bot.core.domain import RequestState, Role
from bot.core.ids import PipelineAction, PipelineBlock
from bot.pipeline.transitions import load
from tests.conftest import ADA, ALICE, SAM, SUE
from tests.pipeline.scenario import approval_card, confirmed_cancellation
from tests.slack_emulator import blocks_text

S = RequestState


def home_text(emulator, user: str) -> str:
    return blocks_text(emulator.home[user]["blocks"])


def publishes_for(emulator, user: str) -> int:
    return sum(1 for call in emulator.calls_of("views.publish") if call["user_id"] == user)


async def approve(bot, slack, emulator, request, user: str = SAM) -> None:
    await slack.action(
        PipelineAction.APPROVE, value=str(request.id), user=user,
        message=approval_card(emulator), block_id=PipelineBlock.DECISION,
    )
    await bot.runtime.notifier.settle()


async def test_a_decision_redraws_the_tabs_of_the_requester_and_the_decider(
    bot, slack, emulator
):
    for agent in (SAM, SUE):
        await bot.runtime.roles.grant(agent, Role.SUPPORT, by=ADA)
    for user in (ALICE, SAM, SUE):
        await slack.open_home(user)
    assert "You have no requests yet." in home_text(emulator, ALICE)

    request = await confirmed_cancellation(bot, slack, emulator)
    alice = home_text(emulator, ALICE)  # redrawn on confirmation, without reopening the tab
    assert request.ref in alice and "Waiting for a support agent's decision" in alice

    before = {user: publishes_for(emulator, user) for user in (ALICE, SAM, SUE)}
    await approve(bot, slack, emulator, request)
    assert (await load(bot.runtime.db, request.id)).state is S.QUEUED

    assert publishes_for(emulator, ALICE) > before[ALICE]
    alice = home_text(emulator, ALICE)
    assert "Queued: about to be sent to OVHcloud" in alice
    assert "Waiting for a support agent's decision" not in alice
    assert publishes_for(emulator, SAM) > before[SAM]  # the decider
    assert "Nothing is waiting for your decision." in home_text(emulator, SAM)
    assert publishes_for(emulator, SUE) == before[SUE]  # neither requester nor decider


async def test_only_tabs_that_were_opened_are_published(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)
    await approve(bot, slack, emulator, request)
    assert (await load(bot.runtime.db, request.id)).state is S.QUEUED
    assert emulator.calls_of("views.publish") == []


async def test_slack_refusing_the_tab_changes_nothing_else(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    await slack.open_home(ALICE)
    request = await confirmed_cancellation(bot, slack, emulator)
    emulator.fail("views.publish", "internal_error", times=5)

    await approve(bot, slack, emulator, request)

    request = await load(bot.runtime.db, request.id)
    assert request.state is S.QUEUED and request.decided_by == SAM
    assert "Queued" in emulator.message(request.card_channel, request.card_ts).all_text
    assert "Waiting for a support agent's decision" in home_text(emulator, ALICE)  # as it was
