"""Countries for the order form: ISO 3166-1 alpha-2 codes (the order cart asks for the end
customer's country as one), named in the reader's language.

The codes are the tz database's `iso3166.tab` (public domain, shipped in the `tzdata`
package); the names are CLDR's, through Babel. The list starts with the countries the bot's
users sell in, then the rest in the order of the Unicode Collation Algorithm (`pyuca`; none of
the languages the bot speaks tailors it for names like these), so `Österreich` sorts under O
in German and `Égypte` under E in French.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files

from babel import Locale
from pyuca import Collator

from bot.core.formats import babel_locale
from bot.core.i18n import current_language

#: Listed first, in this order: where the bot's users resell.
FIRST: tuple[str, ...] = ("NL", "DE", "PT", "IT", "FR")


@cache
def country_codes() -> tuple[str, ...]:
    table = files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text(encoding="utf-8")
    return tuple(sorted(line.split("\t", 1)[0] for line in table.splitlines()
                        if line and not line.startswith("#")))


@cache
def _collator() -> Collator:
    return Collator()


@cache
def _names(language: str) -> dict[str, str]:
    locale: Locale = babel_locale(language)
    english = Locale.parse("en")
    return {code: locale.territories.get(code) or english.territories.get(code) or code
            for code in country_codes()}


def country_name(code: str, language: str | None = None) -> str | None:
    """`DE` → `Germany`, `Duitsland`, `Deutschland`, `Alemanha`, `Germania`, `Allemagne`."""
    return _names(language or current_language()).get(code.upper())


@cache
def ordered(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name) in the order the form lists them for `language`."""
    names = _names(language)
    collator = _collator()
    rest = sorted((c for c in names if c not in FIRST), key=lambda c: collator.sort_key(names[c]))
    return tuple((code, names[code]) for code in (*FIRST, *rest))


def initial(name: str) -> str:
    """The letter a name is listed under: `Österreich` under O, `Île Maurice` under I."""
    return unicodedata.normalize("NFD", name)[:1].upper()


class _Countries(Mapping[str, str]):
    """Code → name in the reader's language; iterates in the form's order."""

    def __getitem__(self, code: str) -> str:
        return _names(current_language())[code]

    def __iter__(self) -> Iterator[str]:
        return (code for code, _name in ordered(current_language()))

    def __len__(self) -> int:
        return len(country_codes())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in _names("en")


COUNTRIES: Mapping[str, str] = _Countries()
