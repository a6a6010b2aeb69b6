"""SQL for requests, their steps and the audit trail. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.i18n import Said
from store.db import affected
from store.models import (
    AuditEventRow,
    ReminderRow,
    RequestRow,
    RequestStepRow,
    SubscriptionRow,
    utcnow,
)


async def insert_request(session: AsyncSession, **fields: Any) -> RequestRow:
    row = RequestRow(**fields)
    session.add(row)
    await session.flush()
    return row


async def insert_steps(
    session: AsyncSession, request_id: int, steps: Sequence[tuple[str, dict[str, Any]]]
) -> list[RequestStepRow]:
    rows = [
        RequestStepRow(
            request_id=request_id, seq=seq, action=action, params=params, state="pending"
        )
        for seq, (action, params) in enumerate(steps, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def get_request(
    session: AsyncSession, request_id: int, *, for_update: bool = False
) -> RequestRow | None:
    query = select(RequestRow).where(RequestRow.id == request_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def kind_and_state(session: AsyncSession, request_id: int) -> tuple[str, str] | None:
    row = (
        await session.execute(
            select(RequestRow.kind, RequestRow.state).where(RequestRow.id == request_id)
        )
    ).one_or_none()
    return None if row is None else (row.kind, row.state)


async def update_state(
    session: AsyncSession, request_id: int, expected: str, new: str, values: dict[str, Any]
) -> RequestRow | None:
    """The conditional update: changes the row only if it is still in `expected`."""
    result = await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, RequestRow.state == expected)
        .values(state=new, updated_at=utcnow(), **values)
        .returning(RequestRow)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return result.scalar_one_or_none()


async def update_fields(
    session: AsyncSession, request_id: int, values: dict[str, Any], *, where: Any = None
) -> bool:
    """A conditional update of columns other than the state (card ts, lease, assignee …)."""
    query = update(RequestRow).where(RequestRow.id == request_id)
    if where is not None:
        query = query.where(where)
    result = await session.execute(
        query.values(updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    )
    return affected(result) == 1


#: Where an audit event keeps its note's source text and values (`bot.core.i18n.Said`), so the
#: trail says the note again in each reader's language.
NOTE_SAID = "note_said"


async def add_audit(session: AsyncSession, **fields: Any) -> AuditEventRow:
    note = fields.get("note")
    if isinstance(note, Said):
        fields["data"] = {**(fields.get("data") or {}), NOTE_SAID: note.stored()}
        fields["note"] = str(note)
    row = AuditEventRow(**fields)
    session.add(row)
    await session.flush()
    return row


async def get_steps(session: AsyncSession, request_id: int) -> list[RequestStepRow]:
    query = (
        select(RequestStepRow)
        .where(RequestStepRow.request_id == request_id)
        .order_by(RequestStepRow.seq)
    )
    return list((await session.execute(query)).scalars())


async def update_step(
    session: AsyncSession, step_id: int, expected: Collection[str], values: dict[str, Any]
) -> bool:
    """Moves a step only if it is still in one of `expected`; False if someone else did. The
    SQL of `bot.pipeline.transitions.move_step`, which checks the move against the table of step
    moves."""
    result = await session.execute(
        update(RequestStepRow)
        .where(RequestStepRow.id == step_id, RequestStepRow.state.in_(list(expected)))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


async def requests_in_states(
    session: AsyncSession,
    states: Collection[str],
    *,
    kinds: Collection[str] | None = None,
    requester: str | None = None,
    subscription_id: int | None = None,
    tenant: str | None = None,
    limit: int = 50,
) -> list[RequestRow]:
    query = select(RequestRow).where(RequestRow.state.in_(list(states)))
    if kinds is not None:
        query = query.where(RequestRow.kind.in_(list(kinds)))
    if requester is not None:
        query = query.where(RequestRow.requester == requester)
    if tenant is not None:
        query = query.where(RequestRow.tenant == tenant)
    if subscription_id is not None:
        query = query.where(RequestRow.subscription_id == subscription_id)
    query = query.order_by(RequestRow.updated_at.desc(), RequestRow.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def recent_requests(
    session: AsyncSession, *, requester: str | None = None, limit: int = 20
) -> list[RequestRow]:
    query = select(RequestRow).where(RequestRow.state != "draft")
    if requester is not None:
        query = query.where(RequestRow.requester == requester)
    query = query.order_by(RequestRow.created_at.desc(), RequestRow.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def audit_events(
    session: AsyncSession,
    *,
    request_id: int | None = None,
    subscription_id: int | None = None,
    since: datetime | None = None,
    limit: int | None = 200,
) -> list[AuditEventRow]:
    query = select(AuditEventRow)
    if request_id is not None:
        query = query.where(AuditEventRow.request_id == request_id)
    if subscription_id is not None:
        query = query.where(AuditEventRow.subscription_id == subscription_id)
    if since is not None:
        query = query.where(AuditEventRow.created_at >= since)
    query = query.order_by(AuditEventRow.created_at, AuditEventRow.id)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


# --- status and approval cards, deadlines, reminders, listings ------------------------------------

Q = TypeVar("Q", bound=Select[Any])

#: A card being posted: its ts column holds this prefix and the claim time until Slack answers.
CARD_CLAIM_PREFIX = "posting:"


def _card_columns(which: str
                  ) -> tuple[InstrumentedAttribute[str | None], InstrumentedAttribute[str | None]]:
    if which == "card":
        return RequestRow.card_channel, RequestRow.card_ts
    if which == "approval":
        return RequestRow.approval_channel, RequestRow.approval_ts
    raise ValueError(f"no card {which!r}")


def _shown_column(which: str) -> InstrumentedAttribute[datetime | None]:
    return RequestRow.card_shown_at if which == "card" else RequestRow.approval_shown_at


async def card_shown(session: AsyncSession, request_id: int, which: str, version: datetime) -> None:
    """Records that a card shows the request as of `version` (its `updated_at` then); never
    moves back to an older version when two renderings finish out of order."""
    shown = _shown_column(which)
    await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, or_(shown.is_(None), shown < version))
        .values({shown.key: version, "updated_at": RequestRow.updated_at})
        .execution_options(synchronize_session=False)
    )


async def claim_card(
    session: AsyncSession, request_id: int, which: str, marker: str, stale: Collection[str] = ()
) -> bool:
    """Takes the right to post a card: only one poster wins, on every replica.

    `stale` are earlier claims whose poster is presumed dead; they may be taken over.
    Card columns never touch `updated_at`: a card is not a change of the request.
    """
    _channel, ts = _card_columns(which)
    free = ts.is_(None) if not stale else or_(ts.is_(None), ts.in_(list(stale)))
    result = await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, free)
        .values({ts.key: marker, "updated_at": RequestRow.updated_at})
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


async def store_card(
    session: AsyncSession, request_id: int, which: str, marker: str, channel: str, ts_value: str
) -> bool:
    channel_col, ts = _card_columns(which)
    result = await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, ts == marker)
        .values({channel_col.key: channel, ts.key: ts_value, "updated_at": RequestRow.updated_at})
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


async def release_card(session: AsyncSession, request_id: int, which: str, marker: str) -> None:
    _channel, ts = _card_columns(which)
    await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, ts == marker)
        .values({ts.key: None, "updated_at": RequestRow.updated_at})
        .execution_options(synchronize_session=False)
    )


async def requests_missing_cards(
    session: AsyncSession, since: datetime, *, limit: int = 50
) -> list[RequestRow]:
    """Confirmed requests whose status card, or pending approval card, is not posted, or
    shows an older version of the request than the database has (Slack refused an update)."""
    def unposted(ts: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
        return or_(ts.is_(None), ts.like(CARD_CLAIM_PREFIX + "%"))

    def behind(which: str) -> ColumnElement[bool]:
        shown = _shown_column(which)
        _channel, ts = _card_columns(which)
        return and_(
            ts.is_not(None),
            ts.not_like(CARD_CLAIM_PREFIX + "%"),
            or_(shown.is_(None), shown < RequestRow.updated_at),
        )

    query = (
        select(RequestRow)
        .where(
            RequestRow.state != "draft",
            RequestRow.updated_at >= since,
            or_(
                unposted(RequestRow.card_ts),
                and_(
                    RequestRow.state == "awaiting_approval",
                    unposted(RequestRow.approval_ts),
                ),
                behind("card"),
                behind("approval"),
            ),
        )
        .order_by(RequestRow.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def awaiting_with_deadline_before(
    session: AsyncSession, until: datetime, *, limit: int = 200
) -> list[RequestRow]:
    """Requests waiting for a decision whose deadline is at or before `until`."""
    query = (
        select(RequestRow)
        .where(
            RequestRow.state == "awaiting_approval",
            RequestRow.deadline.is_not(None),
            RequestRow.deadline <= until,
        )
        .order_by(RequestRow.deadline, RequestRow.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def claim_reminder(
    session: AsyncSession, request_id: int, hours_before: int, sent_at: datetime
) -> bool:
    """Records a reminder as sent; False when it already was (the primary key decides)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(ReminderRow)
        .values(request_id=request_id, hours_before=hours_before, sent_at=sent_at)
        .on_conflict_do_nothing()
    )
    return affected(result) == 1


async def release_reminder(session: AsyncSession, request_id: int, hours_before: int) -> None:
    await session.execute(
        delete(ReminderRow).where(
            ReminderRow.request_id == request_id, ReminderRow.hours_before == hours_before
        )
    )


async def awaiting_decision(
    session: AsyncSession, *, exclude_requester: str | None = None, limit: int = 20
) -> list[RequestRow]:
    """Requests waiting for a decision, soonest deadline first, none of `exclude_requester`."""
    query = select(RequestRow).where(RequestRow.state == "awaiting_approval")
    if exclude_requester is not None:
        query = query.where(RequestRow.requester != exclude_requester)
    query = query.order_by(
        RequestRow.deadline.is_(None), RequestRow.deadline, RequestRow.id
    ).limit(limit)
    return list((await session.execute(query)).scalars())


async def last_transition_to(
    session: AsyncSession, request_id: int, state: str
) -> AuditEventRow | None:
    """The latest move of a request into `state` (to tell what just happened to it)."""
    query = (
        select(AuditEventRow)
        .where(
            AuditEventRow.request_id == request_id,
            AuditEventRow.action == "transition",
            AuditEventRow.after_state == state,
        )
        .order_by(AuditEventRow.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


def _audit_filter(query: Q, request_id: int | None, subscription_id: int | None) -> Q:
    if request_id is not None:
        query = query.where(AuditEventRow.request_id == request_id)
    if subscription_id is not None:
        query = query.where(AuditEventRow.subscription_id == subscription_id)
    return query


async def count_audit_events(
    session: AsyncSession, *, request_id: int | None = None, subscription_id: int | None = None
) -> int:
    query = _audit_filter(select(func.count(AuditEventRow.id)), request_id, subscription_id)
    return int((await session.execute(query)).scalar_one())


async def audit_events_page(
    session: AsyncSession,
    *,
    request_id: int | None = None,
    subscription_id: int | None = None,
    offset: int = 0,
    limit: int = 20,
) -> list[AuditEventRow]:
    query = _audit_filter(select(AuditEventRow), request_id, subscription_id)
    query = query.order_by(AuditEventRow.created_at, AuditEventRow.id).offset(offset).limit(limit)
    return list((await session.execute(query)).scalars())


async def claim_assignee(session: AsyncSession, request_id: int, assignee: str) -> bool:
    """Takes a refund ticket: only while nobody has it."""
    result = await session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, RequestRow.assignee.is_(None))
        .values(assignee=assignee, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


#: Request states whose steps are confirmed but may not have reached the cache yet.
IN_FLIGHT_STATES = ("queued", "awaiting_approval", "running", "needs_attention")
#: Step states whose seats are still on their way (a done step is in the cache once the tenant
#: is refreshed, which the worker does before the request settles; a failed one added nothing).
_SEATS_PENDING_STEPS = ("pending", "sending", "running", "unknown")


async def in_flight_seats(session: AsyncSession, tenant: str) -> dict[int, int]:
    """Seats per license id that confirmed, unfinished requests of `tenant` will add.

    An OVHcloud license `limit` caps a group's seats of that license, and the cache knows only
    what the provider already has: two orders confirmed one after the other could together pass
    the limit, and the provider would refuse the second at execution time. New subscriptions and
    add-ons count their quantity; a seat change counts its increase, for the license of its
    subscription (from the cache)."""
    query = (
        select(
            RequestStepRow.action,
            RequestStepRow.params,
            SubscriptionRow.license_id,
        )
        .join(RequestRow, RequestRow.id == RequestStepRow.request_id)
        .outerjoin(SubscriptionRow, SubscriptionRow.id == RequestRow.subscription_id)
        .where(
            RequestRow.tenant == tenant,
            RequestRow.state.in_(IN_FLIGHT_STATES),
            RequestStepRow.state.in_(_SEATS_PENDING_STEPS),
            RequestStepRow.action.in_(("add_subscription", "order_addon", "change_quantity")),
        )
    )
    seats: dict[int, int] = {}
    for action, params, subscription_license in await session.execute(query):
        params = params or {}
        if action == "change_quantity":
            license_id = subscription_license
            added = int(params.get("quantity", 0)) - int(params.get("previous_quantity", 0))
        else:
            license_id = params.get("license_id")
            added = int(params.get("quantity", 0))
        if license_id is None or added <= 0:
            continue
        seats[int(license_id)] = seats.get(int(license_id), 0) + added
    return seats


async def last_ordered_mpn_id(session: AsyncSession) -> str | None:
    """The MPN ID of the latest new license group ordered (a confirmed request's step)."""
    query = (
        select(RequestStepRow.params)
        .where(RequestStepRow.action == "order_tenant")
        .order_by(RequestStepRow.id.desc())
        .limit(1)
    )
    params = (await session.execute(query)).scalar_one_or_none() or {}
    mpn_id = (params.get("order") or {}).get("mpn_id")
    return str(mpn_id) if mpn_id else None
