"""Every user-facing string goes through `_()`, so the bot can be translated with gettext.

English is the source language and, for now, the only one: a catalogue would go in
`bot/locale/<lang>/LC_MESSAGES/csp-bot.mo` (and into the package data in pyproject.toml).
`_()` also formats: `_("{n} seats", n=3)`.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "csp-bot"

_translation = gettext.translation(
    DOMAIN,
    localedir=LOCALE_DIR,
    languages=[os.environ.get("CSP_LANGUAGE", "en")],
    fallback=True,
)


def _(message: str, /, **values: object) -> str:
    text = _translation.gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    text = _translation.ngettext(singular, plural, n)
    return text.format(n=n, **values)
