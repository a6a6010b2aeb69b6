"""The async engine and sessions, for SQLite (the default) and PostgreSQL (several replicas).

A transaction can carry events for after its commit (`after_commit`): `Database.transaction()`
hands them to the `on_commit` hook once the commit succeeded, and drops them when it rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Result, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from store.sqlite_trips import use_one_trip_cursors

SQLITE_BUSY_TIMEOUT_MS = 5000
#: Where a session keeps the events of its transaction until it commits.
AFTER_COMMIT = "after_commit"

log = logging.getLogger(__name__)


def after_commit(session: AsyncSession, event: Any) -> None:
    """Keeps `event` for the `on_commit` hook of the Database whose transaction `session` is
    in: it gets it once the transaction commits, never if it rolls back."""
    session.info.setdefault(AFTER_COMMIT, []).append(event)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine tuned per backend: SQLite gets WAL, foreign keys and a busy timeout."""
    if is_sqlite(url):
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def affected(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched. SQLAlchemy types `execute` as returning a
    `Result`; for those statements it is always a `CursorResult`, which counts them."""
    return cast(CursorResult[Any], result).rowcount


def _sqlite_begin(connection: Connection) -> None:
    """We emit BEGIN ourselves (the driver's implicit one is switched off in the pragmas).

    Transactions that write take the write lock up front (BEGIN IMMEDIATE): a deferred
    transaction that reads, then writes, can otherwise fail at once with "database is locked"
    when another writer got in between — the busy timeout does not help there.
    """
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # the DB-API connection
    use_one_trip_cursors(dbapi_connection)  # aiosqlite: one thread hand-over per statement
    # The driver's implicit transactions are off (BEGIN comes from `_sqlite_begin`), so the
    # pragmas below run outside any transaction, as SQLite requires.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    is_memory = False
    try:
        cursor.execute("PRAGMA database_list")
        rows = cursor.fetchall()
        is_memory = bool(rows) and not rows[0][2]
        if not is_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Writers take SQLite's write lock when they begin (a no-op option on PostgreSQL).
        self._writer_sessions = async_sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        #: Gets the events of each committed transaction (`after_commit`), in their order.
        self.on_commit: Callable[[list[Any]], Awaitable[None]] | None = None

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection for reads that need no ORM objects (typeahead): cheaper than a
        session to open and close. Its transaction (SQLite's BEGIN, see `_sqlite_begin`) is
        rolled back when it closes."""
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error. The
        events the transaction recorded go to `on_commit` after the commit, not before, and
        not at all when it rolls back; the hook failing does not undo the commit."""
        async with self._writer_sessions() as session:
            async with session.begin():
                yield session
            events = session.info.pop(AFTER_COMMIT, [])
        if events and self.on_commit is not None:
            try:
                await self.on_commit(events)
            except Exception:
                log.exception("could not deliver what a committed transaction recorded")

    async def ping(self) -> None:
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
