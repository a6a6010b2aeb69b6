"""The term book: each licence's term and billing cycle, as the operator configures them.

OVHcloud's CSP2 API publishes no term (`bot/policy/terms.py`), so the operator says it, in
`CSP_TERMS` — inline JSON, or the path of a JSON or YAML file, mapping a licence id or name to
`"P1Y"`, `"P1Y/annual"` or `{"term": "P1Y", "billing": "annual"}` — or in the price book's
optional `term` and `billing` columns. CSP_TERMS wins over the price book (it exists for this
alone), an id over a name, and a licence named nowhere gets the assumed P1M billed monthly.

Both files are read again only when they change, so a modal opened a hundred times reads them
once.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import DomainError
from bot.core.i18n import _
from bot.core.text import escape
from bot.policy.terms import PlanSource, TermBook, TermPlan
from bot.reference.pricing import PriceBook, price_book_path


class TermsError(ValueError):
    """CSP_TERMS cannot be read; the message says where and why."""


class TermsUnreadable(DomainError):
    """What a person is told when the operator's terms cannot be read: no window is computed
    on a guess."""


def load_term_book(settings: Any) -> TermBook:
    """The configured plans. Raises TermsUnreadable, in words, when CSP_TERMS or the price book
    is wrong (`csp-bot check` says the same)."""
    raw = (settings.csp_terms or "").strip()
    book = price_book_path(settings)
    try:
        return _book(raw, _stamp(raw), str(book) if book else None, _stamp(str(book or "")),
                     settings.csp_currency)
    except ValueError as exc:
        raise TermsUnreadable(_(
            "The licences' terms cannot be read ({error}): ask the bot's operator to fix "
            "CSP_TERMS or the price book.", error=escape(str(exc)))) from exc


def _stamp(path_text: str) -> int | None:
    """When a file last changed (None: inline text, or not a file), so the cache notices."""
    if not path_text or path_text.startswith("{"):
        return None
    try:
        return Path(path_text).expanduser().stat().st_mtime_ns
    except OSError:
        return None


@lru_cache(maxsize=8)
def _book(raw: str, _raw_stamp: int | None, book: str | None, _book_stamp: int | None,
          currency: str) -> TermBook:
    by_id, by_name = parse_terms(raw)
    priced = PriceBook.load(Path(book), currency).plans if book else {}
    return TermBook(by_id, {**priced, **by_name})


def parse_terms(raw: str) -> tuple[dict[int, TermPlan], dict[str, TermPlan]]:
    """CSP_TERMS read: (plans by licence id, plans by licence name). Raises TermsError."""
    if not raw:
        return {}, {}
    try:
        data = (json.loads(raw) if raw.startswith("{")
                else yaml.safe_load(Path(raw).expanduser().read_text(encoding="utf-8")))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise TermsError(f"CSP_TERMS cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise TermsError('CSP_TERMS must map licence ids or names to terms, e.g. '
                         '{"10021": "P1Y/annual", "Microsoft 365 Business Basic": "P1M"}')
    by_id: dict[int, TermPlan] = {}
    by_name: dict[str, TermPlan] = {}
    for key, value in data.items():
        try:
            plan = TermPlan.parse(value, PlanSource.SETTING)
        except ValueError as exc:
            raise TermsError(f"CSP_TERMS, {key!r}: {exc}") from None
        text = str(key).strip()
        if text.isdigit():
            by_id[int(text)] = plan
        elif text:
            by_name[text] = plan
    return by_id, by_name
