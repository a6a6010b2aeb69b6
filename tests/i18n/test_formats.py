"""Money, numbers, dates and durations in each reader's language and time zone, and amounts
read the way each of them types them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.blocks import date_token
from bot.core.formats import AmountError, datetime_text, day, duration, money, number, parse_decimal
from bot.core.i18n import using
from bot.reference.pricing import Money
from bot.refunds.form import clean_amount

NBSP, NNBSP = "\u00a0", "\u202f"
MOMENT = datetime(2026, 2, 10, 21, 25, tzinfo=UTC)


@pytest.mark.parametrize(("language", "text"), [
    ("en", "1,236.00 EUR"),
    ("nl", f"€{NBSP}1.236,00"),  # CLDR: the sign before the amount in Dutch
    ("de", f"1.236,00{NBSP}€"),
    ("pt", f"1{NBSP}236,00{NBSP}€"),
    ("it", f"1.236,00{NBSP}€"),
    ("fr", f"1{NNBSP}236,00{NBSP}€"),
])
def test_money_in_each_language(language, text):
    with using(language):
        assert money(Decimal("1236"), "EUR") == text
        assert str(Money(Decimal("1235.995"), "EUR")) == text  # rounded half up, as invoices


def test_cost_differences_carry_their_sign():
    with using("de"):
        assert Money(Decimal("66"), "EUR").signed() == f"+66,00{NBSP}€"
        assert Money(Decimal("-28"), "EUR").signed() == f"\u221228,00{NBSP}€"
    with using("en"):
        assert Money(Decimal("-28"), "EUR").signed() == "\u221228.00 EUR"


def test_numbers_and_days():
    with using("de"):
        assert number(1234567) == "1.234.567"
        assert day(date(2026, 11, 7)) == "07.11.2026"
    with using("fr"):
        assert number(1234567) == f"1{NNBSP}234{NNBSP}567"


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Tue 10 Feb 2026, 22:25 CET"),
    ("nl", "di 10 feb 2026, 22:25 CET"),
    ("de", "Di., 10. Feb. 2026, 22:25 CET"),
    ("it", "mar 10 feb 2026, 22:25 CET"),
    ("fr", "mar. 10 févr. 2026, 22:25 CET"),
])
def test_moments_in_the_readers_time_zone_with_a_24_hour_clock(language, text):
    with using(language, "Europe/Amsterdam"):
        assert datetime_text(MOMENT) == text


def test_a_reader_without_a_known_zone_reads_utc_and_the_token_falls_back_to_their_style():
    with using("en"):
        assert datetime_text(MOMENT) == "Tue 10 Feb 2026, 21:25 UTC"
    with using("nl", "America/New_York"):
        token = date_token(MOMENT)
    assert token == "<!date^1770758700^{date_short_pretty} {time}|di 10 feb 2026, 16:25 EST>"


@pytest.mark.parametrize(("language", "text"), [
    ("en", "7 days"), ("nl", "7 dagen"), ("de", "7 Tage"), ("pt", "7 dias"),
    ("it", "7 giorni"), ("fr", f"7{NBSP}jours"),
])
def test_durations_in_days_not_hours(language, text):
    with using(language):
        assert duration(timedelta(hours=168)) == text


def test_durations_shorter_than_a_day_in_hours():
    with using("nl"):
        assert duration(timedelta(hours=4)) == "4 uur"
        assert duration(timedelta(days=1)) == "1 dag"


@pytest.mark.parametrize("language", ["en", "nl", "de", "pt", "it", "fr"])
@pytest.mark.parametrize("typed", ["1.234,50", "1,234.50", "1 234,50", "1234,5", "1234.50",
                                   "1.234.567,50", "1,234,567.50"])
def test_unambiguous_amounts_are_understood_in_every_language(language, typed):
    with using(language):
        assert parse_decimal(typed) in (Decimal("1234.50"), Decimal("1234567.50"))


def test_a_single_separator_before_three_digits_is_read_the_readers_way():
    with using("nl"):
        assert parse_decimal("1.234") == Decimal("1234")  # Dutch groups with a point
        assert parse_decimal("1,234") == Decimal("1.234")  # and writes decimals with a comma
    with using("en"):
        assert parse_decimal("1,234") == Decimal("1234")
        assert parse_decimal("1.234") == Decimal("1.234")


def test_what_could_be_read_two_ways_is_refused_with_an_example():
    with using("fr"), pytest.raises(AmountError) as refused:
        parse_decimal("1.234")  # French groups with a space and writes decimals with a comma
    assert str(refused.value) == ("« 1.234 » peut se lire de deux façons. Écrivez-le sans "
                                  "séparateur de milliers, par exemple 249,90.")


@pytest.mark.parametrize("typed", ["1,2,3", "12.34.5", "1.234,5.6", "1e3", "NaN", "١٢", ""])
def test_what_is_not_an_amount_is_refused(typed):
    with using("de"), pytest.raises(AmountError) as refused:
        parse_decimal(typed)
    assert "z. B. 249,90" in str(refused.value)


def test_the_refund_form_reads_amounts_the_persons_way():
    with using("de"):
        assert clean_amount("1.234,50") == Decimal("1234.50")
        assert clean_amount("1.234") == Decimal("1234.00")
    with using("en"):
        assert clean_amount("1,234.50") == Decimal("1234.50")
        with pytest.raises(ValueError, match="two decimals"):
            clean_amount("12.999")


def test_counts_in_plural_texts_are_written_the_readers_way():
    from bot.core.i18n import ngettext

    with using("de"):
        assert ngettext("{n} seat", "{n} seats", 1234) == "1.234 Lizenzen"
    with using("fr"):
        assert ngettext("{n} seat", "{n} seats", 0) == "0 licence"
    with using("en"):
        assert ngettext("{n} seat", "{n} seats", 1) == "1 seat"
