"""How a per-language test makes a person speak a language: Slack's profile of them says their
locale and time zone, and the bot has read it (in the background, as it does in Slack)."""

from __future__ import annotations

from tests.conftest import ALICE


async def speaks(bot, slack, emulator, locale: str, zone: str, user: str = ALICE) -> None:
    emulator.users[user] = {"id": user, "name": user.lower(), "locale": locale, "tz": zone,
                            "is_bot": False}
    await slack.command("help", user=user)  # Slack's locale is read in the background
    await bot.runtime.locales.settle()
