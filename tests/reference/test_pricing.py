from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.reference.pricing import Money, PriceBook, PriceBookError, describe, prorated_refund


def test_yaml_price_book(tmp_path):
    path = tmp_path / "prices.yaml"
    path.write_text("currency: EUR\nlicenses:\n  Office 365 E3: 22.00\n")
    book = PriceBook.load(path)
    assert str(book.monthly_total("office 365 e3", 3)) == "66.00 EUR"
    assert book.monthly("Office 365 E5") is None
    assert describe(book.monthly("Office 365 E5")) == "price not configured"


def test_csv_price_book(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("license,monthly_price,currency\nOffice 365 E1,9.40,CHF\n")
    assert str(PriceBook.load(path).monthly_total("Office 365 E1", 10)) == "94.00 CHF"


@pytest.mark.parametrize(
    ("content", "message"),
    [("licenses:\n  X: abc\n", "no valid price"), ("licenses:\n  X: -1\n", "negative"),
     ("- a\n", "expected a mapping")],
)
def test_bad_price_books_say_why(tmp_path, content, message):
    path = tmp_path / "p.yaml"
    path.write_text(content)
    with pytest.raises(PriceBookError, match=message):
        PriceBook.load(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(PriceBookError, match=r"nope\.yaml"):
        PriceBook.load(tmp_path / "nope.yaml")


def test_prorated_refund_by_the_day():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(days=30)
    monthly = Money(Decimal("300"), "EUR")
    assert prorated_refund(monthly, start, end, start + timedelta(days=3)).amount == Decimal(
        "270.00"
    )
    assert prorated_refund(monthly, start, end, end + timedelta(days=1)).amount == 0
    assert Money(Decimal("-12"), "EUR").signed() == "\u221212.00 EUR"
    assert str(Money(Decimal("-0.001"), "EUR")) == "0.00 EUR"
