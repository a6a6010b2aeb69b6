"""Indexed candidate queries for typeahead (external_select options) over the cache.

Slack gives an options request 3 seconds, and a person typing expects an answer in tens of
milliseconds, with 100,000 cached subscriptions. So nothing here scans the subscriptions table:
- an id or id prefix is a primary-key range;
- names are matched where they are few: license groups (a scan of `tenants.search_text`) and
  distinct licenses (a loose index scan of `license_id`), then subscriptions are fetched through
  the `service_name` and `license_id` indexes, best tier first, with a LIMIT.
The final order is decided in Python by `bot.cache.typeahead.rank`, a pure function; these queries
only make sure the best candidates are among those returned.
"""

from __future__ import annotations

import functools
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, not_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from store.models import LicenseRow, SubscriptionRow, TenantRow

#: Tiers of a match, best first (the same numbers as bot.cache.typeahead).
EXACT, PREFIX, WORD, SUBSTRING = 0, 1, 2, 3
_ID_DIGITS = 19  # BIGINT; ids of up to 18 digits are found by prefix


@functools.lru_cache(maxsize=65536)
def normalize(value: str) -> str:
    """Lower case, accents dropped, punctuation as spaces: "Padaria Atlântico, Lda." →
    "padaria atlantico lda". Stored search texts and queries go through the same function."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", bare.casefold()).split())


#: A search looks at this much of a query: enough words to name any group, and a bounded
#: cost (each word is one more LIKE in SQL and one more pass in the typeahead ranking).
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8


def words_of(query: str) -> list[str]:
    return normalize(query[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_WORDS]


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


#: What the reads below take: a Core connection (`Database.reader()`, the cheapest: no ORM
#: session to set up and close) or a session, whose connection they use.
Reader = AsyncConnection | AsyncSession


async def _rows(reader: Reader, query, params: dict | None = None) -> list:
    """Core rows through the reader's connection (no ORM bookkeeping on this hot path)."""
    conn = reader if isinstance(reader, AsyncConnection) else await reader.connection()
    return list((await conn.execute(query, params or {})).all())


def _dialect(reader: Reader) -> str:
    return reader.dialect.name if isinstance(reader, AsyncConnection) else reader.bind.dialect.name


def _url(reader: Reader) -> str:
    engine = reader.engine if isinstance(reader, AsyncConnection) else reader.bind
    return str(engine.url)


# The statements below are built once per shape (dialect, number of words …) with bind
# parameters, and reused: building SQLAlchemy statements costs more than running them.


def _like_escape(word: str) -> str:
    return word.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _tier_conditions(column, dialect: str) -> tuple:
    """Disjoint conditions for the tiers of `text_tier`, best first: starts with the word
    (a range the index answers, in byte order: SQLite's default collation, PostgreSQL's
    pattern operators; elsewhere LIKE, right whatever the collation), has a word starting
    with it, merely contains it."""
    if dialect == "sqlite":
        starts = and_(column >= bindparam("lo"), column < bindparam("hi"))
    elif dialect == "postgresql":  # byte order: the range `ix_tenants_search_prefix` answers
        starts = and_(column.op("~>=~")(bindparam("lo")), column.op("~<~")(bindparam("hi")))
    else:
        starts = column.like(bindparam("starts"), escape="/")
    word_start = column.like(bindparam("word_start"), escape="/")
    anywhere = column.like(bindparam("anywhere"), escape="/")
    return (
        starts,
        and_(word_start, not_(starts)),
        and_(anywhere, not_(word_start), not_(starts)),
    )


def _others(column, count: int) -> list:
    return [column.like(bindparam(f"other{i}"), escape="/") for i in range(count)]


def _word_params(primary: str, others: Sequence[str], dialect: str) -> dict:
    escaped = _like_escape(primary)
    params = {"word_start": f"% {escaped}%", "anywhere": f"%{escaped}%"}
    if dialect in ("sqlite", "postgresql"):
        params.update(lo=primary, hi=primary + "\U0010ffff")
    else:
        params["starts"] = escaped + "%"
    params.update({f"other{i}": f"%{_like_escape(w)}%" for i, w in enumerate(others)})
    return params


def _best_of_each(parts: list, limit: int):
    """One read for several tiers: each tier's query stopped at `limit`, glued by UNION ALL.

    A tier cut short had `limit` rows at least as good as anything after it; a tier not cut
    short is complete. So the best `limit` rows overall are always among those returned
    (rows of an earlier tier come again in later ones: callers keep the first)."""
    subqueries = [part.limit(limit).subquery() for part in parts]
    return union_all(*(select(sub) for sub in subqueries))


_TENANT_COLUMNS = (
    TenantRow.service_name,
    TenantRow.display_name,
    TenantRow.status,
    TenantRow.search_text,
)


@functools.lru_cache(maxsize=64)
def _tenant_query(dialect: str, others: int, limit: int):
    tiers = _tier_conditions(TenantRow.search_text, dialect)
    extra = _others(TenantRow.search_text, others)
    return _best_of_each([select(*_TENANT_COLUMNS).where(t, *extra) for t in tiers], limit)


async def tenant_candidates(
    session: Reader, words: Sequence[str], *, limit: int = 300
) -> list[TenantHit]:
    """License groups containing every word, best first (text starting with the longest word,
    then a word starting with it, then containing it); at most `limit`, in one read (an index
    range and scans of the covering index `ix_tenants_search`, each stopped at `limit`)."""
    if not words:
        query = select(*_TENANT_COLUMNS).order_by(TenantRow.search_text).limit(limit)
        return [TenantHit(*row) for row in await _rows(session, query)]
    primary = max(words, key=len)
    others = [w for w in words if w is not primary]
    dialect = _dialect(session)
    query = _tenant_query(dialect, len(others), limit)
    found: dict[str, TenantHit] = {}
    for row in await _rows(session, query, _word_params(primary, others, dialect)):
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


async def distinct_licenses(session: Reader, *, of_subscriptions: bool) -> list[LicenseHit]:
    """Every license id with its name, by a loose scan of the license_id index (one index
    probe per distinct license, not one row per subscription)."""
    key = (_url(session), of_subscriptions)
    cached = _licenses.get(key)
    if cached is not None and time.monotonic() - cached[0] < LICENSES_TTL_SECONDS:
        return cached[1]
    hits = await _distinct_licenses(session, of_subscriptions=of_subscriptions)
    _licenses[key] = (time.monotonic(), hits)
    return hits


async def _distinct_licenses(session: Reader, *, of_subscriptions: bool) -> list[LicenseHit]:
    if of_subscriptions:
        sql = _DISTINCT_LICENSES.format(table="subscriptions", name="license_name", kind="''")
    else:
        kind = "(SELECT t.licence_type FROM licenses t WHERE t.license_id = ids.license_id LIMIT 1)"
        sql = _DISTINCT_LICENSES.format(table="licenses", name="name", kind=kind)
    rows = await _rows(session, text(sql))
    return [LicenseHit(int(lid), name or "", kind or "") for lid, name, kind in rows]


async def license_candidates(
    session: Reader, service_name: str | None, *, orderable_only: bool
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


def _id_prefixes(digits: int) -> list:
    """`id` starts with a number of `digits` digits and is longer: one primary-key range
    `id_lo<k> <= id < id_hi<k>` for each extra digit k (ids up to 18 digits). Each range is a
    part of its own, stopped at the LIMIT: PostgreSQL answers their OR with a bitmap of every
    matching row first (10,000 rows for a 3-digit prefix of 7-digit ids: 25 ms)."""
    return [
        and_(
            SubscriptionRow.id >= bindparam(f"id_lo{k}"),
            SubscriptionRow.id < bindparam(f"id_hi{k}"),
        )
        for k in range(1, _ID_DIGITS - digits)
    ]


def _id_params(word: str) -> dict:
    n = int(word)
    params: dict = {"id": n}
    for k in range(1, _ID_DIGITS - len(word)):
        params[f"id_lo{k}"], params[f"id_hi{k}"] = n * 10**k, (n + 1) * 10**k
    return params


@functools.lru_cache(maxsize=256)
def _subscription_phases(
    dialect: str, digits: int, licenses_by_tier: tuple[bool, ...], others: int, limit: int
) -> tuple:
    """The two reads of `subscription_candidates`, for one shape of query."""
    extra = _others(SubscriptionRow.search_text, others)
    phases: tuple[list, list] = ([], [])
    if digits:
        phases[0].append(_hits_query().where(SubscriptionRow.id == bindparam("id"), *extra))
        phases[0].extend(_hits_query().where(ids, *extra) for ids in _id_prefixes(digits))
    group_tiers = _tier_conditions(TenantRow.search_text, dialect)
    tiers = zip(group_tiers, licenses_by_tier, strict=True)
    for tier, (matches_group, has_licenses) in enumerate(tiers):
        phase = phases[0 if tier == 0 else 1]
        phase.append(_hits_by_group().where(matches_group, *extra))
        if has_licenses:
            licenses = bindparam(f"licenses{tier}", expanding=True)
            phase.append(_hits_query().where(SubscriptionRow.license_id.in_(licenses), *extra))
    return tuple(_best_of_each(phase, limit) for phase in phases)


async def subscription_candidates(
    session: Reader,
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
    others = [w for w in words if w is not primary]
    dialect = _dialect(session)
    params = _word_params(primary, others, dialect)
    digits = len(primary) if primary.isdigit() and len(primary) < _ID_DIGITS else 0
    if digits:
        params.update(_id_params(primary))
    tiers = [[], [], []]
    for lic in await distinct_licenses(session, of_subscriptions=True):
        tier = text_tier(primary, normalize(lic.name))
        if tier is not None:
            tiers[tier - PREFIX].append(lic.id)
    for tier, ids in enumerate(tiers):
        if ids:
            params[f"licenses{tier}"] = ids
    phases = _subscription_phases(dialect, digits, tuple(map(bool, tiers)), len(others), limit)
    found: dict[int, SubscriptionHit] = {}
    for query in phases:
        for row in await _rows(session, query, params):
            found.setdefault(row[0], SubscriptionHit(*row))
        if len(found) >= limit:
            break
    return list(found.values())


async def subscription_count(session: Reader) -> int:
    return (await session.execute(select(func.count(SubscriptionRow.id)))).scalar_one()
