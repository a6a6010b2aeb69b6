"""Each person reads the bot in their language: their own choice (`/csp language`, kept in
the database), else their Slack locale (`users.info`, read in the background and cached),
else the workspace's `CSP_LANGUAGE`."""

from __future__ import annotations

import asyncio

import pytest

from bot.app.locales import Locales
from tests.conftest import ALICE, BOB, make_settings


def slack_user(emulator, user, locale, tz="Europe/Berlin"):
    emulator.users[user] = {"id": user, "name": user.lower(), "locale": locale, "tz": tz,
                            "is_bot": False}


async def test_the_slack_locale_is_read_in_the_background_and_used_from_then_on(
        slack, emulator, bot):
    slack_user(emulator, ALICE, "nl-NL")
    first = await slack.command("help", user=ALICE)
    # nothing waited on users.info: the first answer is in the workspace language
    assert "Show this list." in first.text
    await bot.runtime.locales.settle()
    assert len(emulator.calls_of("users.info")) == 1
    second = await slack.command("help", user=ALICE)
    assert "Deze lijst tonen." in second.text
    assert "Het aantal licenties van een abonnement wijzigen." in second.text
    assert "Elke wijziging krijgt u eerst ter bevestiging te zien" in second.text
    await slack.command("help", user=ALICE)
    await bot.runtime.locales.settle()
    assert len(emulator.calls_of("users.info")) == 1  # cached


async def test_an_unspoken_slack_locale_falls_back_to_the_workspace_language(
        slack, emulator, bot):
    slack_user(emulator, BOB, "ja-JP")
    await slack.command("help", user=BOB)
    await bot.runtime.locales.settle()
    assert "Show this list." in (await slack.command("help", user=BOB)).text


async def test_an_own_choice_wins_over_slack_and_is_kept_in_the_database(
        slack, emulator, bot):
    slack_user(emulator, ALICE, "nl-NL")
    answer = await slack.command("language de", user=ALICE)
    assert "Ab jetzt spreche ich Deutsch mit Ihnen." in answer.text
    await bot.runtime.locales.settle()
    assert "Diese Liste anzeigen." in (await slack.command("help", user=ALICE)).text
    overview = await slack.command("language", user=ALICE)
    assert "Ich spreche Deutsch mit Ihnen, wie Sie es gewählt haben." in overview.text
    # a fresh process (nothing cached) reads the choice from the database
    fresh = Locales(bot.runtime)
    assert (await fresh.chosen(ALICE)) == "de"
    # `auto` gives the choice back to Slack's language
    answer = await slack.command("language auto", user=ALICE)
    assert "Vanaf nu spreek ik de taal van uw Slack (voorlopig Nederlands)." in answer.text
    assert (await Locales(bot.runtime).chosen(ALICE)) is None


async def test_an_unknown_language_is_refused_in_words(slack):
    answer = await slack.command("language klingon")
    assert "I don't speak “klingon”" in answer.text and "`fr` (Français)" in answer.text


async def test_errors_are_answered_in_the_persons_language(slack, emulator, bot):
    slack_user(emulator, ALICE, "it-IT")
    await slack.command("help", user=ALICE)
    await bot.runtime.locales.settle()
    reply = await slack.command("help", user=ALICE, command="/other")  # no listener: an error
    assert reply.json["text"] == "csp-bot risponde solo a `/csp`: prova `/csp help`."


class TestWorkspaceLanguage:
    @pytest.fixture
    def settings(self, emulator, database_url):
        return make_settings(emulator, database_url, csp_language="fr")

    async def test_the_workspace_language_is_the_default(self, slack, emulator, bot):
        reply = await slack.command("help", user=BOB)
        assert "Afficher cette liste." in reply.text
        assert "csp-bot : licences Microsoft 365 via OVHcloud" in reply.text


async def test_a_burst_of_one_persons_requests_reads_their_choice_once(bot):
    fresh = Locales(bot.runtime)
    reads = 0
    original = fresh._read_choice

    async def counted(user_id):
        nonlocal reads
        reads += 1
        return await original(user_id)

    fresh._read_choice = counted
    answers = await asyncio.gather(*(fresh.chosen(ALICE) for _ in range(20)))
    assert answers == [None] * 20 and reads == 1
    await fresh.choose(ALICE, "de")
    assert await fresh.chosen(ALICE) == "de" and reads == 1  # from memory


def test_a_stored_text_is_said_again_in_another_language_or_not_at_all():
    from bot.core.i18n import _, say_again, using

    with using("fr"):
        stored = _("confirmed").stored()
    with using("de"):
        assert say_again(stored) == _("confirmed")
    # what cannot be said again is left to the caller (it shows the text as stored)
    assert say_again(None) is None
    assert say_again({"message": 3}) is None
    assert say_again({"message": "{missing} x", "values": {"other": "1"}}) is None
