"""SQL for requests scheduled for the renewal (their day-before reminder) and the daily digest's
once-a-day claim. Callers own the transaction; every claim is a conditional write, so two
replicas never both send."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import affected
from store.models import DigestRow, RequestRow, SeatBatchRow, SubscriptionRow, TenantRow


async def scheduled_before(session: AsyncSession, until: datetime, *,
                           unreminded: bool = False, limit: int = 200) -> list[RequestRow]:
    """Requests scheduled to run at or before `until`, soonest first (`unreminded`: only those
    whose requester was not reminded yet)."""
    query = select(RequestRow).where(RequestRow.state == "scheduled", RequestRow.run_at <= until)
    if unreminded:
        query = query.where(RequestRow.reminded_at.is_(None))
    query = query.order_by(RequestRow.run_at, RequestRow.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def claim_scheduled_reminder(session: AsyncSession, request_id: int, now: datetime) -> bool:
    """Marks the requester's reminder as given; False when somebody gave it already, or the
    request is no longer scheduled. A reminder is not a change of the request: `updated_at`
    stays."""
    result = await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, RequestRow.state == "scheduled",
               RequestRow.reminded_at.is_(None))
        .values(reminded_at=now, updated_at=RequestRow.updated_at)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


async def release_scheduled_reminder(session: AsyncSession, request_id: int) -> None:
    """Slack refused the reminder: the next round tries again."""
    await session.execute(
        update(RequestRow).where(RequestRow.id == request_id)
        .values(reminded_at=None, updated_at=RequestRow.updated_at)
        .execution_options(synchronize_session=False)
    )


async def claim_digest(session: AsyncSession, day: date, owner: str, now: datetime) -> bool:
    """Takes the digest of `day`; False when another replica took it (the primary key decides)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(DigestRow).values(day=day, owner=owner, claimed_at=now).on_conflict_do_nothing()
    )
    return affected(result) == 1


async def digest_sent(session: AsyncSession, day: date, now: datetime) -> None:
    await session.execute(update(DigestRow).where(DigestRow.day == day).values(sent_at=now))


async def release_digest(session: AsyncSession, day: date, owner: str) -> None:
    """Nothing was posted (Slack refused): the next round of any replica tries again."""
    await session.execute(delete(DigestRow).where(DigestRow.day == day, DigestRow.owner == owner,
                                                  DigestRow.sent_at.is_(None)))


async def seat_batches_since(session: AsyncSession, since: datetime
                             ) -> list[tuple[Any, ...]]:
    """Seats added at or after `since`, with where they are: (batch, subscription, group's
    display name), oldest first."""
    query = (
        select(SeatBatchRow, SubscriptionRow, TenantRow.display_name)
        .join(SubscriptionRow, SubscriptionRow.id == SeatBatchRow.subscription_id)
        .join(TenantRow, TenantRow.service_name == SubscriptionRow.service_name)
        .where(SeatBatchRow.added_at >= since)
        .order_by(SeatBatchRow.added_at, SeatBatchRow.id)
    )
    return [tuple(row) for row in await session.execute(query)]


async def requesters_of(session: AsyncSession, request_ids: list[int]) -> dict[int, str]:
    if not request_ids:
        return {}
    query = select(RequestRow.id, RequestRow.requester).where(RequestRow.id.in_(request_ids))
    return {rid: who for rid, who in await session.execute(query)}


async def scheduled_past_deadline(session: AsyncSession, now: datetime, *, limit: int = 200
                                  ) -> list[RequestRow]:
    """Scheduled requests whose window closed before they were sent."""
    query = (select(RequestRow)
             .where(RequestRow.state == "scheduled", RequestRow.deadline.is_not(None),
                    RequestRow.deadline <= now)
             .order_by(RequestRow.deadline, RequestRow.id).limit(limit))
    return list((await session.execute(query)).scalars())
