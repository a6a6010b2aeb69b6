"""Every user-facing string goes through `_()` or `ngettext()`, in the language of the person
who will read it.

English is the source language. The catalogues are `bot/locale/<lang>/LC_MESSAGES/messages.po`
(edited by translators, see README); a compiled `messages.mo` next to one is used when it is
at least as new as the `.po`, else the `.po` is compiled in memory when first needed, so a fresh
clone and an installed wheel both work without a build step.

Which language: the person's, set for the duration of a request or a notification with
`using(language)` (a context variable, so concurrent requests on one event loop do not mix).
Outside of that, the workspace default (`CSP_LANGUAGE`, read at start-up with
`set_default_language`). Plural forms come from each catalogue's `Plural-Forms` header, which
`make catalogs-update` takes from CLDR (e.g. French and Portuguese of Portugal treat 0 as
singular in French only).

`_()` also formats: `_("{n} seats", n=3)`. `N_()` marks a text for extraction only, for tables
built at import time and translated where they are shown.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
#: The languages the bot speaks, in the order a chooser lists them.
LANGUAGES: tuple[str, ...] = ("en", "nl", "de", "pt", "it", "fr")
#: Each language's own name, for the chooser and `/csp language`.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "nl": "Nederlands",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "fr": "Français",
}

_default = SOURCE_LANGUAGE
_current: ContextVar[str | None] = ContextVar("csp_language", default=None)
#: The reader's time zone (IANA name from Slack's `users.info`), for times the bot writes out.
_zone: ContextVar[str | None] = ContextVar("csp_time_zone", default=None)


def supported(language: object) -> str | None:
    """The supported language a Slack locale (`nl-NL`, `pt-BR`, `de`), a setting or a typed
    word names; None when it names none."""
    if not isinstance(language, str):
        return None
    word = language.strip().lower().replace("_", "-")
    base = word.split("-", 1)[0]
    if base in LANGUAGES:
        return base
    by_name = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
    return by_name.get(word)


def set_default_language(language: str | None) -> None:
    """The workspace's language for people whose own is not known (yet)."""
    global _default
    _default = supported(language) or SOURCE_LANGUAGE


def default_language() -> str:
    return _default


def current_language() -> str:
    return _current.get() or _default


def current_time_zone() -> ZoneInfo:
    """The reader's time zone; UTC when unknown."""
    return time_zone(_zone.get())


@cache
def time_zone(name: str | None) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            log.info("unknown time zone %r; UTC is used", str(name)[:60])
    return ZoneInfo("UTC")


def speak(language: str | None, time_zone: str | None = None) -> str:
    """Speak `language` for the rest of the current task: for a Slack request, which aiohttp
    and the Socket Mode client each handle in a task of its own. (Bolt runs the listener after
    its global middleware has returned, so a `with using()` there would end too soon.)"""
    chosen = supported(language) or _default
    _current.set(chosen)
    _zone.set(time_zone)
    return chosen


@contextmanager
def using(language: str | None, time_zone: str | None = None) -> Iterator[str]:
    """Speak `language` (the default when None or unsupported) inside the block, and write
    times in `time_zone` (UTC when None)."""
    chosen = supported(language) or _default
    token = _current.set(chosen)
    zone_token = _zone.set(time_zone)
    try:
        yield chosen
    finally:
        _zone.reset(zone_token)
        _current.reset(token)


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations of `language`: its compiled `.mo` when up to date, else its `.po`
    compiled in memory. English, and a language whose catalogue is missing, translate to the
    source text."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    po = catalog_path(language)
    mo = po.with_suffix(".mo")
    try:
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as handle:
                return gettext.GNUTranslations(handle)
        return gettext.GNUTranslations(io.BytesIO(_compile(po)))
    except OSError:
        log.error("no catalogue for language %r at %s; English is shown", language, po)
        return gettext.NullTranslations()


def _compile(po: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    return buffer.getvalue()


def gettext_in(language: str, message: str) -> str:
    return translations(language).gettext(message)


class Said(str):
    """A translated text that remembers its source text and values, so that a stored copy (an
    audit note) can be said again in a later reader's language. Anything built from it (an
    f-string, a concatenation) is a plain `str` again."""

    context: str | None
    message: str
    values: Mapping[str, object]

    @classmethod
    def of(cls, text: str, message: str, context: str | None,
           values: Mapping[str, object]) -> Said:
        said = cls(text)
        said.message, said.context, said.values = message, context, values
        return said

    def stored(self) -> dict[str, object]:
        return {"message": self.message, "context": self.context,
                "values": {k: str(v) for k, v in self.values.items()}}


def say_again(stored: object) -> str | None:
    """A `Said.stored()` text in the reader's language; None when it cannot be (not one, or its
    source text no longer takes those values)."""
    if not isinstance(stored, Mapping) or not isinstance(stored.get("message"), str):
        return None
    values = stored.get("values")
    values = values if isinstance(values, Mapping) else {}
    context = stored.get("context")
    try:
        if isinstance(context, str):
            return pgettext(context, stored["message"], **values)
        return _(stored["message"], **values)
    except (KeyError, IndexError, ValueError):
        return None


def _(message: str, /, **values: object) -> str:
    text = translations(current_language()).gettext(message)
    return Said.of(text.format(**values) if values else text, message, None, values)


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The plural form of `n` in the reader's language; `{n}` is written their way (`1.234`)."""
    from bot.core.formats import number  # bot.formats reads the reader's language from here

    text = translations(current_language()).ngettext(singular, plural, n)
    return text.format(n=number(n) if isinstance(n, int) else n, **values)


def pgettext(context: str, message: str, /, **values: object) -> str:
    """`_()` for a word that a language may say differently by what it is about (a step's
    "done" and a request's), told apart by `context` in the catalogues."""
    text = translations(current_language()).pgettext(context, message)
    return Said.of(text.format(**values) if values else text, message, context, values)


def N_(message: str, /) -> str:
    """Marks `message` for the catalogues; `_()` translates it where it is shown."""
    return message
