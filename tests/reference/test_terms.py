"""The term book as an operator configures it: CSP_TERMS (inline JSON, a JSON or YAML file) and
the price book's term and billing columns, which of them wins, and the words of a bad entry."""

from __future__ import annotations

import os

import pytest

from bot.policy.terms import BillingCycle, PlanSource, TermLength
from bot.reference.pricing import PriceBook, PriceBookError
from bot.reference.terms import TermsUnreadable, load_term_book
from tests.conftest import make_settings


def settings_with(tmp_path, **values):
    return make_settings(None, f"sqlite+aiosqlite:///{tmp_path}/x.db", **values)


def test_the_price_book_may_give_terms(tmp_path):
    yaml_book = tmp_path / "prices.yaml"
    yaml_book.write_text(
        "currency: EUR\nlicenses:\n  Office 365 E3: {monthly_price: 22.00, term: P1Y, "
        "billing: annual}\n  Office 365 E1: 9.40\n  Office 365 E5: {monthly_price: 36.2}\n")
    book = PriceBook.load(yaml_book)
    assert str(book.monthly("Office 365 E3")) == "22.00 EUR"
    assert set(book.plans) == {"Office 365 E3"}
    plan = book.plans["Office 365 E3"]
    assert (plan.term, plan.billing, plan.source) == (
        TermLength.P1Y, BillingCycle.ANNUAL, PlanSource.PRICE_BOOK)
    csv_book = tmp_path / "prices.csv"
    csv_book.write_text("license,monthly_price,term,billing\nOffice 365 E1,9.40,P3Y,\n"
                        "Office 365 E3,22.00,,\n")
    plans = PriceBook.load(csv_book).plans
    assert set(plans) == {"Office 365 E1"}
    assert (plans["Office 365 E1"].term, plans["Office 365 E1"].billing) == (
        TermLength.P3Y, BillingCycle.MONTHLY)


def test_a_bad_term_in_the_price_book_is_named(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("license,monthly_price,term\nOffice 365 E1,9.40,P2Y\n")
    with pytest.raises(PriceBookError, match="'Office 365 E1': 'P2Y' is not a term"):
        PriceBook.load(path)


def test_csp_terms_win_over_the_price_book_and_ids_over_names(tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text("licenses:\n  Office 365 E3: {monthly_price: 22, term: P3Y}\n"
                      "  Office 365 E1: {monthly_price: 9.4, term: P1Y}\n")
    settings = settings_with(tmp_path, csp_price_book=prices,
                             csp_terms='{"Office 365 E3": "P1Y/annual", "10010": "P1M"}')
    book = load_term_book(settings)
    assert book.plan(10021, "Office 365 E3").billing is BillingCycle.ANNUAL  # the setting
    assert book.plan(10022, "office 365 e1").term is TermLength.P1Y  # the price book
    assert book.plan(10010, "Office 365 E1").term is TermLength.P1M  # the id first
    assert book.plan(10099, "Office 365 E5").assumed


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_csp_terms_in_a_file_is_read_again_when_it_changes(tmp_path, suffix):
    path = tmp_path / f"terms.{suffix}"
    path.write_text('{"10021": "P1Y"}' if suffix == "json" else "10021: P1Y\n")
    settings = settings_with(tmp_path, csp_terms=str(path), csp_provider="ovh")
    assert load_term_book(settings).plan(10021).term is TermLength.P1Y
    assert load_term_book(settings) is load_term_book(settings)  # read once
    path.write_text('{"10021": "P3Y"}' if suffix == "json" else "10021: P3Y\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert load_term_book(settings).plan(10021).term is TermLength.P3Y


@pytest.mark.parametrize(
    ("raw", "words"),
    [('{"10021": "P2Y"}', "'P2Y' is not a term"),
     ('{"10021": "P1M/annual"}', "a P1M term cannot be billed annual"),
     ('{"10021": ', "cannot be read"),
     ("/nowhere/terms.yaml", "No such file"),
     ('{"10021": 12}', "12 is not a term")],
)
def test_unreadable_terms_are_said_in_words(tmp_path, raw, words):
    with pytest.raises(TermsUnreadable, match=words) as caught:
        load_term_book(settings_with(tmp_path, csp_terms=raw, csp_provider="ovh"))
    assert "ask the bot's operator" in caught.value.message


def test_a_list_is_not_a_term_book(tmp_path):
    path = tmp_path / "terms.yaml"
    path.write_text("- P1Y\n")
    with pytest.raises(TermsUnreadable, match="must map licence ids or names"):
        load_term_book(settings_with(tmp_path, csp_terms=str(path), csp_provider="ovh"))


def test_nothing_configured_assumes_monthly(tmp_path):
    book = load_term_book(settings_with(tmp_path, csp_provider="ovh"))
    assert len(book) == 0 and book.plan(10021, "Office 365 E3").assumed
