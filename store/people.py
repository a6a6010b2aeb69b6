"""SQL for what people chose for themselves (their language)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import PersonLanguageRow, utcnow


async def chosen_language(session: AsyncSession, user_id: str) -> str | None:
    query = select(PersonLanguageRow.language).where(PersonLanguageRow.user_id == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def choose_language(session: AsyncSession, user_id: str, language: str | None) -> None:
    """`language` for `user_id` from now on; None forgets the choice."""
    await session.execute(delete(PersonLanguageRow).where(PersonLanguageRow.user_id == user_id))
    if language is not None:
        session.add(PersonLanguageRow(user_id=user_id, language=language, chosen_at=utcnow()))
        await session.flush()
