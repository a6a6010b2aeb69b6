"""SQL for worker leases: which requests a worker may claim, and taking, renewing and letting
go of the lease on one (docs/pipeline.md, "Leases and heartbeats"). Callers own the
transaction. A lease is not a change of the request: none of these touches `updated_at`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import affected
from store.models import RequestRow


def _lease_free(now: datetime, dead_owners: Collection[str] = ()) -> ColumnElement[bool]:
    """A lease nobody holds: none, run out, or held by a worker known to be dead."""
    free = or_(RequestRow.lease_until.is_(None), RequestRow.lease_until < now)
    if dead_owners:
        free = or_(free, RequestRow.lease_owner.in_(list(dead_owners)))
    return free


async def claimable_ids(
    session: AsyncSession,
    now: datetime,
    *,
    skip_locked: bool,
    limit: int = 10,
    dead_owners: Collection[str] = (),
) -> list[int]:
    """Requests a worker may take: queued and due, scheduled and at their time (`run_at`), or
    running with a free lease (see `_lease_free`).

    On PostgreSQL the rows are locked with SKIP LOCKED, so several workers split the work
    instead of queueing behind each other; the conditional update that follows decides.
    """
    due = or_(RequestRow.next_attempt_at.is_(None), RequestRow.next_attempt_at <= now)
    query = (
        select(RequestRow.id)
        .where(
            or_(
                and_(RequestRow.state == "queued", due, _lease_free(now)),
                and_(RequestRow.state == "scheduled", RequestRow.run_at <= now, _lease_free(now),
                     # its window closed before it could be sent: it expires, never goes late
                     or_(RequestRow.deadline.is_(None), RequestRow.deadline > now)),
                and_(RequestRow.state == "running", _lease_free(now, dead_owners)),
            )
        )
        .order_by(RequestRow.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


async def take_lease(
    session: AsyncSession,
    request_id: int,
    owner: str,
    until: datetime,
    now: datetime,
    *,
    dead_owners: Collection[str] = (),
) -> RequestRow | None:
    """Takes a `running` request whose lease is free, ran out (its worker died, or it let go
    until its next look) or is held by one of `dead_owners`. None when another worker holds
    it or it is no longer running."""
    result = await session.execute(
        update(RequestRow)
        .where(
            RequestRow.id == request_id,
            RequestRow.state == "running",
            _lease_free(now, dead_owners),
        )
        .values(lease_owner=owner, lease_until=until, updated_at=RequestRow.updated_at)
        .returning(RequestRow)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return result.scalar_one_or_none()


async def hold_lease(session: AsyncSession, request_id: int, owner: str, until: datetime) -> bool:
    """Extends `owner`'s lease; False when it lost the request (lease taken over, or the
    request left `running`). On PostgreSQL the update also locks the row until commit, so the
    rest of the caller's transaction cannot race a takeover."""
    result = await session.execute(
        update(RequestRow)
        .where(
            RequestRow.id == request_id,
            RequestRow.state == "running",
            RequestRow.lease_owner == owner,
        )
        .values(lease_until=until, updated_at=RequestRow.updated_at)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


async def renew_leases(
    session: AsyncSession, request_ids: Collection[int], owner: str, until: datetime
) -> set[int]:
    """The heartbeat: extends every lease of `owner` among `request_ids` in one statement;
    returns the ids renewed (the others were taken over or left `running`)."""
    result = await session.execute(
        update(RequestRow)
        .where(
            RequestRow.id.in_(list(request_ids)),
            RequestRow.state == "running",
            RequestRow.lease_owner == owner,
        )
        .values(lease_until=until, updated_at=RequestRow.updated_at)
        .returning(RequestRow.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


async def live_lease_owners(session: AsyncSession, now: datetime) -> set[str]:
    """Workers holding an unexpired lease on a running request."""
    query = (
        select(RequestRow.lease_owner)
        .where(
            RequestRow.state == "running",
            RequestRow.lease_owner.is_not(None),
            RequestRow.lease_until >= now,
        )
        .distinct()
    )
    # the query keeps only owned leases; the test is for the type checker
    return {owner for owner in (await session.execute(query)).scalars() if owner is not None}


async def release_lease(
    session: AsyncSession, request_id: int, owner: str, look_again_at: datetime
) -> bool:
    """Lets go of a `running` request until `look_again_at`; then any worker may take it."""
    result = await session.execute(
        update(RequestRow)
        .where(
            RequestRow.id == request_id,
            RequestRow.state == "running",
            RequestRow.lease_owner == owner,
        )
        .values(lease_owner=None, lease_until=look_again_at, updated_at=RequestRow.updated_at)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1
