"""The term model, table-driven: the plan of a licence, the current term's start and its renewal
from the creation date (month ends, leap days, UTC), and OVHcloud's serviceInfos beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.domain import Renew, ServiceInfo
from bot.policy.terms import (
    ASSUMED_PLAN,
    BillingCycle,
    DatesFrom,
    PlanSource,
    ProviderRenewal,
    TermBook,
    TermCheck,
    TermLength,
    TermPlan,
    current_term,
    renewal,
    terms_elapsed,
)

PARIS_WINTER = timezone(timedelta(hours=1))
MONTHLY = ASSUMED_PLAN
ANNUAL = TermPlan(TermLength.P1Y, BillingCycle.ANNUAL, PlanSource.SETTING)
YEAR_MONTHLY = TermPlan(TermLength.P1Y, BillingCycle.MONTHLY, PlanSource.PRICE_BOOK)
TRIENNIAL = TermPlan(TermLength.P3Y, BillingCycle.ANNUAL, PlanSource.SETTING)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- renewal dates --------------------------------------------------------------------------

# (case, bought, term months, k, the k-th renewal)
RENEWALS = [
    ("a month later", utc(2026, 3, 10, 14), 1, 1, utc(2026, 4, 10, 14)),
    ("31 January: last day of February", utc(2026, 1, 31, 8), 1, 1, utc(2026, 2, 28, 8)),
    ("31 January: 29 February in a leap year", utc(2028, 1, 31, 8), 1, 1, utc(2028, 2, 29, 8)),
    ("31 January: back to the 31st in March", utc(2026, 1, 31, 8), 1, 2, utc(2026, 3, 31, 8)),
    ("31 January: 30 April", utc(2026, 1, 31, 8), 1, 3, utc(2026, 4, 30, 8)),
    ("30 January: February clamps, March does not", utc(2026, 1, 30), 1, 2, utc(2026, 3, 30)),
    ("29 February: 28 February next year", utc(2024, 2, 29, 12), 12, 1, utc(2025, 2, 28, 12)),
    ("29 February: 29 February four years on", utc(2024, 2, 29, 12), 12, 4,
     utc(2028, 2, 29, 12)),
    ("29 February, three years: 28 February", utc(2024, 2, 29), 36, 1, utc(2027, 2, 28)),
    ("December to January", utc(2025, 12, 15), 1, 1, utc(2026, 1, 15)),
    ("the purchase itself", utc(2025, 12, 15), 1, 0, utc(2025, 12, 15)),
    ("counted in UTC: bought 00:30 in Paris is the 31st", datetime(2026, 1, 1, 0, 30,
     tzinfo=PARIS_WINTER), 1, 1, utc(2026, 1, 31, 23, 30)),
]


@pytest.mark.parametrize(("bought", "months", "k", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in RENEWALS])
def test_renewal(bought, months, k, expected):
    assert renewal(bought, months, k) == expected


# --- the current term -----------------------------------------------------------------------

# (case, plan, bought, at, term number, started, ends)
TERMS = [
    ("first month", MONTHLY, utc(2026, 10, 20, 9), utc(2026, 11, 2, 9), 1,
     utc(2026, 10, 20, 9), utc(2026, 11, 20, 9)),
    ("the 2023 example: renewed four days ago", MONTHLY, utc(2023, 11, 27, 10),
     utc(2026, 12, 1, 10), 37, utc(2026, 11, 27, 10), utc(2026, 12, 27, 10)),
    ("a renewal starts the new term at its very moment", MONTHLY, utc(2026, 1, 31, 8),
     utc(2026, 2, 28, 8), 2, utc(2026, 2, 28, 8), utc(2026, 3, 31, 8)),
    ("a second before the renewal", MONTHLY, utc(2026, 1, 31, 8),
     utc(2026, 2, 28, 7, 59, 59), 1, utc(2026, 1, 31, 8), utc(2026, 2, 28, 8)),
    ("month end after a short month", MONTHLY, utc(2026, 1, 31, 8), utc(2026, 4, 5), 3,
     utc(2026, 3, 31, 8), utc(2026, 4, 30, 8)),
    ("a year: not renewed after 13 months", ANNUAL, utc(2025, 10, 1), utc(2026, 11, 2), 2,
     utc(2026, 10, 1), utc(2027, 10, 1)),
    ("a year billed monthly renews yearly", YEAR_MONTHLY, utc(2026, 5, 10), utc(2026, 11, 2), 1,
     utc(2026, 5, 10), utc(2027, 5, 10)),
    ("a year from 29 February, in a common year", ANNUAL, utc(2024, 2, 29, 12),
     utc(2025, 3, 1), 2, utc(2025, 2, 28, 12), utc(2026, 2, 28, 12)),
    ("a year from 29 February, in the next leap year", ANNUAL, utc(2024, 2, 29, 12),
     utc(2028, 3, 1), 5, utc(2028, 2, 29, 12), utc(2029, 2, 28, 12)),
    ("three years", TRIENNIAL, utc(2023, 11, 27, 10), utc(2026, 12, 1), 2,
     utc(2026, 11, 27, 10), utc(2029, 11, 27, 10)),
    ("a clock behind the purchase: the first term", MONTHLY, utc(2026, 11, 2, 9),
     utc(2026, 11, 2, 8), 1, utc(2026, 11, 2, 9), utc(2026, 12, 2, 9)),
]


@pytest.mark.parametrize(("plan", "bought", "at", "number", "started", "ends"),
                         [pytest.param(*c[1:], id=c[0]) for c in TERMS])
def test_current_term(plan, bought, at, number, started, ends):
    term = current_term(plan, bought, at)
    assert (term.number, term.started, term.ends) == (number, started, ends)
    assert term.dates_from is DatesFrom.CREATION
    assert term.renews_again and term.next_start == ends
    assert term.check is TermCheck.NOT_READ


@given(
    bought=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1),
                        timezones=st.just(UTC)),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=365 * 30)),
    months=st.sampled_from([1, 12, 36]),
)
def test_the_term_always_holds_its_moment(bought, later, months):
    at = bought + later
    k = terms_elapsed(bought, months, at)
    assert renewal(bought, months, k) <= at < renewal(bought, months, k + 1)


def test_no_creation_date_no_dates():
    term = current_term(MONTHLY, None, utc(2026, 11, 2))
    assert (term.number, term.started, term.ends, term.next_start) == (None, None, None, None)
    assert term.dates_from is DatesFrom.UNKNOWN and not term.renews_again


# --- the plan of a licence ------------------------------------------------------------------

# (case, what the operator wrote, term, billing)
PLANS = [
    ("a term alone is billed monthly", "P1Y", "P1Y", "monthly"),
    ("lower case, with a slash", "p1y/annual", "P1Y", "annual"),
    ("with a space", "P3Y triennial", "P3Y", "triennial"),
    ("words for terms", "annual", "P1Y", "monthly"),
    ("a mapping", {"term": "P3Y", "billing": "annual"}, "P3Y", "annual"),
    ("a mapping with the term only", {"term": "P1M"}, "P1M", "monthly"),
    ("an empty mapping is the default", {}, "P1M", "monthly"),
]


@pytest.mark.parametrize(("written", "term", "billing"),
                         [pytest.param(*c[1:], id=c[0]) for c in PLANS])
def test_plan_parse(written, term, billing):
    plan = TermPlan.parse(written, PlanSource.SETTING)
    assert (plan.term.value, plan.billing.value) == (term, billing)
    assert plan.source is PlanSource.SETTING and not plan.assumed


@pytest.mark.parametrize(
    ("written", "words"),
    [("P2Y", "not a term"), ("P1M/annual", "cannot be billed annual"),
     ("P1Y/weekly", "not a billing cycle"), (12, "not a term"), ("", "not a term"),
     ("P1Y annual extra", "not a term"), ({"term": "P1Y", "billing": "P3Y"}, "cannot be billed")],
)
def test_plan_parse_refuses_in_words(written, words):
    with pytest.raises(ValueError, match=words):
        TermPlan.parse(written, PlanSource.SETTING)


def test_the_book_prefers_ids_then_names_then_the_assumption():
    by_id = {10021: ANNUAL}
    by_name = {"Office 365 E3": YEAR_MONTHLY, "Microsoft 365 Business Basic": TRIENNIAL}
    book = TermBook(by_id, by_name)
    assert book.plan(10021, "Office 365 E3") is ANNUAL
    assert book.plan(99, "office 365 e3") is YEAR_MONTHLY
    assert book.plan(None, "MICROSOFT 365 BUSINESS BASIC") is TRIENNIAL
    assert book.plan(10010, "Exchange Online (Plan 1)") is ASSUMED_PLAN
    assert ASSUMED_PLAN.assumed and ASSUMED_PLAN.term is TermLength.P1M
    assert len(book) == 3


# --- serviceInfos beside the computed dates ---------------------------------------------------


def info(expiration: date | None, period: int | None = 12, *, delete: bool = False,
         status: str = "ok", automatic: bool = True) -> ProviderRenewal:
    return ProviderRenewal.of(ServiceInfo(
        status=status, expiration=expiration,
        renew=Renew(automatic=automatic, delete_at_expiration=delete, period=period),
    ))


BOUGHT = utc(2025, 5, 10, 9)
AT = utc(2026, 11, 2, 9)  # an annual term from BOUGHT runs 2026-05-10 → 2027-05-10

# (case, plan, serviceInfos, check, renews again)
CHECKS = [
    ("not read", ANNUAL, None, TermCheck.NOT_READ, True),
    ("same period, same day", ANNUAL, info(date(2027, 5, 10)), TermCheck.AGREES, True),
    ("a day apart is OVHcloud's local day", ANNUAL, info(date(2027, 5, 9)), TermCheck.AGREES,
     True),
    ("same period, another day: ours is kept", ANNUAL, info(date(2027, 1, 3)),
     TermCheck.OTHER_DATE, True),
    ("the group renews yearly, the term is monthly", MONTHLY, info(date(2027, 1, 3)),
     TermCheck.OTHER_PERIOD, True),
    ("no expiration to compare", ANNUAL, info(None), TermCheck.NO_DATES, True),
    ("no period: the dates alone are compared", ANNUAL, info(date(2027, 5, 10), None),
     TermCheck.AGREES, True),
    ("deleted at expiration on the renewal: no renewal", ANNUAL,
     info(date(2027, 5, 10), delete=True), TermCheck.AGREES, False),
    ("deleted at an expiration after the renewal: it renews once more", MONTHLY,
     info(date(2027, 1, 3), delete=True), TermCheck.OTHER_PERIOD, True),
    ("expired: no renewal", ANNUAL, info(date(2026, 5, 10), status="expired"),
     TermCheck.OTHER_DATE, False),
    ("manual renewal is still a renewal (inferred)", ANNUAL,
     info(date(2027, 5, 10), automatic=False), TermCheck.AGREES, True),
]


@pytest.mark.parametrize(("plan", "provider", "check", "renews"),
                         [pytest.param(*c[1:], id=c[0]) for c in CHECKS])
def test_service_infos_beside_the_computed_dates(plan, provider, check, renews):
    term = current_term(plan, BOUGHT, AT, provider)
    alone = current_term(plan, BOUGHT, AT)
    # the subscription's own dates win whatever serviceInfos says; it is kept for display
    assert (term.started, term.ends) == (alone.started, alone.ends)
    assert term.provider == provider
    assert term.check is check
    assert term.renews_again is renews
    assert term.next_start == (term.ends if renews else None)


def test_without_a_creation_date_the_expiration_dates_the_term_of_the_same_period():
    term = current_term(ANNUAL, None, AT, info(date(2027, 5, 10)))
    assert term.dates_from is DatesFrom.PROVIDER
    assert (term.started, term.ends) == (utc(2026, 5, 10), utc(2027, 5, 10))
    # an expiration read before it passed has renewed since
    later = current_term(ANNUAL, None, utc(2027, 6, 1), info(date(2027, 5, 10)))
    assert (later.started, later.ends) == (utc(2027, 5, 10), utc(2028, 5, 10))
    # a group renewing on another cycle says nothing of this term
    other = current_term(MONTHLY, None, AT, info(date(2027, 5, 10)))
    assert other.dates_from is DatesFrom.UNKNOWN and other.check is TermCheck.NO_DATES


def test_service_infos_without_renew_block():
    provider = ProviderRenewal.of(ServiceInfo(status="ok", expiration=date(2027, 5, 10)))
    assert provider == ProviderRenewal(expiration=date(2027, 5, 10), status="ok")
    assert ProviderRenewal.of(None) is None
