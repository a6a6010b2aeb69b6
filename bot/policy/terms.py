"""Terms and renewals: how long a subscription's commitment runs, when the current term started
and when it renews. Pure: the plan, the dates and `at` are passed in.

Microsoft's license-based subscriptions run for a term of P1M, P1Y or P3Y, billed monthly,
annually or triennially, and renew at its end (docs/policies.md). OVHcloud's CSP2 API publishes
no term: neither `OfficeSubscription` nor `OfficeLicence` has one (docs/policies.md). So the plan
of a licence comes from the operator (`CSP_TERMS`, or the price book's term and billing
columns), and where nothing is configured P1M billed monthly is ASSUMED and said so.

The dates are computed from the subscription's creation date (its purchase), in UTC as Partner
Center counts them (docs/policies.md):
- the k-th renewal is the creation date plus k terms, always counted from the creation date,
  never from the previous renewal, so one short month does not shift the ones after it;
- a day the target month lacks becomes that month's last day: bought on 31 January, a monthly
  term renews on 28 (or 29) February, 31 March, 30 April; bought on 29 February, a yearly term
  renews on 28 February and on 29 February again in leap years. Microsoft publishes no rule for
  these days (inferred: the usual anniversary clamp);
- the time of day is kept.

OVHcloud's `serviceInfos` of the license group (expiration, `renew.period` in months) is a
second opinion, kept next to the computed dates and compared with them (`TermCheck`). It is one
record for a whole license group, whose subscriptions were bought on different days and may
have different terms, so it cannot date one subscription's term: the dates computed from the
subscription's own creation date win, and both are shown. It says more in two cases, and is
followed there: a group deleted at expiration does not renew past that day (`Term.renews_again`
is False), and a subscription without a creation date takes its dates from the expiration when
the group's renewal period is the subscription's term (inferred).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from bot.core.domain import ServiceInfo


class TermLength(StrEnum):
    """Microsoft's term durations, in ISO 8601 as Partner Center writes them."""

    P1M = "P1M"
    P1Y = "P1Y"
    P3Y = "P3Y"

    @property
    def months(self) -> int:
        return {"P1M": 1, "P1Y": 12, "P3Y": 36}[self.value]


class BillingCycle(StrEnum):
    """How often a term is invoiced."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
    TRIENNIAL = "triennial"

    @property
    def months(self) -> int:
        return {"monthly": 1, "annual": 12, "triennial": 36}[self.value]


class PlanSource(StrEnum):
    """Where a licence's plan was read."""

    ASSUMED = "assumed"  # nothing configured: P1M billed monthly
    PRICE_BOOK = "price_book"  # the price book's term and billing columns
    SETTING = "setting"  # CSP_TERMS


#: Spellings people write in a price book or in CSP_TERMS (case-insensitive).
_TERM_WORDS = {"p1m": "P1M", "monthly": "P1M", "1m": "P1M", "month": "P1M",
               "p1y": "P1Y", "annual": "P1Y", "yearly": "P1Y", "1y": "P1Y", "year": "P1Y",
               "p3y": "P3Y", "triennial": "P3Y", "3y": "P3Y"}
_BILLING_WORDS = {"monthly": "monthly", "month": "monthly", "p1m": "monthly",
                  "annual": "annual", "yearly": "annual", "year": "annual", "p1y": "annual",
                  "triennial": "triennial", "p3y": "triennial"}


@dataclass(frozen=True)
class TermPlan:
    """A licence's term and billing cycle. A cycle longer than the term does not exist
    (Microsoft bills P1M monthly, P1Y monthly or annually, P3Y monthly, annually or
    triennially), so it is refused."""

    term: TermLength = TermLength.P1M
    billing: BillingCycle = BillingCycle.MONTHLY
    source: PlanSource = PlanSource.ASSUMED

    def __post_init__(self) -> None:
        if self.billing.months > self.term.months:
            raise ValueError(f"a {self.term} term cannot be billed {self.billing}")

    @property
    def assumed(self) -> bool:
        return self.source is PlanSource.ASSUMED

    @classmethod
    def parse(cls, value: Any, source: PlanSource) -> TermPlan:
        """A plan as an operator writes it: `"P1Y"`, `"P1Y/annual"`, `"P1Y annual"` or
        `{"term": "P1Y", "billing": "annual"}`; a term alone is billed monthly. Raises
        ValueError in words."""
        if isinstance(value, Mapping):
            term_text, billing_text = value.get("term"), value.get("billing")
        elif isinstance(value, str):
            parts = value.replace("/", " ").replace(",", " ").split()
            if not parts or len(parts) > 2:
                raise ValueError(f"{value!r} is not a term such as P1M, P1Y or P3Y/annual")
            term_text, billing_text = parts[0], parts[1] if len(parts) > 1 else None
        else:
            raise ValueError(f"{value!r} is not a term such as P1M, P1Y or P3Y/annual")
        return cls.of(term_text, billing_text, source)

    @classmethod
    def of(cls, term_text: Any, billing_text: Any, source: PlanSource) -> TermPlan:
        """From a term and an optional billing cycle, each as text (None or "": the default:
        P1M, billed monthly)."""
        term = _word(term_text, _TERM_WORDS, "term", "P1M, P1Y or P3Y") or "P1M"
        billing = _word(billing_text, _BILLING_WORDS, "billing cycle",
                        "monthly, annual or triennial") or "monthly"
        return cls(TermLength(term), BillingCycle(billing), source)


def _word(value: Any, words: Mapping[str, str], what: str, choices: str) -> str | None:
    text = str(value).strip().casefold() if value is not None else ""
    if not text:
        return None
    if text not in words:
        raise ValueError(f"{value!r} is not a {what} ({choices})")
    return words[text]


ASSUMED_PLAN = TermPlan()


class TermBook:
    """The plan of each licence: by licence id first, then by name (case-insensitive), then
    the assumed P1M billed monthly."""

    def __init__(self, by_id: Mapping[int, TermPlan] | None = None,
                 by_name: Mapping[str, TermPlan] | None = None) -> None:
        self._by_id = dict(by_id or {})
        self._by_name = {name.casefold(): plan for name, plan in (by_name or {}).items()}

    def plan(self, license_id: int | None, license_name: str | None = None) -> TermPlan:
        if license_id is not None and license_id in self._by_id:
            return self._by_id[license_id]
        if license_name and license_name.casefold() in self._by_name:
            return self._by_name[license_name.casefold()]
        return ASSUMED_PLAN

    def __len__(self) -> int:
        return len(self._by_id) + len(self._by_name)


ASSUMED_TERMS = TermBook()


# --- dates ------------------------------------------------------------------------------------


def add_months(when: datetime, months: int) -> datetime:
    """`when` plus whole calendar months, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def renewal(anchor: datetime, term_months: int, k: int) -> datetime:
    """The k-th renewal (k = 0: the purchase itself), counted from the purchase in UTC."""
    return add_months(anchor.astimezone(UTC), k * term_months)


def terms_elapsed(anchor: datetime, term_months: int, at: datetime) -> int:
    """How many renewals have happened by `at` (0 during the first term, and before it)."""
    start = anchor.astimezone(UTC)
    at = at.astimezone(UTC)
    if at < start:
        return 0
    months = (at.year - start.year) * 12 + at.month - start.month
    k = max(months // term_months - 1, 0)  # at most one short of the answer
    while renewal(start, term_months, k + 1) <= at:
        k += 1
    return k


def next_renewal(term_start: datetime, now: datetime, term_months: int = 1) -> datetime:
    """The first renewal after `now` of a subscription bought at `term_start`."""
    return renewal(term_start, term_months, terms_elapsed(term_start, term_months, now) + 1)


# --- what OVHcloud's serviceInfos says --------------------------------------------------------


@dataclass(frozen=True)
class ProviderRenewal:
    """The license group's own renewal, as OVHcloud's `serviceInfos` gives it
    (`services.Service`: `expiration`, `renew.period` "period of renew in month",
    `renew.automatic`, `renew.deleteAtExpiration`, `status`)."""

    expiration: date | None = None
    period_months: int | None = None
    automatic: bool | None = None
    delete_at_expiration: bool | None = None
    status: str | None = None

    @classmethod
    def of(cls, info: ServiceInfo | None) -> ProviderRenewal | None:
        if info is None:
            return None
        renew = info.renew
        return cls(
            expiration=info.expiration,
            period_months=renew.period if renew is not None and renew.period else None,
            automatic=renew.automatic if renew is not None else None,
            delete_at_expiration=renew.delete_at_expiration if renew is not None else None,
            status=info.status,
        )

    @property
    def ends(self) -> bool:
        """The group is deleted at its expiration, or has expired: it does not renew."""
        return bool(self.delete_at_expiration) or self.status == "expired"

    def expires_by(self, when: datetime) -> bool:
        """The group ends on or before the day of `when` (UTC), so nothing renews then."""
        if not self.ends:
            return False
        return self.expiration is None or self.expiration <= when.astimezone(UTC).date()


class TermCheck(StrEnum):
    """How OVHcloud's serviceInfos compares with the dates computed for a subscription."""

    NOT_READ = "not_read"  # no serviceInfos in the cache
    AGREES = "agrees"  # same period, expiration on the computed renewal (a day either way)
    OTHER_PERIOD = "other_period"  # the group renews on another cycle than the term
    OTHER_DATE = "other_date"  # same cycle, another day: the subscription's own date is used
    NO_DATES = "no_dates"  # nothing to compare: no expiration, or no dates of ours


class DatesFrom(StrEnum):
    CREATION = "creation"  # the subscription's creation date
    PROVIDER = "provider"  # serviceInfos' expiration (no creation date known)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Term:
    """The term of one subscription that runs at `at`."""

    plan: TermPlan
    #: 1 during the first term; None when no date is known.
    number: int | None
    #: When the current term started: the purchase, or the last renewal.
    started: datetime | None
    #: When it ends: its renewal, unless `renews_again` is False.
    ends: datetime | None
    dates_from: DatesFrom
    provider: ProviderRenewal | None = None
    check: TermCheck = TermCheck.NOT_READ

    @property
    def renews_again(self) -> bool:
        """The subscription renews at `ends` (serviceInfos may say its group is deleted
        first)."""
        if self.ends is None:
            return False
        return not (self.provider is not None and self.provider.expires_by(self.ends))

    @property
    def next_start(self) -> datetime | None:
        """When the next term starts (and its windows open); None when it will not renew or
        nobody knows when."""
        return self.ends if self.renews_again else None


def current_term(plan: TermPlan, created: datetime | None, at: datetime,
                 provider: ProviderRenewal | None = None) -> Term:
    """The term of a subscription bought at `created` that runs at `at`."""
    months = plan.term.months
    if created is not None:
        k = terms_elapsed(created, months, at)
        started, ends = renewal(created, months, k), renewal(created, months, k + 1)
        return Term(plan, k + 1, started, ends, DatesFrom.CREATION, provider,
                    _compare(provider, months, ends))
    if provider is not None and provider.expiration and provider.period_months == months:
        # no purchase date: the group's expiration is the best evidence of the term's end
        expires = datetime.combine(provider.expiration, time.min, tzinfo=UTC)
        # an expiration already past has renewed since (serviceInfos read before it)
        k = terms_elapsed(expires, months, at) + 1 if expires <= at else 0
        ends = renewal(expires, months, k)
        return Term(plan, None, add_months(ends, -months), ends, DatesFrom.PROVIDER, provider,
                    TermCheck.AGREES)
    check = TermCheck.NOT_READ if provider is None else TermCheck.NO_DATES
    return Term(plan, None, None, None, DatesFrom.UNKNOWN, provider, check)


def _compare(provider: ProviderRenewal | None, months: int, ends: datetime) -> TermCheck:
    if provider is None:
        return TermCheck.NOT_READ
    if provider.period_months is not None and provider.period_months != months:
        return TermCheck.OTHER_PERIOD
    if provider.expiration is None:
        return TermCheck.NO_DATES
    # serviceInfos' dates are OVHcloud's local days: a day either way is the same moment
    if abs(provider.expiration - ends.date()) <= timedelta(days=1):
        return TermCheck.AGREES
    return TermCheck.OTHER_DATE
