"""Concurrent read-then-write transactions on one SQLite file wait for each other instead of
failing with "database is locked"."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from store.db import Database
from store.migrate import upgrade
from store.models import RoleGrantRow


async def test_concurrent_read_then_write_transactions_all_commit(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/busy.db")
    await upgrade(db.engine)

    async def read_then_write(n: int) -> None:
        async with db.transaction() as session:
            await session.execute(select(RoleGrantRow))  # a read first
            await asyncio.sleep(0.01)  # let the others start theirs
            session.add(RoleGrantRow(user_id=f"U{n}", role="staff", granted_by="t"))

    try:
        await asyncio.gather(*(read_then_write(n) for n in range(12)))
        async with db.session() as session:
            rows = (await session.execute(select(RoleGrantRow))).scalars().all()
        assert len(rows) == 12
    finally:
        await db.close()
