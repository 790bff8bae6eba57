"""The SQLite driver (bot/sqlite_driver.py): each statement one trip to the connection's
thread, a short read none, and nothing lost on the way — rows, counts, ids, errors, rollbacks,
streaming; a long read leaves the bot's loop free."""

from __future__ import annotations

import asyncio
import contextvars
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db import Database


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}")
    async with database.session() as s:
        await s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        await s.commit()
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch):
    """Every call queued to an aiosqlite connection's thread, by the function's name."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_rows_counts_and_ids_come_back_as_written(db):
    async with db.session() as s:
        inserted = await s.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.lastrowid == 1 and inserted.rowcount == 1
        await s.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        await s.commit()
    async with db.session() as s:
        rows = (await s.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]
        changed = await s.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert changed.rowcount == 2
        await s.commit()
        streamed = [tuple(r) async for r in await s.stream(text("SELECT v FROM t ORDER BY id"))]
        assert streamed == [("a",), ("b!",), ("c!",)]


async def test_an_error_and_a_rollback_leave_nothing_half_written(db):
    async with db.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await s.commit()
    async with db.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('b')"))
        with pytest.raises(IntegrityError):
            await s.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await s.rollback()
        await s.execute(text("INSERT INTO t (v) VALUES ('c')"))
        await s.rollback()
    async with db.session() as s:
        assert (await s.execute(text("SELECT v FROM t"))).scalars().all() == ["a"]


async def test_a_short_read_makes_no_trip_and_a_write_one(db, trips):
    async with db.session() as s:  # a press that only reads
        await s.execute(text("SELECT count(*) FROM t"))
        await s.execute(text("SELECT v FROM t"))
        await s.commit()
    assert trips == []
    async with db.session() as s:  # one that writes, then reads inside its transaction
        await s.execute(text("SELECT count(*) FROM t"))
        await s.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert (await s.execute(text("SELECT v FROM t"))).scalars().all() == ["a"]
        await s.commit()
    assert trips == ["_run_statement", "_run_statement", "commit"]


@pytest.fixture
async def ticker():
    """A task that counts the event loop's turns while it runs: a turn needs a free loop."""
    turns = [0]

    async def tick() -> None:
        while True:
            turns[0] += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(tick())
    yield turns
    task.cancel()


async def test_a_long_read_goes_to_the_thread_and_the_loop_runs_meanwhile(db, trips, ticker):
    async with db.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES (:v)"),
                        [{"v": str(n)} for n in range(2000)])
        await s.commit()
    trips.clear()
    async with db.session() as s:
        turns = ticker[0]
        pairs = await s.scalar(text("SELECT count(*) FROM t a, t b WHERE a.v < b.v"))
        turns = ticker[0] - turns
    assert pairs == 2000 * 1999 // 2
    assert trips == ["_run_statement"]  # interrupted on the loop, read again on its thread
    assert turns > 100  # the loop went on while the thread read


async def test_every_read_still_answers_when_none_finishes_in_time(db, trips, monkeypatch):
    """A machine so loaded that no read on the loop's thread finishes in its time: each is
    read again on the connection's thread, and nothing fails (the time limit applies to the
    read alone, never to the driver's own pragmas around it)."""
    from bot import sqlite_driver

    monkeypatch.setattr(sqlite_driver, "READ_HERE_SECONDS", -1.0)  # always late
    monkeypatch.setattr(sqlite_driver, "_PROGRESS_STEPS", 1)  # and asked at every step
    async with db.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await s.commit()
    trips.clear()
    async with db.session() as s:
        assert (await s.execute(text("SELECT v FROM t"))).scalars().all() == ["a"]
        assert await s.scalar(text("SELECT count(*) FROM t")) == 1
    assert trips == ["_run_statement", "_run_statement"]


async def test_writers_queue_for_their_turn_and_all_commit(db, monkeypatch):
    """Forty units of work write at once, each holding its transaction open across a pause:
    each waits on the loop for the writer before it to commit (none is refused as locked,
    none polls SQLite's lock in its busy handler) and every one commits; a writer that fails
    hands its turn on."""
    from bot import sqlite_driver

    asked: list[int] = []
    committed: list[int] = []
    who: contextvars.ContextVar[int] = contextvars.ContextVar("who")
    enter = sqlite_driver.WriterQueue.enter

    async def spied(self, timeout):
        asked.append(who.get(-1))
        return await enter(self, timeout)

    monkeypatch.setattr(sqlite_driver.WriterQueue, "enter", spied)
    async with db.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('taken')"))
        await s.commit()
    asked.clear()

    async def write(n: int) -> None:
        who.set(n)
        async with db.session() as s:
            await s.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": f"w{n}"})
            await asyncio.sleep(0)  # the others queue meanwhile
            if n == 7:  # a unique value taken: rolled back, the next goes on
                with pytest.raises(IntegrityError):
                    await s.execute(text("INSERT INTO t (v) VALUES ('taken')"))
                await s.rollback()
                return
            await s.execute(text("UPDATE t SET v = v || '!' WHERE v = :v"), {"v": f"w{n}"})
            committed.append(n)  # (still holding the turn: after the commit another may run)
            await s.commit()

    await asyncio.gather(*(write(n) for n in range(40)))
    assert sorted(asked) == list(range(40))  # each asked once, at its first write
    assert sorted(committed) == [n for n in range(40) if n != 7]
    async with db.session() as s:
        rows = set((await s.execute(text("SELECT v FROM t"))).scalars())
    assert rows == {"taken"} | {f"w{n}!" for n in range(40) if n != 7}
