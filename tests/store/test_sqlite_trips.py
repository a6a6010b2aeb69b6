"""The one-trip cursor (store/sqlite_trips.py): same answers as SQLAlchemy's own aiosqlite
cursor — rows, rowcount of a conditional update, generated ids, errors — in one hand-over to
aiosqlite's thread per statement."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.sqlite_trips import OneTripConnection


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    async with database.transaction() as session:
        await session.execute(text(
            "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE, state TEXT)"))
    yield database
    await database.close()


async def test_statements_answer_as_before(db):
    async with db.transaction() as session:
        inserted = await session.execute(
            text("INSERT INTO item (name, state) VALUES (:n, 'draft')"), [{"n": "a"}, {"n": "b"}])
        assert inserted.rowcount == 2
        one = await session.execute(text("INSERT INTO item (name, state) VALUES ('c', 'draft')"))
        assert one.lastrowid == 3
    async with db.transaction() as session:
        moved = await session.execute(text(
            "UPDATE item SET state = 'queued' WHERE name = 'a' AND state = 'draft'"))
        again = await session.execute(text(
            "UPDATE item SET state = 'queued' WHERE name = 'a' AND state = 'draft'"))
        assert (moved.rowcount, again.rowcount) == (1, 0)  # the conditional update's answer
    async with db.session() as session:
        rows = (await session.execute(text("SELECT name, state FROM item ORDER BY id"))).all()
        none = (await session.execute(text("SELECT name FROM item WHERE id = 99"))).all()
    assert rows == [("a", "queued"), ("b", "draft"), ("c", "draft")]
    assert none == []


async def test_an_error_is_the_drivers_and_rolls_back(db):
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO item (name) VALUES ('x')"))
            await session.execute(text("INSERT INTO item (name) VALUES ('x')"))
    async with db.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM item"))).scalar() == 0


async def test_one_hand_over_per_statement(db, monkeypatch):
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneTripConnection)
        aiosqlite_connection = raw.dbapi_connection._connection
        trips = []
        real = aiosqlite_connection._execute

        async def counted(fn, *args, **kwargs):
            trips.append(fn)
            return await real(fn, *args, **kwargs)

        monkeypatch.setattr(aiosqlite_connection, "_execute", counted)
        rows = (await conn.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
    assert rows == [(1,), (2,)]
    statement_trips = len(trips) - 2  # the BEGIN before it, the rollback after it
    assert statement_trips == 1
