"""What the browsing commands show, read from the cache only (never the provider).

`/csp tenants`, `/csp subs`, `/csp tasks` and `/csp tenant` answer from here in a few
milliseconds, whatever state the provider is in; each answer says how fresh it is and, when
the last sync failed, why it may be stale.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from bot.core.errors import DomainError, NotFoundError
from bot.core.formats import join_list
from bot.core.i18n import _, ngettext
from bot.core.text import escape
from bot.policy.terms import ProviderRenewal, Term, current_term
from bot.reference.terms import load_term_book
from store import cache
from store.cache import (
    CachedLicense,
    CachedSubscription,
    CachedTask,
    CachedTenant,
    TenantSummary,
)
from store.search import normalize, words_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app.runtime import Runtime

T = TypeVar("T")
Surface = Literal["tenants", "subs", "tasks", "tenant"]


class BrowseRef(BaseModel):
    """What a Next / Previous / Refresh button carries: which list, which page, which filter."""

    v: Surface
    p: int = 0
    f: str | None = None  # the filter of `/csp tenants`
    t: str | None = None  # the license group (service name)

    def encode(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> BrowseRef:
        try:
            return cls.model_validate_json(value)
        except ValidationError:
            raise DomainError(_("That button is out of date; run the command again.")) from None

    def at(self, page: int) -> BrowseRef:
        return self.model_copy(update={"p": page})


@dataclass(frozen=True)
class Freshness:
    """How old what we show is, and why it may be stale."""

    as_of: datetime | None
    now: datetime
    stale: bool = False
    error: str | None = None
    error_at: datetime | None = None
    #: Of the groups shown, how many were re-read after `as_of` (a request's refresh, a
    #: group's Refresh), and the latest of those reads: their figures are newer than "as of".
    newer: int = 0
    newest: datetime | None = None

    @property
    def age(self) -> timedelta | None:
        return None if self.as_of is None else self.now - self.as_of


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # 0-based
    count: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number + 1 < self.count


def paginate(items: Sequence[T], number: int, size: int) -> Page[T]:
    count = max(1, -(-len(items) // size))
    number = min(max(number, 0), count - 1)
    return Page(list(items[number * size : (number + 1) * size]), number, count, len(items))


@dataclass(frozen=True)
class TenantsListing:
    page: Page[TenantSummary]
    freshness: Freshness
    filter: str | None


@dataclass(frozen=True)
class SubscriptionsListing:
    tenant: CachedTenant
    page: Page[CachedSubscription]
    tasks: dict[int, CachedTask]
    freshness: Freshness
    #: The term running now of each subscription, by id.
    terms: dict[int, Term] = field(default_factory=dict)


@dataclass(frozen=True)
class TasksListing:
    tenant: CachedTenant | None
    page: Page[CachedTask]
    names: dict[str, str]
    freshness: Freshness


@dataclass(frozen=True)
class TenantDetails:
    tenant: CachedTenant
    licenses: list[CachedLicense]
    subscriptions: list[CachedSubscription]
    freshness: Freshness
    #: The term running now of each subscription, by id.
    terms: dict[int, Term] = field(default_factory=dict)
    #: The customer's Microsoft tenant id, when a refund ticket of the group named it
    #: (OVHcloud's API has no such field): the admin link then opens that tenant.
    customer_tenant_id: str | None = None

    def seats_by_license(self) -> list[tuple[str, int, int]]:
        """(license name, subscriptions, seats) in the group, most seats first."""
        totals: dict[str, list[int]] = {}
        for sub in self.subscriptions:
            entry = totals.setdefault(sub.license_name or str(sub.license_id), [0, 0])
            entry[0] += 1
            entry[1] += sub.quantity
        return sorted(((n, c, s) for n, (c, s) in totals.items()), key=lambda x: (-x[2], x[0]))


@dataclass(frozen=True)
class HomeSummary:
    """License groups at a glance, for the App Home."""

    tenants: list[TenantSummary]
    freshness: Freshness

    @property
    def seats(self) -> int:
        return sum(t.seat_count for t in self.tenants)

    @property
    def with_issues(self) -> list[TenantSummary]:
        return [t for t in self.tenants if t.mpn_issue_flag or t.status != "ok"]


# --- page sizes: Slack allows 50 blocks per message ------------------------------------------

TENANTS_PER_PAGE = 15
SUBSCRIPTIONS_PER_PAGE = 15
TASKS_PER_PAGE = 20


#: A group read this long after the oldest one shown counts as re-read since (one sync run
#: reads the groups one after the other, within seconds).
RE_READ = timedelta(minutes=1)


async def freshness(
    runtime: Runtime, session: AsyncSession, tenants: Sequence[CachedTenant]
) -> Freshness:
    """As of the oldest group shown; stale after a failed sync or when too old."""
    now = runtime.clock.now()
    settings = runtime.settings
    run = await cache.last_sync_run(session)
    as_of = min((t.synced_at for t in tenants), default=None)
    if as_of is None:
        as_of = await cache.last_good_sync_at(session)
    error = error_at = None
    failing = [(t.sync_error_at, t) for t in tenants if t.sync_error and t.sync_error_at]
    # the provider was unreachable: a finished run (as last_sync_run reads) read no group
    unreachable = run is not None and run.error and not (run.tenants_ok or run.tenants_failed)
    if (
        run is not None
        and unreachable
        and (as_of is None or (run.finished_at is not None and run.finished_at >= as_of))
    ):
        error, error_at = run.error, run.finished_at
    elif failing:
        error_at, worst = max(failing, key=lambda pair: pair[0])
        error = f"{worst.label}: {worst.sync_error}"
    limit = settings.csp_sync_stale_after or 2 * settings.csp_sync_interval
    too_old = as_of is not None and limit > 0 and now - as_of > timedelta(seconds=limit)
    newer = [t.synced_at for t in tenants if as_of is not None and t.synced_at - as_of > RE_READ]
    return Freshness(as_of, now, stale=bool(error) or too_old, error=error, error_at=error_at,
                     newer=len(newer), newest=max(newer, default=None))


# --- finding a license group from what people type --------------------------------------------


async def resolve_tenant(session: AsyncSession, text: str) -> CachedTenant:
    """A service name, a display name, or an unambiguous fragment of either."""
    text = text.strip()
    if not text:
        raise DomainError(_("Which license group? Give its name or service name."))
    exact = await cache.get_tenant(session, text) or await cache.get_tenant(session, text.lower())
    if exact is not None:
        return exact
    words = words_of(text)
    matches = await cache.tenants_matching(session, words) if words else []
    wanted = normalize(text)
    same = [t for t in matches if normalize(t.display_name or "") == wanted]
    if len(same) == 1:
        return same[0]
    if len(matches) == 1:
        return matches[0]
    if matches:
        if len(matches) > 5:
            raise NotFoundError(ngettext(
                "“{text}” matches several license groups: {names} and {n} more. Which one?",
                "“{text}” matches several license groups: {names} and {n} more. Which one?",
                len(matches) - 5, text=escape(text),
                names=", ".join(_quoted(t) for t in matches[:5]),
            ))
        raise NotFoundError(_(
            "“{text}” matches several license groups: {names}. Which one?",
            text=escape(text), names=join_list([_quoted(t) for t in matches]),
        ))
    raise NotFoundError(await _unknown_tenant(session, text))


async def _unknown_tenant(session: AsyncSession, text: str) -> str:
    pairs = await cache.tenant_names(session)
    labels = {}
    for service_name, display_name in pairs:
        labels[normalize(service_name)] = service_name
        if display_name:
            labels[normalize(display_name)] = service_name
    # difflib compares the text with every label: a bounded text keeps that linear and small
    wanted = " ".join(words_of(text))
    close = difflib.get_close_matches(wanted, list(labels), n=5, cutoff=0.5)
    names = list(dict.fromkeys(labels[c] for c in close))
    message = _("No license group matches “{text}”.", text=escape(text))
    if names:
        tenants = {sn: dn for sn, dn in pairs}
        shown = join_list([f"{escape(tenants[sn] or sn)} (`{escape(sn)}`)" for sn in names])
        return message + " " + _("Close matches: {names}.", names=shown)
    return message + " " + _("`/csp tenants` lists them all.")


def _quoted(tenant: CachedTenant) -> str:
    return f"{escape(tenant.label)} (`{escape(tenant.service_name)}`)"


# --- the listings ------------------------------------------------------------------------------


async def tenants_listing(runtime: Runtime, text_filter: str | None, page: int) -> TenantsListing:
    async with runtime.db.session() as session:
        if text_filter:
            matches = await cache.tenants_matching(session, words_of(text_filter))
            tenants = await cache.tenant_summaries(session, [t.service_name for t in matches])
        else:
            tenants = await cache.tenant_summaries(session)
        shown = paginate(tenants, page, TENANTS_PER_PAGE)
        fresh = await freshness(runtime, session, tenants)
    return TenantsListing(shown, fresh, text_filter or None)


async def subscriptions_listing(
    runtime: Runtime, tenant_text: str, page: int
) -> SubscriptionsListing:
    async with runtime.db.session() as session:
        tenant = await resolve_tenant(session, tenant_text)
        subs = await cache.subscriptions_of(session, tenant.service_name)
        since = runtime.clock.now() - timedelta(days=runtime.settings.csp_task_history_days)
        tasks = await cache.tasks_of(session, tenant.service_name, finished_since=since)
        fresh = await freshness(runtime, session, [tenant])
    return SubscriptionsListing(
        tenant, paginate(subs, page, SUBSCRIPTIONS_PER_PAGE), {t.id: t for t in tasks}, fresh,
        terms_of(runtime, tenant, subs),
    )


async def tasks_listing(runtime: Runtime, tenant_text: str | None, page: int) -> TasksListing:
    async with runtime.db.session() as session:
        tenant = await resolve_tenant(session, tenant_text) if tenant_text else None
        since = runtime.clock.now() - timedelta(days=runtime.settings.csp_task_history_days)
        tasks = await cache.tasks_of(
            session, tenant.service_name if tenant else None, finished_since=since
        )
        names = {sn: dn or sn for sn, dn in await cache.tenant_names(session)}
        tenants = [tenant] if tenant else await cache.tenant_summaries(session)
        fresh = await freshness(runtime, session, tenants)
    return TasksListing(tenant, paginate(tasks, page, TASKS_PER_PAGE), names, fresh)


async def tenant_details(runtime: Runtime, tenant_text: str) -> TenantDetails:
    async with runtime.db.session() as session:
        tenant = await resolve_tenant(session, tenant_text)
        licenses = await cache.licenses_of(session, tenant.service_name)
        subs = await cache.subscriptions_of(session, tenant.service_name)
        fresh = await freshness(runtime, session, [tenant])
        customer = await customer_tenant_id(session, tenant.service_name)
    return TenantDetails(
        tenant, licenses, subs, fresh, terms_of(runtime, tenant, subs), customer
    )


async def customer_tenant_id(session: AsyncSession, service_name: str) -> str | None:
    """The Microsoft tenant GUID the group's latest refund ticket names, if it names one."""
    from bot.core.domain import Request, RequestKind, RequestState
    from bot.refunds.form import is_guid
    from bot.refunds.views import ticket_of
    from store import requests as request_repo

    rows = await request_repo.requests_in_states(
        session, [s for s in RequestState if s is not RequestState.DRAFT],
        kinds=[RequestKind.REFUND], tenant=service_name, limit=5,
    )
    for row in rows:
        ticket = ticket_of(Request.model_validate(row))
        if ticket is not None and is_guid(ticket.customer_tenant):
            return ticket.customer_tenant.strip("{}").lower()
    return None


def terms_of(runtime: Runtime, tenant: CachedTenant, subs: Sequence[CachedSubscription]
             ) -> dict[int, Term]:
    """Each subscription's current term: its licence's plan (`bot.reference.terms`), its
    creation date, and the group's serviceInfos beside them."""
    book, now = load_term_book(runtime.settings), runtime.clock.now()
    provider = ProviderRenewal.of(tenant.service_info)
    return {s.id: current_term(book.plan(s.license_id, s.license_name), s.creation_date, now,
                               provider) for s in subs}


async def home_summary(runtime: Runtime) -> HomeSummary:
    async with runtime.db.session() as session:
        tenants = await cache.tenant_summaries(session)
        fresh = await freshness(runtime, session, tenants)
    return HomeSummary(tenants, fresh)
