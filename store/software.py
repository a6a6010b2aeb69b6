"""The software cache's SQL: Partner Center customers, the software catalogue, and purchases.

Sync writes what Partner Center shows; the columns that are ours (`bought_by`, `request_id`,
`reminded_at`) are never overwritten by a sync. Reminders are claimed with a conditional update,
so each purchase's reminder goes out once, whatever the number of replicas.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import affected
from store.models import (
    Base,
    SoftwareCustomerRow,
    SoftwareProductRow,
    SoftwarePurchaseRow,
    utcnow,
)

R = TypeVar("R", bound=Base)

#: Columns of a purchase that only the bot sets; a sync leaves them as they are.
OURS = frozenset({"bought_by", "request_id", "reminded_at"})


async def _upsert(session: AsyncSession, model: type[R], key: tuple[Any, ...],
                  values: dict[str, Any]) -> R:
    """One INSERT … ON CONFLICT DO UPDATE: two replicas syncing at once both succeed (a read
    then an insert lets the second fail on the primary key)."""
    table = cast(Table, model.__table__)  # a declarative class maps to a Table
    keys = [c.name for c in table.primary_key.columns]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(**values)
    changed = {k: v for k, v in values.items() if k not in keys}
    statement = (statement.on_conflict_do_update(index_elements=keys, set_=changed) if changed
                 else statement.on_conflict_do_nothing(index_elements=keys))
    await session.execute(statement)
    row = await session.get(model, key, populate_existing=True)
    if row is None:  # never: the statement above wrote it
        raise LookupError(f"{model.__name__} {key} is not there after its upsert")
    return row


async def put_customer(session: AsyncSession, **values: Any) -> SoftwareCustomerRow:
    values.setdefault("synced_at", utcnow())
    return await _upsert(session, SoftwareCustomerRow, (values["customer_id"],), values)


async def put_product(session: AsyncSession, **values: Any) -> SoftwareProductRow:
    values.setdefault("synced_at", utcnow())
    key = (values["product_id"], values["sku_id"])
    return await _upsert(session, SoftwareProductRow, key, values)


async def put_purchase(session: AsyncSession, *, ours: bool = False, **values: Any
                       ) -> SoftwarePurchaseRow:
    """Inserts or refreshes one order line. A sync (`ours` False) never writes OURS columns;
    the worker, recording a purchase it made, does."""
    if not ours:
        values = {k: v for k, v in values.items() if k not in OURS}
    values.setdefault("synced_at", utcnow())
    key = (values["customer_id"], values["order_id"], values["line_number"])
    return await _upsert(session, SoftwarePurchaseRow, key, values)


async def get_customer(session: AsyncSession, customer_id: str) -> SoftwareCustomerRow | None:
    return await session.get(SoftwareCustomerRow, customer_id)


async def customers(session: AsyncSession, words: Sequence[str] = (), limit: int = 100
                    ) -> list[SoftwareCustomerRow]:
    """Customers whose search text contains every word (normalised by the caller)."""
    query = select(SoftwareCustomerRow)
    for word in words:
        query = query.where(SoftwareCustomerRow.search_text.contains(word, autoescape=True))
    query = query.order_by(SoftwareCustomerRow.name, SoftwareCustomerRow.customer_id).limit(limit)
    return list((await session.execute(query)).scalars())


async def products(session: AsyncSession) -> list[SoftwareProductRow]:
    query = select(SoftwareProductRow).order_by(
        SoftwareProductRow.product_title, SoftwareProductRow.sku_title
    )
    return list((await session.execute(query)).scalars())


async def get_product(session: AsyncSession, product_id: str, sku_id: str
                      ) -> SoftwareProductRow | None:
    return await session.get(SoftwareProductRow, (product_id, sku_id))


async def purchases_of(session: AsyncSession, customer_id: str) -> list[SoftwarePurchaseRow]:
    query = (
        select(SoftwarePurchaseRow)
        .where(SoftwarePurchaseRow.customer_id == customer_id)
        .order_by(SoftwarePurchaseRow.purchased_at.desc(), SoftwarePurchaseRow.order_id,
                  SoftwarePurchaseRow.line_number)
    )
    return list((await session.execute(query)).scalars())


async def get_purchase(session: AsyncSession, customer_id: str, order_id: str, line_number: int
                       ) -> SoftwarePurchaseRow | None:
    return await session.get(SoftwarePurchaseRow, (customer_id, order_id, line_number))


async def purchases_of_order(session: AsyncSession, order_id: str) -> list[SoftwarePurchaseRow]:
    query = (
        select(SoftwarePurchaseRow)
        .where(SoftwarePurchaseRow.order_id == order_id)
        .order_by(SoftwarePurchaseRow.line_number)
    )
    return list((await session.execute(query)).scalars())


async def bought_by(session: AsyncSession, user_id: str, limit: int = 5
                    ) -> list[SoftwarePurchaseRow]:
    """What `user_id` bought through the bot, newest first."""
    query = (
        select(SoftwarePurchaseRow)
        .where(SoftwarePurchaseRow.bought_by == user_id)
        .order_by(SoftwarePurchaseRow.purchased_at.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def due_reminders(session: AsyncSession, now: datetime, until: datetime
                        ) -> list[SoftwarePurchaseRow]:
    """Purchases bought through the bot whose window closes between `now` and `until`, still
    held (quantity above 0) and not reminded yet."""
    query = select(SoftwarePurchaseRow).where(
        SoftwarePurchaseRow.cancellable_until > now,
        SoftwarePurchaseRow.cancellable_until <= until,
        SoftwarePurchaseRow.reminded_at.is_(None),
        SoftwarePurchaseRow.bought_by.is_not(None),
        SoftwarePurchaseRow.quantity > 0,
    )
    return list((await session.execute(query)).scalars())


async def claim_reminder(session: AsyncSession, row: SoftwarePurchaseRow, now: datetime) -> bool:
    """Marks the reminder sent; False when another process did first."""
    result = await session.execute(
        update(SoftwarePurchaseRow)
        .where(
            SoftwarePurchaseRow.customer_id == row.customer_id,
            SoftwarePurchaseRow.order_id == row.order_id,
            SoftwarePurchaseRow.line_number == row.line_number,
            SoftwarePurchaseRow.reminded_at.is_(None),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1
