"""Browsing while the cache is stale: the provider down, a group failing, old data, nothing yet.
Browsing never waits on the provider; it says how old the answer is and why."""

from __future__ import annotations

from bot.provider.base import ProviderUnavailable, ServerError
from bot.provider.sandbox_data import NORDWIND


async def test_provider_down_still_answers_from_the_cache_and_says_why(slack, bot, sandbox, clock):
    await bot.runtime.syncer.run_once()
    clock.advance(hours=2)
    sandbox.faults.set(fail_next=[("listTenants", ProviderUnavailable)])
    await bot.runtime.syncer.run_once()

    reply = await slack.command("tenants")
    text = reply.text
    assert "Nordwind Logistics B.V." in text  # still browsable
    assert "As of <!date^1793610000^" in text and "(2 hours ago)" in text
    assert ":warning: *This may be out of date.* The provider could not be read at" in text
    assert "Injected fault on listTenants" in text
    assert "out of date" in (await slack.command("subs nordwind")).text


async def test_a_group_that_failed_to_sync_says_so(slack, bot, sandbox, clock):
    await bot.runtime.syncer.run_once()
    clock.advance(minutes=10)
    sandbox.faults.set(fail_next=[("getTenant", ServerError)])
    report = await bot.runtime.syncer.run_once()
    [failed] = report.failed
    reply = await slack.command(f"tenant {failed}")
    assert "This may be out of date" in reply.text
    assert "Injected fault on getTenant" in reply.text
    assert "(10 minutes ago)" in reply.text


async def test_old_data_is_called_stale(slack, bot, clock):
    await bot.runtime.syncer.run_once()
    clock.advance(minutes=45)  # the default interval is 15 minutes
    reply = await slack.command("tenants")
    assert "This may be out of date:* the last sync was 45 minutes ago." in reply.text


async def test_before_the_first_sync(slack):
    reply = await slack.command("tenants")
    assert "Nothing has been synced from the provider yet." in reply.text
    assert "No license group to show." in reply.text


async def test_the_provider_down_at_the_first_sync(slack, bot, sandbox):
    sandbox.faults.set(fail_next=[("listTenants", ProviderUnavailable)])
    await bot.runtime.syncer.run_once()
    reply = await slack.command("tenants")
    assert "This may be out of date." in reply.text
    assert "Injected fault on listTenants" in reply.text
    unknown = await slack.command(f"subs {NORDWIND}")
    assert "No license group matches" in unknown.text


async def test_a_group_re_read_since_is_said_next_to_as_of(slack, bot, clock):
    """A request's refresh re-reads its group: the listing's counts are then newer than the
    oldest "as of", and the listing says so instead of passing them off as that old."""
    await bot.runtime.syncer.run_once()
    clock.advance(minutes=9)
    await bot.runtime.syncer.refresh_tenant(NORDWIND)

    text = (await slack.command("tenants")).text
    assert "(9 minutes ago)" in text
    assert "1 of these license groups was re-read since, the latest" in text
    clock.advance(minutes=1)
    await bot.runtime.syncer.run_once()  # a full sync: all alike again
    assert "re-read since" not in (await slack.command("tenants")).text
