"""Numbers, money, dates, times and durations written in the reader's language (CLDR data
through Babel), and amounts read the way the reader types them.

The reader is the one `bot.core.i18n.using()` names; times are written in their time zone (from
Slack's `users.info`). Where Slack renders a date token it does so itself in each viewer's
zone; `bot.core.blocks.date_token` uses `datetime_text` only for the fallback.

English keeps the bot's first style for money (`1,236.00 EUR`: the ISO code, as OVHcloud's
invoices write it) and its first style for moments (`Tue 17 Nov 2026, 09:00 UTC`), with a
24-hour clock and the day before the month: the people who use it in English work in Europe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    format_time,
    format_timedelta,
    get_datetime_format,
)
from babel.lists import format_list
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
)
from babel.units import format_unit

from bot.core.i18n import _, current_language, current_time_zone, ngettext
from bot.core.text import escape

#: The minus sign (U+2212): every number below zero the bot shows has it, never a hyphen.
MINUS = "\u2212"

#: The CLDR locale each language writes with: the country the bot's users work in.
BABEL_LOCALES: dict[str, str] = {
    "en": "en_GB",
    "nl": "nl_NL",
    "de": "de_DE",
    "pt": "pt_PT",
    "it": "it_IT",
    "fr": "fr_FR",
}
_ENGLISH_MONEY = "#,##0.00\u00a0¤¤"
_ENGLISH_MOMENT = "EEE dd MMM y, HH:mm"


def babel_locale(language: str | None = None) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(language or current_language(), "en_GB"))


def number(value: int | float | Decimal) -> str:
    """`1234567` → `1,234,567` / `1.234.567` / `1 234 567`."""
    return format_decimal(value, locale=babel_locale())


def money(amount: Decimal | int | float, currency: str) -> str:
    """`1.236,00 €` (de), `€ 1.236,00` (nl), `1 236,00 €` (fr), `1,236.00 EUR` (en); rounded
    half up to the currency's digits, as invoices are."""
    digits = get_currency_precision(currency)
    value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    value = abs(value) if value == 0 else value  # never "−0.00"
    language = current_language()
    if language == "en":
        text = format_currency(value, currency, format=_ENGLISH_MONEY, locale="en_GB",
                               currency_digits=False).replace("\u00a0", " ")
    else:
        text = format_currency(value, currency, locale=babel_locale(language))
    # below zero with the minus sign (U+2212), as every difference the bot shows, never a hyphen
    return text.replace("-", MINUS)


def signed_money(amount: Decimal | int | float, currency: str) -> str:
    """A cost difference: `+66,00 €`, `−28,00 €`."""
    text = money(amount, currency)
    return text if Decimal(str(amount)) < 0 else "+" + text


def day(when: date | datetime) -> str:
    """A calendar date in one style: `2 Dec 2026`, `2 dec 2026`, `02.12.2026`, `2 déc. 2026`."""
    if isinstance(when, datetime):
        when = _local(when).date()
    return format_date(when, "medium", locale=babel_locale())


def time_of_day(when: datetime) -> str:
    """`22:25` (24-hour clocks in every language the bot speaks), in the reader's zone."""
    return format_time(_local(when), "short", locale=babel_locale())


def datetime_text(when: datetime, *, zone: bool = True) -> str:
    """A moment in the reader's time zone, in one style per language, with the weekday:
    `Tue 17 Nov 2026, 09:00 UTC`, `di 17 nov 2026 09:00 CET`, `Di., 17. Nov. 2026, 09:00 CET`."""
    local = _local(when)
    language = current_language()
    if language == "en":
        text = format_datetime(local, _ENGLISH_MOMENT, locale="en_GB")
    else:
        locale = babel_locale(language)
        text = (str(get_datetime_format("medium", locale=locale))
                .replace("{1}", format_skeleton("yMMMEd", local, locale=locale))
                .replace("{0}", time_of_day(local)))
    return f"{text} {local.tzname()}" if zone else text


def duration(length: timedelta) -> str:
    """`7 days` (never "168 hours"); hours only for what is shorter than a whole day."""
    seconds = int(length.total_seconds())
    if seconds % 86400 == 0:
        return format_unit(seconds // 86400, "duration-day", length="long",
                           locale=babel_locale())
    if seconds % 3600 == 0:
        return format_unit(seconds // 3600, "duration-hour", length="long",
                           locale=babel_locale())
    return format_unit(round(seconds / 60), "duration-minute", length="long",
                       locale=babel_locale())


def seconds(length: timedelta) -> str:
    """A short wait in whole seconds, in the reader's narrow style: `30s`, `30 s`, `30 Sek.`."""
    return format_timedelta(length, granularity="second", threshold=10**9, format="narrow",
                            locale=babel_locale())


def _local(when: datetime) -> datetime:
    if when.tzinfo is None:  # the bot keeps UTC; a naive value is UTC
        from datetime import UTC

        when = when.replace(tzinfo=UTC)
    return when.astimezone(current_time_zone())


class AmountError(ValueError):
    """Typed text that is not an amount; the message says how to write it."""


_SPACES = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"[0-9]+(?:[.,][0-9]+)*")


def parse_decimal(text: str, *, decimals: int | None = None) -> Decimal:
    """An amount as people type it: `1.234,50`, `1,234.50`, `1 234,50`, `1234.5`, `12`.

    With both a point and a comma, the last one is the decimal sign. A sign used several
    times groups thousands (`1.234.567`). A sign used once is the decimal sign, unless exactly
    three digits follow: then it is read the way the reader's language writes it (`1.234` is
    1234 in Dutch and 1.234 in English); in a language that uses it for neither (`1.234` in
    French or Portuguese), the text could be read two ways and is refused with an example.
    `decimals` refuses more decimal places than that. Raises AmountError."""
    value = _SPACES.sub("", text or "")
    example = money_example()
    if not _AMOUNT.fullmatch(value):
        raise AmountError(_("Give the amount as a number, e.g. {example}.", example=example))
    points, commas = value.count("."), value.count(",")
    if points and commas:
        decimal_sign = "." if value.rfind(".") > value.rfind(",") else ","
        group_sign = "," if decimal_sign == "." else "."
        whole, _sep, fraction = value.rpartition(decimal_sign)
        if decimal_sign in whole:
            raise AmountError(_("Give the amount as a number, e.g. {example}.", example=example))
        _check_groups(whole, group_sign, example)
        digits = whole.replace(group_sign, "") + "." + fraction
    elif points + commas == 0:
        digits = value
    else:
        sign = "." if points else ","
        whole, _sep, fraction = value.partition(sign)
        if points + commas > 1:  # 1.234.567: grouping only
            _check_groups(value, sign, example)
            digits = value.replace(sign, "")
        elif len(fraction) == 3 and sign == _group_sign():
            digits = whole + fraction
        elif len(fraction) == 3 and sign != _decimal_sign():
            raise AmountError(_(
                "“{typed}” could be read two ways. Write it without a thousands "
                "separator, e.g. {example}.", typed=escape(text.strip()[:40]), example=example))
        else:
            digits = whole + "." + fraction
    try:
        amount = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits and signs
        raise AmountError(_("Give the amount as a number, e.g. {example}.",
                            example=example)) from None
    if decimals is not None and amount.as_tuple().exponent < -decimals:  # type: ignore[operator]
        raise AmountError(ngettext("Give the amount with at most {n} decimal.",
                                   "Give the amount with at most {n} decimals.", decimals))
    return amount


def _check_groups(whole: str, sign: str, example: str) -> None:
    head, *groups = whole.split(sign)
    if not head or len(head) > 3 or any(len(g) != 3 for g in groups):
        raise AmountError(_("Give the amount as a number, e.g. {example}.", example=example))


def _group_sign() -> str:
    return get_group_symbol(babel_locale())


def _decimal_sign() -> str:
    return get_decimal_symbol(babel_locale())


def money_example() -> str:
    """`249.90` or `249,90`: how the reader writes an amount."""
    return format_decimal(Decimal("249.90"), format="0.00", locale=babel_locale())


def join_list(items: Sequence[str]) -> str:
    """`a, b and c` / `a, b und c` / `a, b et c`: a list in the reader's language (CLDR)."""
    return format_list(list(items), locale=babel_locale()) if items else ""


def short_day(when: date) -> str:
    """A day without its year, for a chart's axis: `3 Mar`, `3 mrt`, `3. März`."""
    return format_skeleton("MMMd", when, locale=babel_locale())
