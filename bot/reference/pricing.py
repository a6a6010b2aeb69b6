"""The price book: monthly prices per license, for cost previews and refund estimates.

OVHcloud's API publishes no csp2 prices, so prices come from a file the operator maintains
(`CSP_PRICE_BOOK`, YAML or CSV). Unknown licenses show "price not configured", never a guess.

YAML: `currency: EUR` and `licenses: {<license name>: <monthly price per seat>}`, or per
license a mapping `{monthly_price: 12.5, term: P1Y, billing: annual}`.
CSV: a header `license,monthly_price` (optional `currency`, `term` and `billing` columns).
The term and billing cycle are optional (`bot/reference/terms.py` reads them; CSP_TERMS wins).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bot.core.formats import money, signed_money
from bot.core.i18n import _

if TYPE_CHECKING:  # bot.policy prices orders with this module: imported where it is needed
    from bot.app.config import Settings
    from bot.policy.terms import TermPlan

CENT = Decimal("0.01")
SANDBOX_PRICE_BOOK = Path(__file__).with_name("data") / "sandbox-prices.yaml"


class PriceBookError(ValueError):
    """The price book file cannot be read; the message says where and why."""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        """In the reader's language: `1,236.00 EUR`, `1.236,00 €` (`bot.core.formats.money`)."""
        return money(self.amount, self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError("cannot add amounts in different currencies")
        return Money(self.amount + other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, factor: int | Decimal) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def signed(self) -> str:
        """`+12.00 EUR` / `-12.00 EUR` (`+12,00 €`), for cost differences."""
        return signed_money(self.amount, self.currency)


class PriceBook:
    def __init__(self, prices: dict[str, Decimal], currency: str,
                 plans: dict[str, TermPlan] | None = None) -> None:
        self.currency = currency
        self._prices = {name.casefold(): price for name, price in prices.items()}
        #: license name → its term and billing cycle, where the book says them
        self.plans = dict(plans or {})

    @classmethod
    def empty(cls, currency: str = "EUR") -> PriceBook:
        return cls({}, currency)

    @classmethod
    def load(cls, path: Path, default_currency: str = "EUR") -> PriceBook:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PriceBookError(f"price book {path}: {exc.strerror}") from exc
        if str(path).lower().endswith(".csv"):
            return cls._from_csv(text, path, default_currency)
        return cls._from_yaml(text, path, default_currency)

    @classmethod
    def _from_yaml(cls, text: str, path: Path, currency: str) -> PriceBook:
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict) or not isinstance(data.get("licenses", {}), dict):
            raise PriceBookError(f"price book {path}: expected a mapping with `licenses:`")
        prices, plans = {}, {}
        for key, value in (data.get("licenses") or {}).items():
            name = str(key)
            if isinstance(value, dict):
                prices[name] = _price(value.get("monthly_price"), path, key)
                plan = _plan(value.get("term"), value.get("billing"), path, key)
                if plan is not None:
                    plans[name] = plan
            else:
                prices[name] = _price(value, path, key)
        return cls(prices, str(data.get("currency", currency)), plans)

    @classmethod
    def _from_csv(cls, text: str, path: Path, currency: str) -> PriceBook:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"license", "monthly_price"} <= set(reader.fieldnames):
            raise PriceBookError(f"price book {path}: needs the columns license,monthly_price")
        prices, plans, currencies = {}, {}, set()
        for row in reader:
            name = row["license"].strip()
            prices[name] = _price(row["monthly_price"], path, row["license"])
            plan = _plan(row.get("term"), row.get("billing"), path, name)
            if plan is not None:
                plans[name] = plan
            if row.get("currency"):
                currencies.add(row["currency"].strip())
        if len(currencies) > 1:
            raise PriceBookError(f"price book {path}: one currency only, found {currencies}")
        return cls(prices, currencies.pop() if currencies else currency, plans)

    def monthly(self, license_name: str) -> Money | None:
        """The monthly price of one seat, or None when the price is not configured."""
        price = self._prices.get(license_name.casefold())
        return None if price is None else Money(price, self.currency)

    def monthly_total(self, license_name: str, seats: int) -> Money | None:
        unit = self.monthly(license_name)
        return None if unit is None else unit.times(seats)


def _price(value: object, path: Path, name: object) -> Decimal:
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise PriceBookError(f"price book {path}: {name!r} has no valid price") from exc
    if price < 0:
        raise PriceBookError(f"price book {path}: {name!r} has a negative price")
    return price


def _plan(term: object, billing: object, path: Path, name: object) -> TermPlan | None:
    """A license's term and billing cycle, when the book gives either (None: neither)."""
    from bot.policy.terms import PlanSource, TermPlan

    if not (term or billing):
        return None
    try:
        return TermPlan.of(term, billing, PlanSource.PRICE_BOOK)
    except ValueError as exc:
        raise PriceBookError(f"price book {path}: {name!r}: {exc}") from None


def describe(money: Money | None) -> str:
    return str(money) if money is not None else _("price not configured")


def prorated_refund(term_cost: Money, term_start: datetime, term_end: datetime,
                    now: datetime) -> Money:
    """Microsoft refunds a cancelled license-based subscription by the day (docs/policies.md):
    the share of the current term not yet used, of what the whole term costs
    (`term_cost` = the monthly total times the months of the term)."""
    term_seconds = max((term_end - term_start).total_seconds(), 1.0)
    left_seconds = min(max((term_end - now).total_seconds(), 0.0), term_seconds)
    left_days = Decimal(int(left_seconds // 86400))  # whole days left, as Microsoft counts
    term_days = Decimal(max(int(term_seconds // 86400), 1))
    amount = (term_cost.amount * left_days / term_days).quantize(CENT, ROUND_HALF_UP)
    return Money(amount, term_cost.currency)


def price_book_path(settings: Settings) -> Path | None:
    """The configured price book; the sandbox's demo prices when running on the sandbox."""
    from bot.app.config import ProviderName

    if settings.csp_price_book is not None:
        return Path(settings.csp_price_book)
    if settings.provider is ProviderName.SANDBOX:
        return SANDBOX_PRICE_BOOK
    return None


def load_price_book(settings: Settings) -> PriceBook:
    """The configured price book (an empty one when none is configured)."""
    path = price_book_path(settings)
    if path is None:
        return PriceBook.empty(settings.csp_currency)
    return PriceBook.load(path, settings.csp_currency)
