"""Options for external_select menus (license groups, subscriptions, licenses), from the cache.

Best matches first: the exact id, then names that start with what was typed, then names with a
word that starts with it, then names that merely contain it. Several words must all match
("nordwind e3"). At most 100 options (Slack's limit). `store/search.py` fetches candidates
through indexes; `rank` — pure, no I/O — decides the order.

Option values: a group → its service name; a subscription → its id; a license → its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Option

from bot.core.i18n import _, ngettext
from bot.core.text import escape
from store import search
from store.search import EXACT, PREFIX, normalize, text_tier, words_of

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

MAX_OPTIONS = 100
OPTION_TEXT_LIMIT = 75


@dataclass(frozen=True)
class Candidate:
    """Something that can be offered: `key` is its id (exact and prefix matches), `texts` the
    normalised names it can be found by, most important first."""

    value: str
    label: str
    key: str
    texts: tuple[str, ...]
    #: Whether typing the start of `key` is a prefix match (an id); else only all of it.
    key_prefix: bool = True


def score(words: Sequence[str], candidate: Candidate) -> tuple[int, int] | None:
    """(worst tier over the words, sum of tiers), or None when a word matches nothing."""
    if not words:
        return (PREFIX, 0)
    if " ".join(words) == candidate.key:
        return (EXACT, 0)
    tiers = []
    for word in words:
        best = PREFIX if candidate.key_prefix and candidate.key.startswith(word) else None
        for value in candidate.texts:
            tier = text_tier(word, value)
            if tier is not None and (best is None or tier < best):
                best = tier
        if best is None:
            return None
        tiers.append(best)
    return (max(tiers), sum(tiers))


def rank(query: str, candidates: Iterable[Candidate], limit: int = MAX_OPTIONS) -> list[Candidate]:
    """The candidates that match `query`, best first, then by label."""
    words = words_of(query)
    scored = []
    for candidate in candidates:
        s = score(words, candidate)
        if s is not None:
            scored.append((s, candidate.label.casefold(), candidate.value, candidate))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]


def option(candidate: Candidate) -> Option:
    """The option Slack shows: its label (names from the provider) escaped, then cut."""
    label = escape(candidate.label)
    if len(label) > OPTION_TEXT_LIMIT:
        label = label[: OPTION_TEXT_LIMIT - 1] + "…"
    return Option(text=label, value=candidate.value)


# --- candidates from cache hits --------------------------------------------------------------


def tenant_candidate(hit: search.TenantHit) -> Candidate:
    label = f"{hit.display_name} — {hit.service_name}" if hit.display_name else hit.service_name
    if hit.status != "ok":
        label = f"{label} ({hit.status})"
    text = hit.search_text or search.tenant_search_text(hit.display_name, hit.service_name)
    return Candidate(
        value=hit.service_name,
        label=label,
        key=normalize(hit.service_name),
        texts=(text,),
        key_prefix=False,  # the service name is in `text`, after the display name
    )


def subscription_candidate(hit: search.SubscriptionHit, *, with_group: bool) -> Candidate:
    """Found by its id, its license's name, and its group's display and service names. (The
    label starts with the id and " · ": `rank_subscriptions` orders by that.)"""
    seats = ngettext("{n} seat", "{n} seats", hit.quantity)
    parts = [str(hit.id), hit.license_name]
    if with_group:
        parts.append(hit.display_name or hit.service_name)
    group = hit.group_text or search.tenant_search_text(hit.display_name, hit.service_name)
    return Candidate(
        value=str(hit.id),
        label=" · ".join(parts) + f" ({seats})",
        key=str(hit.id),
        texts=(normalize(hit.license_name), group),
    )


def license_candidate(hit: search.LicenseHit) -> Candidate:
    label = hit.name
    if hit.licence_type == "ADDON":
        label += " " + _("(add-on)")
    return Candidate(value=str(hit.id), label=label, key=str(hit.id), texts=(normalize(hit.name),))


# --- what the options listeners call ---------------------------------------------------------


async def tenant_options(runtime: Runtime, query: str) -> list[Option]:
    async with runtime.db.reader() as session:
        hits = await search.tenant_candidates(session, words_of(query), limit=MAX_OPTIONS)
    return [option(c) for c in rank(query, map(tenant_candidate, hits))]


async def subscription_options(
    runtime: Runtime, query: str, service_name: str | None = None
) -> list[Option]:
    """Subscriptions of one group (when a group is chosen in the form) or of all."""
    async with runtime.db.reader() as session:
        hits = await search.subscription_candidates(
            session, words_of(query), service_name=service_name, limit=MAX_OPTIONS
        )
    with_group = service_name is None
    return [option(c) for c in rank_subscriptions(query, hits, with_group=with_group)]


def rank_subscriptions(
    query: str, hits: Iterable[search.SubscriptionHit], *, with_group: bool
) -> list[Candidate]:
    """`rank` of the hits' candidates, with labels (a translation each) made for the best only.

    The same order as `rank`: a subscription's label starts with its id and " · ", and ids are
    unique, so ordering by label is ordering by the id's digits followed by a space."""
    words = words_of(query)
    scored = []
    for hit in hits:
        key = str(hit.id)
        group = hit.group_text or search.tenant_search_text(hit.display_name, hit.service_name)
        s = score(words, Candidate(key, "", key, (normalize(hit.license_name), group)))
        if s is not None:
            scored.append((s, key + " ", hit))
    scored.sort(key=lambda item: item[:2])
    return [subscription_candidate(h, with_group=with_group) for _s, _k, h in scored[:MAX_OPTIONS]]


async def license_options(
    runtime: Runtime, query: str, service_name: str | None = None, *, orderable_only: bool = True
) -> list[Option]:
    """Licenses of a group (only those open to new subscriptions, unless told otherwise), or
    every license the cache knows when no group is chosen."""
    async with runtime.db.reader() as session:
        hits = await search.license_candidates(session, service_name, orderable_only=orderable_only)
    return [option(c) for c in rank(query, map(license_candidate, hits))]
