"""`/csp language [nl|de|pt|it|fr|en|auto]`: the language the bot speaks to you."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.app.runtime import Runtime
from bot.core.i18n import _, supported
from bot.home.app_home import home_viewers, publish_home
from bot.home.language import AUTO_WORDS, language_answer, language_overview
from bot.slack.access import anyone
from bot.slack.payload import Payload
from handlers.router import CommandCall, Router, Subcommand


def register(app: AsyncApp, router: Router) -> None:
    router.add(
        Subcommand(
            "language",
            _("The language the bot speaks to you: nl, de, pt, it, fr, en, or auto (Slack's)."),
            "/csp language nl",
            choose_language,
            access=anyone("each person chooses their own language"),
        )
    )
    # a person changed their Slack language or time zone: use it from their next request on
    learning = anyone("Slack's event about a person's own profile")
    app.event("user_change", middleware=[learning.gate])(learn_user)


async def learn_user(event: Payload, runtime: Runtime) -> None:
    user = event.get("user")
    if isinstance(user, dict):
        runtime.locales.learn(user)


async def choose_language(call: CommandCall) -> None:
    locales = call.runtime.locales
    if not call.args:
        chosen = await locales.chosen(call.user_id)
        text = language_overview(chosen, locales.slack_language(call.user_id))
        await call.ack(text=text, response_type="ephemeral")
        return
    word = call.args[0]
    language = None if word.lower() in AUTO_WORDS else supported(word)
    if language is None and word.lower() not in AUTO_WORDS:
        await call.ack(text=language_answer(None, unknown=word), response_type="ephemeral")
        return
    await locales.choose(call.user_id, language)
    locale = await locales.of(call.user_id)
    with locale.speaking():
        text = language_answer(locale.language, automatic=language is None)
    await call.ack(text=text, response_type="ephemeral")
    if call.user_id in home_viewers(call.runtime):  # their Home tab, redrawn in the new one
        call.runtime.syncer.spawn(publish_home(call.runtime, call.user_id), name="home:language")
