"""SQL for drafts: reviewed forms waiting for their Confirm. Callers own the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import affected
from store.models import AuditEventRow, DraftRow, RequestRow


async def insert_draft(session: AsyncSession, **fields: Any) -> DraftRow:
    row = DraftRow(**fields)
    session.add(row)
    await session.flush()
    return row


async def get_draft(session: AsyncSession, draft_id: int) -> DraftRow | None:
    return (
        await session.execute(select(DraftRow).where(DraftRow.id == draft_id))
    ).scalar_one_or_none()


async def claim_draft(session: AsyncSession, draft_id: int, now: datetime) -> bool:
    """Takes the one Confirm of a draft; False when another Confirm already took it.

    The update comes first in the confirming transaction, so a losing Confirm inserts nothing
    and takes no request number (PostgreSQL's sequences do not roll back).
    """
    result = await session.execute(
        update(DraftRow)
        .where(DraftRow.id == draft_id, DraftRow.confirmed_at.is_(None))
        .values(confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


async def link_request(session: AsyncSession, draft_id: int, request_id: int) -> None:
    await session.execute(
        update(DraftRow)
        .where(DraftRow.id == draft_id)
        .values(request_id=request_id)
        .execution_options(synchronize_session=False)
    )


async def delete_drafts_before(session: AsyncSession, before: datetime) -> int:
    """Forgets drafts made before `before`, confirmed or not; returns how many."""
    result = await session.execute(
        delete(DraftRow).where(DraftRow.created_at < before).execution_options(
            synchronize_session=False
        )
    )
    return affected(result)


async def delete_request_drafts_before(session: AsyncSession, before: datetime) -> int:
    """Requests left in `draft` by versions that kept drafts among the requests: deleted with
    their audit events (their steps and reminders follow by cascade)."""
    stale = select(RequestRow.id).where(
        RequestRow.state == "draft", RequestRow.created_at < before
    )
    await session.execute(
        delete(AuditEventRow)
        .where(AuditEventRow.request_id.in_(stale))
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        delete(RequestRow)
        .where(RequestRow.state == "draft", RequestRow.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return affected(result)
