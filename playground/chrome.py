"""The playground page's own words (its chrome: banner, headings, switchers), in the language
of the person the page shows, through the bot's catalogues like every other text."""

from __future__ import annotations

from bot.core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, gettext_in, supported

CHROME: dict[str, str] = {
    "title": N_("csp-bot playground"),
    "banner_title": N_("Local playground"),
    "banner_text": N_("This page stands in for Slack, on sandbox data: nothing reaches Slack or "
                      "OVHcloud, and everything is forgotten when the bot stops. Set Slack "
                      "credentials and run `make run` again to connect to Slack."),
    "workspace": N_("Playground workspace"),
    "you_are": N_("You are:"),
    "switch_user": N_("Switch user"),
    "language": N_("Language:"),
    "switch_language": N_("The Slack language of this person"),
    "connection": N_("Live updates from the playground server"),
    "conversations": N_("Conversations"),
    "apps": N_("Apps"),
    "home_item": N_("csp-bot Home"),
    "channels": N_("Channels"),
    "direct_messages": N_("Direct messages"),
    "home_title": N_("csp-bot — Home"),
    "no_home": N_("csp-bot has not published a Home tab for you yet."),
    "log": N_("Playground log"),
    "no_messages": N_("No messages yet."),
    "only_you": N_("Only visible to you"),
}

#: The Slack locale the switcher gives a person for each language (what users.info says).
SLACK_LOCALES: dict[str, str] = {
    "en": "en-GB", "nl": "nl-NL", "de": "de-DE", "pt": "pt-PT", "it": "it-IT", "fr": "fr-FR",
}


def chrome_texts(language: str | None) -> dict[str, str]:
    chosen = supported(language) or "en"
    return {key: gettext_in(chosen, text) for key, text in CHROME.items()}


def language_choices() -> list[dict[str, str]]:
    return [{"code": code, "name": LANGUAGE_NAMES[code]} for code in LANGUAGES]
