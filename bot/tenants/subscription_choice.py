"""Choosing a license group and one of its subscriptions, for the flows that act on one
subscription (seat changes, cancellations).

Both flows open the same way — `/csp seats nordwind 480101 13`, a subscription row's menu, or
App Home — and both need the same facts before a rule can answer: the subscription, its
license, its seat batches, its add-ons, the other seats of its license in the group, and any
request of ours still open on it. Everything here reads the cache only (the 3-second rule).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from bot.cache import groups
from bot.core.domain import License, Request, RequestState, Subscription
from bot.core.errors import FormErrors, NotFoundError
from bot.core.formats import join_list
from bot.core.i18n import _, ngettext
from bot.core.ids import BlockId, OptionsAction, SubscriptionChoiceBlock
from bot.core.numbers import id_of
from bot.core.text import escape
from bot.policy.approvals import state_label
from bot.policy.terms import ASSUMED_TERMS, ProviderRenewal, Term, TermBook, current_term
from bot.slack.metadata import Counter, Id, Metadata, Text
from bot.slack.state import ViewState
from store import cache
from store import requests as request_repo
from store.cache import CachedSubscription, CachedTenant, SeatBatch
from store.db import Database
from store.search import normalize, words_of

#: Requests that still hold a subscription: a second change must wait for them.
OPEN_STATES = (
    RequestState.AWAITING_APPROVAL,
    RequestState.QUEUED,
    RequestState.RUNNING,
    RequestState.NEEDS_ATTENTION,
    RequestState.FAILED,
    RequestState.SCHEDULED,
)
#: How many of a subscription's open requests are read (the modal names the first three).
OPEN_REQUESTS_READ = 10


class ChoiceRef(Metadata):
    """The modal's private_metadata: what it was built for, and where to post the card.

    `generation` changes whenever the license group changes, so the subscription select gets a
    new block_id and Slack forgets a subscription chosen in the previous group.
    """

    model_config = ConfigDict(frozen=True)

    tenant: Text = Field(default=None, alias="t")
    subscription_id: Id = Field(default=None, alias="s")
    channel: Text = Field(default=None, alias="c")
    generation: Counter = Field(default=0, alias="g")

    @property
    def subscription_block(self) -> str:
        return f"{SubscriptionChoiceBlock.SUBSCRIPTION}.{self.generation}"

    def with_tenant(self, tenant: str | None) -> ChoiceRef:
        """Another group: the subscription chosen in the previous one is forgotten."""
        if tenant == self.tenant:
            return self
        return self.model_copy(
            update={"tenant": tenant, "subscription_id": None, "generation": self.generation + 1}
        )


# --- what the command text names -------------------------------------------------------------


@dataclass(frozen=True)
class Prefill:
    """What `/csp <word> [tenant] [subscription] [numbers…]` named, resolved in the cache.

    `problem` says, in words, what could not be resolved; the modal opens anyway with the rest.
    `rest` are the words after the subscription id that are not plain numbers (`+3`, `abc`):
    the flow uses them or names them back in the modal.
    """

    tenant: CachedTenant | None = None
    subscription: CachedSubscription | None = None
    numbers: tuple[int, ...] = ()
    problem: str | None = None
    rest: tuple[str, ...] = ()


#: A signed number ("+3", "-2", "−2" with the real minus sign): never part of a group's name.
SIGNED = re.compile(r"^[+\-\u2212]\d")


def split_args(args: Sequence[str]) -> tuple[str, list[int], list[str]]:
    """Leading words name the group ("contoso bakery"); the numbers after them are the
    subscription id and what the flow wants (a new total); what follows the first word that is
    not a plain number is returned as it was typed, for the flow to use or name back."""
    words: list[str] = []
    numbers: list[int] = []
    for index, arg in enumerate(args):
        number = id_of(arg)
        if number is not None:
            numbers.append(number)
        elif numbers or SIGNED.match(arg):
            return " ".join(words), numbers, list(args[index:])
        else:
            words.append(arg)
    return " ".join(words), numbers, []


async def resolve_prefill(db: Database, args: Sequence[str]) -> Prefill:
    """Resolves `[tenant] [subscription] [numbers…]` against the cache, without the provider."""
    query, numbers, rest = split_args(args)
    async with db.session() as session:
        tenant, problem = await _tenant_named(session, query) if query else (None, None)
        if not numbers:
            return Prefill(tenant, None, (), problem, tuple(rest))
        sub = await cache.get_subscription(session, numbers[0])
        if sub is None or (tenant is not None and sub.service_name != tenant.service_name):
            if problem is None and tenant is not None:
                problem = _("License group {name} has no subscription {id}.",
                            name=escape(tenant.label), id=numbers[0])
            elif problem is None:
                problem = _("There is no subscription {id} in the cache.", id=numbers[0])
            return Prefill(tenant, None, tuple(numbers[1:]), problem, tuple(rest))
        if tenant is None:
            tenant = await cache.get_tenant(session, sub.service_name)
        return Prefill(tenant, sub, tuple(numbers[1:]), problem, tuple(rest))


def ignored_words(prefill: Prefill, usage: str) -> str | None:
    """Names the words after the subscription that a flow has no use for (`usage`: what the
    command takes, e.g. "`/csp cancel` takes a group and a subscription")."""
    words = [str(n) for n in prefill.numbers] + list(prefill.rest)
    if not words:
        return None
    return _("Ignored {words}: {usage}.", words=", ".join(quoted(words)), usage=usage)


def quoted(words: Sequence[str]) -> list[str]:
    """The first five words a person typed that a command ignores, each cut to 40 characters,
    escaped and in the language's quotation marks."""
    # Translators: a word the person typed that the command ignored, in quotation marks.
    return [_("“{word}”", word=escape(w[:40])) for w in words[:5]]


async def _tenant_named(session: Any, query: str) -> tuple[CachedTenant | None, str | None]:
    exact = await cache.get_tenant(session, query.strip())
    if exact is not None:
        return exact, None
    matches = await cache.tenants_matching(session, words_of(query))
    wanted = normalize(query)
    if len(matches) > 1:  # a display name typed in full beats a partial match
        full = [t for t in matches if normalize(t.display_name or "") == wanted]
        matches = full or matches
    if len(matches) == 1:
        return matches[0], None
    if not matches:
        return None, _("No license group matches “{query}”.", query=escape(query))
    names = join_list([escape(t.label) for t in matches[:5]])
    return None, _("Several license groups match “{query}” ({names}): pick one.",
                   query=escape(query), names=names)


# --- what the modal's state holds ------------------------------------------------------------


def chosen_or_errors(
    state: ViewState, ref: ChoiceRef, errors: dict[str, str], *, missing: str
) -> tuple[str | None, int | None]:
    """`chosen()`, with a message next to each select left empty (`missing`: the
    subscription's, e.g. "Choose the subscription to cancel.")."""
    tenant, subscription_id = chosen(state, ref)
    if not tenant:
        errors[BlockId.TENANT] = _("Choose the license group.")
    if subscription_id is None:
        errors[ref.subscription_block] = missing
    return tenant, subscription_id


def chosen(state: ViewState, ref: ChoiceRef) -> tuple[str | None, int | None]:
    """(service name, subscription id) chosen in the form; what the modal was built for when
    the state does not say (a prefilled select the person did not touch)."""
    tenant = state.choice(BlockId.TENANT, OptionsAction.TENANT) or ref.tenant
    raw = state.choice(ref.subscription_block, OptionsAction.SUBSCRIPTION)
    if raw is None:
        return tenant, ref.subscription_id
    return tenant, id_of(raw)


# --- the facts a rule needs ------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionFacts:
    """One subscription as the cache knows it, with what the seat and cancellation rules need."""

    tenant: CachedTenant
    subscription: CachedSubscription
    license: License
    batches: tuple[SeatBatch, ...] = ()
    addons: tuple[CachedSubscription, ...] = ()
    #: Seats of the same license in the group's other subscriptions (they share `limit`).
    seats_elsewhere: int = 0
    #: Seats of the same license that the group's confirmed, unfinished requests will add.
    seats_on_the_way: int = 0
    open_requests: tuple[Request, ...] = field(default=())
    #: The licences' terms (CSP_TERMS, the price book; `bot.reference.terms.load_term_book`).
    terms: TermBook = ASSUMED_TERMS

    @property
    def license_name(self) -> str:
        return self.subscription.license_name or self.license.name

    def term(self, at: datetime, sub: Subscription | None = None) -> Term:
        """The term that runs at `at` of the subscription, or of one of its add-ons (`sub`):
        its licence's plan, its creation date, and its group's serviceInfos beside them."""
        sub = sub or self.subscription
        name = getattr(sub, "license_name", "") or (
            self.license.name if sub.license_id == self.license.id else "")
        return current_term(self.terms.plan(sub.license_id, name), sub.creation_date, at,
                            ProviderRenewal.of(self.tenant.service_info))

    @property
    def label(self) -> str:
        return f"{self.license_name} ({self.subscription.id})"

    def addon_names(self) -> list[str]:
        return [ngettext("{name} ({n} seat)", "{name} ({n} seats)", a.quantity,
                         name=a.license_name or a.license_id)
                for a in self.addons]


async def load_facts(db: Database, subscription_id: int, tenant: str | None = None, *,
                     terms: TermBook = ASSUMED_TERMS) -> SubscriptionFacts:
    """Everything about one subscription, from the cache; NotFoundError when it is not there
    (or not in `tenant`). `terms` gives each licence its term."""
    async with db.session() as session:
        sub = await cache.get_subscription(session, subscription_id)
        if sub is None or (tenant is not None and sub.service_name != tenant):
            raise NotFoundError(
                _("Subscription {id} is not in the cache of that license group; pick it from "
                  "the list, or run `/csp sync` if it is new.", id=subscription_id))
        group = await groups.cached_group(session, sub.service_name)
        lic = await cache.get_license(session, sub.service_name, sub.license_id)
        siblings = await cache.subscriptions_of(session, sub.service_name)
        batches = await cache.seat_batches(session, sub.id)
        open_requests = await open_requests_on(session, sub.id)
        on_the_way = await request_repo.in_flight_seats(session, sub.service_name)
    return SubscriptionFacts(
        tenant=group,
        subscription=sub,
        license=lic or License(id=sub.license_id, name=sub.license_name or str(sub.license_id)),
        batches=tuple(batches),
        addons=tuple(s for s in siblings if s.parent_id == sub.id),
        seats_elsewhere=sum(s.quantity for s in siblings
                            if s.license_id == sub.license_id and s.id != sub.id),
        seats_on_the_way=on_the_way.get(sub.license_id, 0),
        open_requests=tuple(open_requests),
        terms=terms,
    )


async def facts_to_change(db: Database, block: str, subscription_id: int, tenant: str | None,
                          *, terms: TermBook = ASSUMED_TERMS) -> SubscriptionFacts:
    """The facts a change of the subscription is drafted from; FormErrors at its field (`block`)
    when it is not in the cache or another request on it is still under way."""
    try:
        facts = await load_facts(db, subscription_id, tenant, terms=terms)
    except NotFoundError as exc:
        raise FormErrors({block: exc.message}) from exc
    waiting = open_request_problem(facts)
    if waiting:
        raise FormErrors({block: waiting})
    return facts


async def load_choice(db: Database, ref: ChoiceRef, *, terms: TermBook = ASSUMED_TERMS
                      ) -> tuple[CachedTenant | None, SubscriptionFacts | None, str | None]:
    """The group and subscription a modal is (re)built for, and a problem to show, if any."""
    facts = None
    if ref.subscription_id is not None:
        try:
            facts = await load_facts(db, ref.subscription_id, ref.tenant, terms=terms)
        except NotFoundError as exc:
            return await _tenant(db, ref.tenant), None, exc.message
        return facts.tenant, facts, None
    return await _tenant(db, ref.tenant), None, None


async def _tenant(db: Database, service_name: str | None) -> CachedTenant | None:
    if not service_name:
        return None
    async with db.session() as session:
        return await cache.get_tenant(session, service_name)


async def ref_for_value(db: Database, value: str | None, channel: str | None) -> ChoiceRef:
    """The modal a button or menu value opens: a subscription id, a service name, or nothing."""
    subscription_id = id_of(value)
    if subscription_id is not None:
        async with db.session() as session:
            sub = await cache.get_subscription(session, subscription_id)
        if sub is not None:
            return ChoiceRef(tenant=sub.service_name, subscription_id=sub.id, channel=channel)
    if value:
        return ChoiceRef(tenant=value, channel=channel)
    return ChoiceRef(channel=channel)


async def open_requests_on(session: Any, subscription_id: int) -> list[Request]:
    """Our requests still under way on a subscription (drafts do not count: nobody sent them),
    newest activity first."""
    rows = await request_repo.requests_in_states(
        session, [s.value for s in OPEN_STATES], subscription_id=subscription_id,
        limit=OPEN_REQUESTS_READ)
    return [Request.model_validate(r) for r in rows]


def open_request_problem(facts: SubscriptionFacts) -> str | None:
    """Why a new request on this subscription must wait, or None."""
    if not facts.open_requests:
        return None
    other = facts.open_requests[0]
    # Translators: {state} is a request's state as in "it is awaiting approval" (a draft,
    # queued, awaiting approval, running…).
    return _("Request {ref} on subscription {id} is still {state}: wait for it to finish (or "
             "withdraw it) before asking for another change.", ref=other.ref,
             id=facts.subscription.id, state=state_label(other.state))
