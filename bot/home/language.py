"""What `/csp language` answers."""

from __future__ import annotations

from bot.core.i18n import LANGUAGE_NAMES, LANGUAGES, _, default_language
from bot.core.text import escape

#: Words that give the choice back to Slack's language.
AUTO_WORDS = frozenset({"auto", "slack", "default"})


def _choices() -> str:
    return ", ".join(f"`{code}` ({LANGUAGE_NAMES[code]})" for code in LANGUAGES)


def language_overview(chosen: str | None, slack_language: str | None) -> str:
    if chosen:
        now = _("I speak {language} to you, as you chose.", language=LANGUAGE_NAMES[chosen])
    elif slack_language:
        now = _("I speak {language} to you, the language of your Slack.",
                language=LANGUAGE_NAMES[slack_language])
    else:
        now = _("I speak {language} to you, the workspace's language.",
                language=LANGUAGE_NAMES[default_language()])
    return now + "\n" + _(
        "Choose another with `/csp language nl` — one of {choices} — or `/csp language auto` "
        "to follow your Slack language.", choices=_choices())


def language_answer(language: str | None, *, automatic: bool = False,
                    unknown: str | None = None) -> str:
    if unknown is not None:
        return _("I don't speak “{word}”. Choose one of {choices}, or `auto`.",
                 word=escape(unknown[:40]), choices=_choices())
    if automatic:
        return _("From now on I speak the language of your Slack ({language} for now).",
                 language=LANGUAGE_NAMES[language or default_language()])
    return _("From now on I speak {language} to you.",
             language=LANGUAGE_NAMES[language or default_language()])
