"""`/csp usage <group>` and the tenant details' "Usage chart", end to end: a signed command in,
the chart uploaded the way slack-sdk's files_upload_v2 does it (files.getUploadURLExternal, the
bytes POSTed to the URL Slack gave, files.completeUploadExternal) — a real 1200×675 PNG whose
alt text carries the numbers, shared with the right-sizing line while a window is open.

The clock stands on 1 December 2026, 10:00 UTC."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.domain import UsageLine, UsageStatistics
from bot.core.ids import BrowseAction
from bot.provider.sandbox_data import BUSINESS_BASIC, NORDWIND
from bot.usage.report import group_usage
from store import cache_usage
from store.cache_usage import UsageSnapshot
from store.models import TenantRow
from tests.conftest import ALICE, STAFF_CHANNEL

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def shared_images(message) -> list[dict]:
    """The files a message shares, as the fake shows them: image blocks pointing at it."""
    return [b for b in message.blocks if b.get("type") == "image"]


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first, right after the signature)."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def five_basic_seats_unused(bot) -> None:
    """The sandbox counts every seat held as in use; OVHcloud says 20 of Nordwind's 25 Business
    Basic seats (bought two days ago, inside their window) were in use at the peak."""
    today = NOW.date()
    usage = UsageSnapshot(days=[UsageStatistics(date=today - timedelta(days=k), lines=[
        UsageLine(licence_id=BUSINESS_BASIC, licence_name="Microsoft 365 Business Basic",
                  peak_count=20 - k, end_of_day_count=19 - k)]) for k in range(3)])
    async with bot.runtime.db.transaction() as session:
        await cache_usage.apply_usage(session, await session.get(TenantRow, NORDWIND), usage, NOW)


async def test_the_usage_command_uploads_the_chart_with_its_numbers(
    slack, emulator, bot, synced
):
    await five_basic_seats_unused(bot)
    reply = await slack.command("usage nordwind")
    assert reply.status == 200 and "Drawing the usage chart" in reply.text
    await bot.runtime.notifier.settle()

    (asked,) = emulator.calls_of("files.getUploadURLExternal")
    (completed,) = emulator.calls_of("files.completeUploadExternal")
    assert completed["channel_id"] == STAFF_CHANNEL
    (upload,) = emulator.files.values()
    assert int(asked["length"]) == len(upload.content) == upload.length
    assert png_size(upload.content) == (1200, 675)
    assert upload.filename == "usage.png"

    summary = await group_usage(bot.runtime, NORDWIND)
    assert summary.licences
    for usage in summary.licences:
        assert f"{usage.name}: {usage.bought} bought" in upload.alt_txt, upload.alt_txt
    shared = emulator.last_message(STAFF_CHANNEL)
    (image,) = shared_images(shared)
    assert image["image_url"].endswith(upload.id) and image["alt_text"] == upload.alt_txt
    sizing = [u for u in summary.licences if u.could_remove]
    assert [u.license_id for u in sizing] == [BUSINESS_BASIC]
    assert "25 bought, peak 20 in 30 days: 5 could be removed until" in shared.all_text
    for usage in sizing:
        line = f"{usage.bought} bought, peak {usage.peak_30} in 30 days: {usage.could_remove} "
        assert line + "could be removed until" in shared.all_text
        assert f"{usage.could_remove} could be removed until" in upload.alt_txt


async def test_where_the_bot_may_not_post_the_chart_goes_to_the_dm(slack, emulator, bot, synced):
    emulator.fail("files.completeUploadExternal", "not_in_channel")
    await slack.command("usage nordwind", channel="C0ELSEWHERE")
    await bot.runtime.notifier.settle()
    dm = emulator.last_message(f"D{ALICE}")
    (image,) = shared_images(dm)
    upload = emulator.files[image["image_url"].rsplit("/", 1)[-1]]
    assert png_size(upload.content) == (1200, 675)


async def test_the_tenant_details_button_uploads_the_chart(slack, emulator, bot, synced):
    reply = await slack.command("tenant nordwind")
    assert "Usage chart" in reply.text or "Usage chart" in str(reply.json.get("blocks"))
    message = slack.as_message(reply)
    await slack.action(BrowseAction.USAGE, value=NORDWIND, message=message)
    await bot.runtime.notifier.settle()
    assert len(emulator.calls_of("files.completeUploadExternal")) == 1
    assert shared_images(emulator.last_message(STAFF_CHANNEL))


async def test_a_usage_button_for_a_group_not_in_the_cache_says_so(slack, emulator, bot, synced,
                                                                    caplog):
    """A stale or forged button: the person is told, nothing is uploaded, nothing is an error."""
    reply = await slack.command("tenant nordwind")
    message = slack.as_message(reply)
    await slack.action(BrowseAction.USAGE, value="<!here> gone.onmicrosoft.com", message=message)
    await bot.runtime.notifier.settle()
    assert not emulator.calls_of("files.getUploadURLExternal")
    (told,) = [m for m in emulator.ephemerals(ALICE) if "not in the cache" in m.text]
    assert "&lt;!here&gt;" in told.text and "<!here>" not in told.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
