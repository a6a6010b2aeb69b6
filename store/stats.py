"""Read-only figures for the metrics endpoint: requests by kind and state, the worker's queue,
and how fresh each license group's cache is.

Each is one aggregate query, cheap at scrape time: the per-request lookups go through the
audit trail's request index and only for requests still waiting (queued, running or awaiting a
decision), never over the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEventRow, RequestRow, TenantRow


@dataclass(frozen=True)
class Waiting:
    """The worker's queue and the decisions people owe, at one instant."""

    due: int  # queued and due: what the worker should take now
    deferred: int  # queued to retry a transient failure later
    oldest_due: datetime | None  # since when the oldest due request has been waiting
    oldest_running: datetime | None  # when the request running longest entered `running`
    oldest_awaiting: datetime | None  # when the oldest request awaiting approval got there


@dataclass(frozen=True)
class GroupFreshness:
    service_name: str
    synced_at: datetime | None
    failing: bool


async def request_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(kind, state, how many) for every pair that exists."""
    query = select(RequestRow.kind, RequestRow.state, func.count()).group_by(
        RequestRow.kind, RequestRow.state
    )
    return [(kind, state, int(n)) for kind, state, n in (await session.execute(query)).all()]


def _entered(state: str) -> ColumnElement[datetime]:
    """When the request of the outer row last moved into `state` (its audit event), or when
    it was created when the trail has no such move."""
    moved = (
        select(func.max(AuditEventRow.created_at))
        .where(
            AuditEventRow.request_id == RequestRow.id,
            AuditEventRow.action == "transition",
            AuditEventRow.after_state == state,
        )
        .correlate(RequestRow)
        .scalar_subquery()
    )
    return func.coalesce(moved, RequestRow.created_at)


async def waiting(session: AsyncSession, now: datetime) -> Waiting:
    due = or_(RequestRow.next_attempt_at.is_(None), RequestRow.next_attempt_at <= now)
    queued = RequestRow.state == "queued"
    counts = select(
        func.count().filter(and_(queued, due)),
        func.count().filter(and_(queued, ~due)),
    )
    n_due, n_deferred = (await session.execute(counts)).one()

    entered = _entered("queued")
    # a retried request is due from its retry time, a fresh one from when it was queued
    due_since = case(
        (RequestRow.next_attempt_at > entered, RequestRow.next_attempt_at), else_=entered
    )
    oldest_due = await session.scalar(select(func.min(due_since)).where(queued, due))
    oldest_running = await session.scalar(
        select(func.min(_entered("running"))).where(RequestRow.state == "running")
    )
    oldest_awaiting = await session.scalar(
        select(func.min(_entered("awaiting_approval"))).where(
            RequestRow.state == "awaiting_approval"
        )
    )
    return Waiting(
        int(n_due or 0),
        int(n_deferred or 0),
        _utc(oldest_due),
        _utc(oldest_running),
        _utc(oldest_awaiting),
    )


async def group_freshness(session: AsyncSession) -> list[GroupFreshness]:
    """Every cached license group: when it was last read whole, and whether the last try
    failed."""
    query = select(TenantRow.service_name, TenantRow.synced_at, TenantRow.sync_error)
    rows = (await session.execute(query.order_by(TenantRow.service_name))).all()
    return [GroupFreshness(sn, _utc(at), error is not None) for sn, at, error in rows]


def _utc(value: datetime | str | None) -> datetime | None:
    """A UTC datetime whatever the backend gave for an aggregate (SQLite: maybe a string)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
