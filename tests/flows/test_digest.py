"""The daily window digest, end to end: seats added through the seat flow (signed requests in,
changeQuantity out), then the digest posted at CSP_DIGEST_TIME in the approvals channel and by
DM to the requester — once a day, with two replicas on one database — and nothing on a day with
nothing to say.

The clock starts on 1 December 2026, 10:00 UTC. Nordwind's ProPlus renewed on 27 November at
10:00, so its cancellation window closes on 4 December at 10:00; its Office 365 E3 renews on
17 December at 10:00."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.runtime import Runtime
from bot.core.blocks import date_token
from bot.core.clock import FakeClock
from bot.core.ids import BlockId, SeatsBlock, SubscriptionChoiceBlock
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3, NORDWIND_PROPLUS
from bot.terms import digest
from tests.conftest import ALICE, APPROVALS_CHANNEL
from tests.flows.conftest import open_modal, settle
from tests.slack_emulator import blocks_text

SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PROPLUS_CLOSES = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
E3_RENEWAL = datetime(2026, 12, 17, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def digests(emulator, channel: str) -> list:
    return [m for m in emulator.messages[channel] if "Windows today" in m.text
            or "Your windows today" in m.text]


async def change_seats(slack, emulator, bot, total: int, schedule: bool = False) -> None:
    form = await open_modal(slack, emulator, f"/csp seats nordwind {NORDWIND_E3}")
    values = {BlockId.TENANT: NORDWIND, SUBSCRIPTION: NORDWIND_E3, SeatsBlock.NEW_TOTAL: total}
    if schedule:
        values[f"{SeatsBlock.SCHEDULE}.{int(E3_RENEWAL.timestamp())}"] = ["at_renewal"]
    reply = await slack.submit(form, values)
    assert reply.view is not None, reply.errors
    await slack.submit(reply.view)
    await settle(bot.runtime)


async def test_the_digest_says_what_can_still_be_undone_once_a_day(
    slack, emulator, sandbox, bot, clock, settings, synced
):
    await change_seats(slack, emulator, bot, 19)  # 7 seats added now
    assert [c["quantity"] for c in sandbox.calls("changeQuantity")] == [19]

    clock.set(datetime(2026, 12, 3, 7, 59, tzinfo=UTC))  # before CSP_DIGEST_TIME (08:00)
    assert await digest.send_digest(bot.runtime) is False
    assert digests(emulator, APPROVALS_CHANNEL) == []

    clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    other = Runtime(settings, provider=sandbox, clock=clock)  # a second replica, same database
    await other.start(migrate=False, background=False)
    try:
        sent = await asyncio.gather(digest.send_digest(bot.runtime), digest.send_digest(other))
        await digest.send_digest(bot.runtime)  # a later round of the same day
    finally:
        await other.stop()
    assert sorted(sent) == [False, True]
    (posted,) = digests(emulator, APPROVALS_CHANNEL)
    text = posted.all_text
    assert ("7 Office 365 E3 seats added at Nordwind Logistics B.V. can still be removed until "
            + date_token(NOW + timedelta(hours=168))) in text
    assert f"({NORDWIND_PROPLUS}) at Nordwind Logistics B.V.: cancellable with a refund until " \
           + date_token(PROPLUS_CLOSES) in text
    (mine,) = digests(emulator, f"D{ALICE}")
    assert "7 Office 365 E3 seats added" in mine.all_text
    assert str(NORDWIND_PROPLUS) not in mine.all_text  # nobody's request: the channel only


async def test_a_change_due_tomorrow_is_in_the_digest_and_a_quiet_day_posts_nothing(
    slack, emulator, bot, clock, synced
):
    await change_seats(slack, emulator, bot, 10, schedule=True)

    clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=UTC))  # nothing closes, nothing is due
    assert await digest.gather(bot.runtime, clock.now()) == []
    assert await digest.send_digest(bot.runtime) is True  # the day is taken, nothing said
    assert digests(emulator, APPROVALS_CHANNEL) == []
    assert digests(emulator, f"D{ALICE}") == []

    clock.set(datetime(2026, 12, 16, 9, 0, tzinfo=UTC))
    assert await digest.send_digest(bot.runtime) is True
    (posted,) = digests(emulator, APPROVALS_CHANNEL)
    assert "Scheduled for today and tomorrow" in posted.all_text
    assert "12 → 10: sent " + date_token(E3_RENEWAL) in posted.all_text
    (mine,) = digests(emulator, f"D{ALICE}")
    assert "12 → 10" in blocks_text(mine.blocks)
