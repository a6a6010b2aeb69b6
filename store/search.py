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

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import LicenseRow, SubscriptionRow, TenantRow

#: Tiers of a match, best first (the same numbers as bot.typeahead).
EXACT, PREFIX, WORD, SUBSTRING = 0, 1, 2, 3
_ID_DIGITS = 19  # BIGINT


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


@dataclass(frozen=True)
class TenantHit:
    service_name: str
    display_name: str | None
    status: str


@dataclass(frozen=True)
class LicenseHit:
    id: int
    name: str
    licence_type: str


# --- tenants ---------------------------------------------------------------------------------


def _tier_case(column, word: str):
    return case(
        (column.startswith(word, autoescape=True), literal(PREFIX)),
        (column.contains(" " + word, autoescape=True), literal(WORD)),
        else_=literal(SUBSTRING),
    )


async def tenant_candidates(
    session: AsyncSession, words: Sequence[str], *, limit: int = 300
) -> list[TenantHit]:
    """License groups containing every word, best tier of the longest word first."""
    query = select(TenantRow.service_name, TenantRow.display_name, TenantRow.status)
    if words:
        primary = max(words, key=len)
        for word in words:
            query = query.where(TenantRow.search_text.contains(word, autoescape=True))
        query = query.order_by(_tier_case(TenantRow.search_text, primary))
    query = query.order_by(TenantRow.search_text).limit(limit)
    return [TenantHit(*row) for row in (await session.execute(query)).all()]


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


async def distinct_licenses(session: AsyncSession, *, of_subscriptions: bool) -> list[LicenseHit]:
    """Every license id with its name, by a loose scan of the license_id index (one index
    probe per distinct license, not one row per subscription)."""
    if of_subscriptions:
        sql = _DISTINCT_LICENSES.format(table="subscriptions", name="license_name", kind="''")
    else:
        kind = "(SELECT t.licence_type FROM licenses t WHERE t.license_id = ids.license_id LIMIT 1)"
        sql = _DISTINCT_LICENSES.format(table="licenses", name="name", kind=kind)
    rows = (await session.execute(text(sql))).all()
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
    return [LicenseHit(*row) for row in (await session.execute(query)).all()]


# --- subscriptions ---------------------------------------------------------------------------


def _hits_query():
    return select(
        SubscriptionRow.id,
        SubscriptionRow.service_name,
        SubscriptionRow.license_id,
        SubscriptionRow.license_name,
        SubscriptionRow.quantity,
        SubscriptionRow.status,
        TenantRow.display_name,
    ).join(TenantRow, TenantRow.service_name == SubscriptionRow.service_name)


def _id_prefix(word: str):
    """`id` starts with the digits of `word`, as primary-key ranges (no scan)."""
    n = int(word)
    ranges = [SubscriptionRow.id == n]
    for extra in range(1, _ID_DIGITS - len(word) + 1):
        low, high = n * 10**extra, (n + 1) * 10**extra
        if low >= 2**63:
            break
        ranges.append(and_(SubscriptionRow.id >= low, SubscriptionRow.id < min(high, 2**63)))
    return or_(*ranges)


async def subscription_candidates(
    session: AsyncSession,
    words: Sequence[str],
    *,
    service_name: str | None = None,
    limit: int = 100,
) -> list[SubscriptionHit]:
    """Subscriptions that may match every word; at most about 3 × `limit`, best tiers first."""
    if service_name is not None:  # one group: a few hundred rows at most, ranked in Python
        query = _hits_query().where(SubscriptionRow.service_name == service_name)
        for word in words:
            query = query.where(SubscriptionRow.search_text.contains(word, autoescape=True))
        rows = (await session.execute(query.order_by(SubscriptionRow.id).limit(2000))).all()
        return [SubscriptionHit(*r) for r in rows]
    if not words:
        rows = await session.execute(_hits_query().order_by(SubscriptionRow.id).limit(limit))
        return [SubscriptionHit(*r) for r in rows.all()]

    primary = max(words, key=len)
    others = [w for w in words if w is not primary]
    found: dict[int, SubscriptionHit] = {}

    async def collect(condition) -> None:
        query = _hits_query().where(condition)
        for word in others:
            query = query.where(SubscriptionRow.search_text.contains(word, autoescape=True))
        if found:
            query = query.where(SubscriptionRow.id.not_in(list(found)))
        for row in (await session.execute(query.limit(limit))).all():
            found.setdefault(row[0], SubscriptionHit(*row))

    if primary.isdigit() and len(primary) < _ID_DIGITS:
        await collect(_id_prefix(primary))

    groups = await tenant_candidates(session, [primary], limit=200)
    group_tiers = {g.service_name: text_tier(primary, _group_text(g)) for g in groups}
    licenses = await distinct_licenses(session, of_subscriptions=True)
    license_tiers = {lic.id: text_tier(primary, normalize(lic.name)) for lic in licenses}
    for tier in (PREFIX, WORD, SUBSTRING):
        if len(found) >= limit:
            break
        names = [sn for sn, t in group_tiers.items() if t == tier]
        ids = [lid for lid, t in license_tiers.items() if t == tier]
        if names or ids:
            await collect(
                or_(
                    SubscriptionRow.service_name.in_(names) if names else False,
                    SubscriptionRow.license_id.in_(ids) if ids else False,
                )
            )
    return list(found.values())


def _group_text(group: TenantHit) -> str:
    return tenant_search_text(group.display_name, group.service_name)


async def subscription_count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count(SubscriptionRow.id)))).scalar_one()
