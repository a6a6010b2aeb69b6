"""Typeahead of the software forms, from the cache: customers and catalogue offers, ranked as
every other typeahead (`bot.cache.typeahead.rank`), labels escaped and cut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Option

from bot.cache.typeahead import MAX_OPTIONS, Candidate, option, rank
from bot.software.catalogue import CatalogueItem
from store import software as repo
from store.search import normalize

if TYPE_CHECKING:
    from bot.app.runtime import Runtime


async def customer_options(runtime: Runtime, query: str) -> list[Option]:
    async with runtime.db.session() as session:
        rows = await repo.customers(session, limit=1000)
    candidates = [
        Candidate(value=r.customer_id, label=f"{r.name} — {r.domain or r.customer_id}",
                  key=r.customer_id.lower(), texts=(r.search_text or normalize(r.name),))
        for r in rows
    ]
    return [option(c) for c in rank(query, candidates, MAX_OPTIONS)]


async def offer_options(runtime: Runtime, query: str) -> list[Option]:
    async with runtime.db.session() as session:
        items = [CatalogueItem.of(r) for r in await repo.products(session)]
    candidates = [
        Candidate(value=offer.value, label=item.label(offer), key=item.product_id.lower(),
                  texts=(normalize(f"{item.product_title} {item.sku_title} {offer.term or ''} "
                                   f"{offer.billing_cycle}"),))
        for item in items for offer in item.offers()
    ]
    return [option(c) for c in rank(query, candidates, MAX_OPTIONS)]


async def customer_option(runtime: Runtime, customer_id: str) -> Option | None:
    async with runtime.db.session() as session:
        row = await repo.get_customer(session, customer_id)
    if row is None:
        return None
    return option(Candidate(row.customer_id, f"{row.name} — {row.domain or row.customer_id}",
                            row.customer_id, ()))
