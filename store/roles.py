"""SQL for role grants."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import affected
from store.models import RoleGrantRow


async def granted_roles(session: AsyncSession, user_id: str) -> set[str]:
    query = select(RoleGrantRow.role).where(RoleGrantRow.user_id == user_id)
    return set((await session.execute(query)).scalars())


async def grant(session: AsyncSession, user_id: str, role: str, granted_by: str) -> bool:
    """True if the grant is new."""
    if await session.get(RoleGrantRow, (user_id, role)) is not None:
        return False
    session.add(RoleGrantRow(user_id=user_id, role=role, granted_by=granted_by))
    await session.flush()
    return True


async def revoke(session: AsyncSession, user_id: str, role: str) -> bool:
    result = await session.execute(
        delete(RoleGrantRow).where(RoleGrantRow.user_id == user_id, RoleGrantRow.role == role)
    )
    return affected(result) == 1


async def all_grants(session: AsyncSession) -> list[RoleGrantRow]:
    query = select(RoleGrantRow).order_by(RoleGrantRow.role, RoleGrantRow.user_id)
    return list((await session.execute(query)).scalars())
