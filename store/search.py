"""Indexed candidate queries for typeahead (external_select options) over the cache.

Slack gives an options request 3 seconds, and a person typing expects an answer in tens of
milliseconds, with 100,000 cached subscriptions. So nothing here scans the subscriptions table:
- an id or id prefix is a primary-key range;
- names are matched where they are few: license groups (a scan of `tenants.search_text`) and
  distinct licenses (a loose index scan of `license_id`), then subscriptions are fetched through
  the `service_name` and `license_id` indexes, best tier first, with a LIMIT.
The final order is decided in Python by `bot.typeahead.rank`, a pure function; these queries
only make sure the best candidates are among those returned.
"""

from __future__ import annotations

import functools
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, false, func, not_, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import LicenseRow, SubscriptionRow, TenantRow

#: Tiers of a match, best first (the same numbers as bot.typeahead).
EXACT, PREFIX, WORD, SUBSTRING = 0, 1, 2, 3
_ID_DIGITS = 19  # BIGINT


@functools.lru_cache(maxsize=65536)
def normalize(value: str) -> str:
    """Lower case, accents dropped, punctuation as spaces: "Padaria Atlântico, Lda." →
    "padaria atlantico lda". Stored search texts and queries go through the same function."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", bare.casefold()).split())


def words_of(query: str) -> list[str]:
    return normalize(query).split()


def tenant_search_text(display_name: str | None, service_name: str) -> str:
    return normalize(f"{display_name or ''} {service_name}")[:600]


def subscription_search_text(
    subscription_id: int, license_name: str, display_name: str | None, service_name: str
) -> str:
    return normalize(f"{subscription_id} {license_name} {display_name or ''} {service_name}")[:600]


def text_tier(word: str, value: str) -> int | None:
    """How well one normalised word matches one normalised text: prefix, word prefix,
    substring, or None."""
    if value.startswith(word):
        return PREFIX
    if f" {word}" in value:
        return WORD
    if word in value:
        return SUBSTRING
    return None


@dataclass(frozen=True)
class SubscriptionHit:
    id: int
    service_name: str
    license_id: int
    license_name: str
    quantity: int
    status: str
    display_name: str | None
    group_text: str = ""  # the group's search text (display name and service name)


@dataclass(frozen=True)
class TenantHit:
    service_name: str
    display_name: str | None
    status: str
    search_text: str = ""


@dataclass(frozen=True)
class LicenseHit:
    id: int
    name: str
    licence_type: str


# --- tenants ---------------------------------------------------------------------------------


async def _rows(session: AsyncSession, query) -> list:
    """Core rows through the session's connection (no ORM bookkeeping on this hot path)."""
    conn = await session.connection()
    return list((await conn.execute(query)).all())


def _starts_with(column, word: str, dialect: str):
    """`column` starts with `word`. On SQLite a range the index answers (byte order is
    SQLite's default collation); elsewhere LIKE, which is right whatever the collation."""
    if dialect == "sqlite":
        return and_(column >= word, column < word + "\U0010ffff")
    return column.startswith(word, autoescape=True)


def _tiers(column, word: str, dialect: str) -> tuple:
    """Disjoint conditions for the tiers of `text_tier`, best first: starts with `word`; has a
    word starting with it; merely contains it."""
    starts = _starts_with(column, word, dialect)
    word_start = column.contains(" " + word, autoescape=True)
    return (
        starts,
        and_(word_start, not_(starts)),
        and_(column.contains(word, autoescape=True), not_(word_start), not_(starts)),
    )


def _best_of_each(parts: list, limit: int):
    """One read for several tiers: each tier's query stopped at `limit`, glued by UNION ALL.

    A tier cut short had `limit` rows at least as good as anything after it; a tier not cut
    short is complete. So the best `limit` rows overall are always among those returned
    (rows of an earlier tier come again in later ones: callers keep the first)."""
    subqueries = [part.limit(limit).subquery() for part in parts]
    return union_all(*(select(sub) for sub in subqueries))


async def tenant_candidates(
    session: AsyncSession, words: Sequence[str], *, limit: int = 300
) -> list[TenantHit]:
    """License groups containing every word, best first (text starting with the longest word,
    then a word starting with it, then containing it); at most `limit`, in one read (an index
    range and scans of the covering index `ix_tenants_search`, each stopped at `limit`)."""
    columns = (
        TenantRow.service_name,
        TenantRow.display_name,
        TenantRow.status,
        TenantRow.search_text,
    )
    if not words:
        query = select(*columns).order_by(TenantRow.search_text).limit(limit)
        return [TenantHit(*row) for row in await _rows(session, query)]
    primary = max(words, key=len)
    others = [TenantRow.search_text.contains(w, autoescape=True) for w in words if w != primary]
    tiers = _tiers(TenantRow.search_text, primary, session.bind.dialect.name)
    query = _best_of_each([select(*columns).where(t, *others) for t in tiers], limit)
    found: dict[str, TenantHit] = {}
    for row in await _rows(session, query):
        found.setdefault(row[0], TenantHit(*row))
    ranked = sorted(
        found.values(),
        key=lambda h: (text_tier(primary, h.search_text) or SUBSTRING, h.search_text),
    )
    return ranked[:limit]


# --- licenses --------------------------------------------------------------------------------

_DISTINCT_LICENSES = """
WITH RECURSIVE ids(license_id) AS (
    SELECT MIN(license_id) FROM {table}
    UNION ALL
    SELECT (SELECT MIN(t.license_id) FROM {table} t WHERE t.license_id > ids.license_id)
    FROM ids WHERE ids.license_id IS NOT NULL
)
SELECT ids.license_id,
       (SELECT t.{name} FROM {table} t WHERE t.license_id = ids.license_id LIMIT 1),
       {kind}
FROM ids WHERE ids.license_id IS NOT NULL
"""


#: Distinct licenses change only when sync writes; kept briefly per database (and dropped at
#: once when this process syncs), so a burst of keystrokes does not re-read them each time.
LICENSES_TTL_SECONDS = 30.0
_licenses: dict[tuple[str, bool], tuple[float, list[LicenseHit]]] = {}


def forget_licenses() -> None:
    _licenses.clear()


async def distinct_licenses(session: AsyncSession, *, of_subscriptions: bool) -> list[LicenseHit]:
    """Every license id with its name, by a loose scan of the license_id index (one index
    probe per distinct license, not one row per subscription)."""
    key = (str(session.bind.url), of_subscriptions)
    cached = _licenses.get(key)
    if cached is not None and time.monotonic() - cached[0] < LICENSES_TTL_SECONDS:
        return cached[1]
    hits = await _distinct_licenses(session, of_subscriptions=of_subscriptions)
    _licenses[key] = (time.monotonic(), hits)
    return hits


async def _distinct_licenses(session: AsyncSession, *, of_subscriptions: bool) -> list[LicenseHit]:
    if of_subscriptions:
        sql = _DISTINCT_LICENSES.format(table="subscriptions", name="license_name", kind="''")
    else:
        kind = "(SELECT t.licence_type FROM licenses t WHERE t.license_id = ids.license_id LIMIT 1)"
        sql = _DISTINCT_LICENSES.format(table="licenses", name="name", kind=kind)
    rows = await _rows(session, text(sql))
    return [LicenseHit(int(lid), name or "", kind or "") for lid, name, kind in rows]


async def license_candidates(
    session: AsyncSession, service_name: str | None, *, orderable_only: bool
) -> list[LicenseHit]:
    """Licenses of one group (few), or every distinct license when no group is chosen."""
    if service_name is None:
        return await distinct_licenses(session, of_subscriptions=False)
    query = select(LicenseRow.license_id, LicenseRow.name, LicenseRow.licence_type).where(
        LicenseRow.service_name == service_name
    )
    if orderable_only:
        query = query.where(LicenseRow.new_subscriptions_allowed.is_(True))
    return [LicenseHit(*row) for row in await _rows(session, query)]


# --- subscriptions ---------------------------------------------------------------------------


_HIT_COLUMNS = (
    SubscriptionRow.id,
    SubscriptionRow.service_name,
    SubscriptionRow.license_id,
    SubscriptionRow.license_name,
    SubscriptionRow.quantity,
    SubscriptionRow.status,
    TenantRow.display_name,
    TenantRow.search_text,
)


def _hits_query():
    """Subscriptions found through their own indexes (id, group, license)."""
    return select(*_HIT_COLUMNS).join(
        TenantRow, TenantRow.service_name == SubscriptionRow.service_name
    )


def _hits_by_group():
    """Subscriptions found through their group: the planner walks `ix_tenants_search` and
    stops at the LIMIT, instead of listing every matching group first."""
    return (
        select(*_HIT_COLUMNS)
        .select_from(TenantRow)
        .join(SubscriptionRow, SubscriptionRow.service_name == TenantRow.service_name)
    )


def _id_prefix(word: str):
    """`id` starts with the digits of `word` (longer than `word`), as primary-key ranges."""
    n = int(word)
    ranges = []
    for extra in range(1, _ID_DIGITS - len(word) + 1):
        low, high = n * 10**extra, (n + 1) * 10**extra
        if low >= 2**63:
            break
        ranges.append(and_(SubscriptionRow.id >= low, SubscriptionRow.id < min(high, 2**63)))
    return or_(*ranges) if ranges else false()


async def subscription_candidates(
    session: AsyncSession,
    words: Sequence[str],
    *,
    service_name: str | None = None,
    limit: int = 100,
) -> list[SubscriptionHit]:
    """Subscriptions that may match every word, such that the best `limit` are among them.

    In one group: all its subscriptions (a few hundred at most) that contain every word. In
    all groups, through indexes, with the longest word: the exact id, ids starting with it,
    and per tier the subscriptions of the groups (walking `ix_tenants_search`) and of the
    licenses (`distinct_licenses`) whose names match at that tier. The first read has the
    ids and the prefixes, which often fill the list; the other tiers are read only if not."""
    if service_name is not None:
        query = _hits_query().where(SubscriptionRow.service_name == service_name)
        for word in words:
            query = query.where(SubscriptionRow.search_text.contains(word, autoescape=True))
        rows = await _rows(session, query.order_by(SubscriptionRow.id).limit(2000))
        return [SubscriptionHit(*r) for r in rows]
    if not words:
        rows = await _rows(session, _hits_query().order_by(SubscriptionRow.id).limit(limit))
        return [SubscriptionHit(*r) for r in rows]

    primary = max(words, key=len)
    others = [
        SubscriptionRow.search_text.contains(w, autoescape=True) for w in words if w is not primary
    ]
    licenses = await distinct_licenses(session, of_subscriptions=True)
    phases: list[list] = [[], []]  # ids and prefixes often suffice; the rest if not
    if primary.isdigit() and len(primary) < _ID_DIGITS:
        phases[0] += [
            _hits_query().where(SubscriptionRow.id == int(primary), *others),
            _hits_query().where(_id_prefix(primary), *others),
        ]
    group_tiers = _tiers(TenantRow.search_text, primary, session.bind.dialect.name)
    for tier, matches_group in zip((PREFIX, WORD, SUBSTRING), group_tiers, strict=True):
        phase = phases[0 if tier == PREFIX else 1]
        phase.append(_hits_by_group().where(matches_group, *others))
        ids = [lic.id for lic in licenses if text_tier(primary, normalize(lic.name)) == tier]
        if ids:
            phase.append(_hits_query().where(SubscriptionRow.license_id.in_(ids), *others))
    found: dict[int, SubscriptionHit] = {}
    for phase in phases:
        query = _best_of_each(phase, limit)
        for row in await _rows(session, query):
            found.setdefault(row[0], SubscriptionHit(*row))
        if len(found) >= limit:
            break
    return list(found.values())


async def subscription_count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count(SubscriptionRow.id)))).scalar_one()
