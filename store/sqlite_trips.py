"""One trip to aiosqlite's thread per SQL statement, instead of four.

aiosqlite runs every call on its connection's own thread: SQLAlchemy's adapter makes a cursor
(one trip), executes (two), fetches the rows (three) and closes the cursor (four), each trip a
hand-over between threads and a turn of the event loop. On a busy loop those hand-overs, not
SQLite, are most of what a read costs: a one-row read in a session took ~18 trips. The cursor
below runs execute, fetch and close as one function on aiosqlite's thread and keeps what the
caller reads afterwards (rows, description, rowcount, lastrowid) — the DB-API calls SQLAlchemy
makes stay the same, and nothing runs on the event loop's thread.

`use_one_trip_cursors(dbapi_connection)` is called from the engine's `connect` event
(store/db.py); SQLAlchemy's aiosqlite adapter picks its cursor class from the connection's
class, so the connection is given a subclass that names this cursor.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


def _run(
    connection: Any, operation: str, parameters: Any, many: bool
) -> tuple[Any, Sequence[Any], int, int | None]:
    """On aiosqlite's thread: the whole statement, rows included."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statements each cost one trip to aiosqlite's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor made up front
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        # no driver cursor between statements: the base's readers of it are all overridden, but
        # setinputsizes, which SQLite's dialect never calls
        self._cursor = None  # type: ignore[assignment]
        # the base's empty immutabledict, as SQLAlchemy's own _async_soft_close expects (it calls
        # .union() on it; a plain dict has none). Ours is overridden and never reads it.
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # nothing is open between statements

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._statement(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._statement(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _statement(self, operation: Any, parameters: Any, *, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            answer = await self._connection._execute(
                _run, self._connection, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = answer
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        return None  # sqlite3 has one result set per statement


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


def use_one_trip_cursors(dbapi_connection: Any) -> None:
    """Make the client-side cursors of this aiosqlite connection one-trip cursors."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
