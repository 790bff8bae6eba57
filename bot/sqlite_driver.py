"""SQLAlchemy's aiosqlite adapter, with each statement one trip to the connection's thread, and
a short read none.

aiosqlite runs every call on a thread of its own per connection: the caller queues the call,
the thread runs it and wakes the event loop. SQLAlchemy's adapter makes four such trips per
statement (open a cursor, execute, fetch the rows, close the cursor) and one per commit or
rollback, also when nothing was written. Each trip costs two thread wake-ups and a turn of the
event loop, and while a burst of presses runs the thread waits for the GIL the loop holds:
measured in `python -m bench presses`, this was the larger part of the difference between the
bot on SQLite and on PostgreSQL.

Here a statement is one trip (`_run_statement`: cursor, execute, rows, close, together on the
connection's thread), and a commit or rollback with no transaction open (every read-only unit
of work, every return of a connection to the pool) makes none: sqlite3 would do nothing for it.

A read outside a transaction makes no trip at all: it runs at once on the event loop's thread
(`_read_here`), which a short read — who is pressing, the pledge and their homes, a fraction of
a millisecond on an indexed district — costs less than the trip itself, and which takes the
database thread's turn for the GIL out of every Bot API call running beside it (measured in
`python -m bench presses`: 0.54 → 0.64–0.82 of the same-calls bot). It never holds the loop for
long: a read still running after `READ_HERE_SECONDS` is interrupted (SQLite's progress
handler; a SELECT outside a transaction changes nothing, so nothing is undone) and run on the
thread instead, and one that would wait for a lock (WAL readers rarely do) gives up at once and
waits on the thread with the usual busy timeout. Writes, and reads inside a transaction (which
may hold the write lock another connection waits for), always go to the thread.
Writers take turns in arrival order (`WriterQueue`): a statement that would begin a write
transaction first waits, on the event loop, for the process's writer before it to commit or
roll back, instead of every waiting writer polling SQLite's lock through the busy handler,
which sleeps in steps of up to 100 ms and lets a newcomer overtake a writer that has waited
for seconds (measured in `python -m bench votes`: a burst of ballots confirmed on SQLite).
A writer that waits longer than the busy timeout goes ahead and lets SQLite's busy handler
decide, as before: another process (a CLI command) or a unit of work that holds two sessions
at once can never deadlock on the queue.
Server-side cursors (`stream`) keep the adapter's own cursor. `module()` is passed to
`create_async_engine` as the DBAPI module; everything else — dialect, pool, SQL — stays
SQLAlchemy's.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
import weakref
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, Sequence[Any], int, int | None]
READ_HERE_SECONDS = 0.002  # a read on the loop's thread longer than this goes to the thread
_PROGRESS_STEPS = 1000  # SQLite VM steps between looks at the clock (a few microseconds)
# SQLite's answers that send a read on the loop's thread to the connection's thread instead
_NOT_HERE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT})


def _run_statement(connection: aiosqlite.Connection, operation: str, parameters: Any,
                   many: bool) -> _Outcome:
    """On the connection's thread: the statement, its rows and what the cursor knows after."""
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


def _read_here(connection: aiosqlite.Connection, operation: str, parameters: Any,
               busy_ms: int) -> _Outcome | None:
    """On the loop's thread: a read outside a transaction, or None when it took longer than
    READ_HERE_SECONDS or would wait for a lock (then nothing was read or changed)."""
    raw = connection._conn
    # the clock starts, and the handler is set, only for the read itself: set before the
    # pragma, it interrupted the pragma whenever the loaded machine ran this thread late
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.perf_counter() + READ_HERE_SECONDS
        raw.set_progress_handler(lambda: time.perf_counter() > deadline, _PROGRESS_STEPS)
        return _run_statement(connection, operation, parameters, False)
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", 0) & 0xFF in _NOT_HERE:
            return None
        raise
    finally:
        raw.set_progress_handler(None, 0)
        raw.execute(f"PRAGMA busy_timeout={busy_ms:d}")


class WriterQueue:
    """One writer at a time per database and event loop, in arrival order (see the module
    docstring): `enter` before a statement that begins a write transaction; the connection
    releases the turn (`OneTripConnection.end_turn`) once the transaction has ended."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary())

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def enter(self, timeout: float) -> asyncio.Lock | None:
        """The lock now held, or None when the turn did not come within `timeout`."""
        lock = self._lock()
        try:
            await asyncio.wait_for(lock.acquire(), timeout)
        except TimeoutError:
            return None
        return lock


def _begins_a_write(operation: Any, raw: sqlite3.Connection) -> bool:
    """sqlite3 opens a transaction before the first INSERT, UPDATE, DELETE or REPLACE."""
    return (not raw.in_transaction and isinstance(operation, str)
            and operation.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE",
                                                            "REPLACE")))


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement, rows and close are one trip to the thread (or, for a
    short read, none)."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")
    _awaitable_cursor_close = False  # nothing is left open on the thread to close

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # every row is fetched with the statement; nothing to size

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        adapted: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        raw = self._connection._conn
        if adapted._turn is None and _begins_a_write(operation, raw):
            adapted._turn = await adapted.dbapi.writers.enter(adapted.busy_seconds())
        try:
            async with adapted._execute_mutex:
                outcome = adapted.read_here(operation, parameters) if not many else None
                if outcome is None:
                    outcome = await self._connection._execute(
                        _run_statement, self._connection, operation, parameters, many)
        finally:
            if not raw.in_transaction:  # failed, or nothing opened one: the turn is over
                adapted.end_turn()
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._trip(operation, seq_of_parameters, True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's adapted connection with one-trip cursors; no trip to end no transaction."""

    __slots__ = ("_busy_ms", "_turn")
    _cursor_cls = OneTripCursor
    dbapi: OneTripDBAPI
    _turn: asyncio.Lock | None  # the writer queue's turn this connection holds

    def busy_seconds(self) -> float:
        return self._busy_timeout_ms() / 1000

    def _busy_timeout_ms(self) -> int:
        busy_ms = getattr(self, "_busy_ms", None)
        if busy_ms is None:  # as the connect event set it (linli's pragmas)
            busy_ms = self._busy_ms = self._connection._conn.execute(
                "PRAGMA busy_timeout").fetchone()[0]
        return int(busy_ms)

    def end_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    def read_here(self, operation: str, parameters: Any) -> _Outcome | None:
        """A read outside a transaction, run on the loop's thread (see the module docstring);
        None when it is not one, or did not finish there."""
        if not (isinstance(operation, str) and operation[:6].upper() == "SELECT"
                and self._connection._connection is not None):
            return None
        if self._connection._conn.in_transaction:
            return None
        return _read_here(self._connection, operation, parameters, self._busy_timeout_ms())

    def _in_transaction(self) -> bool:
        # sqlite3 answers this from the connection's state without touching the database
        return bool(self._connection._connection) and self._connection.in_transaction

    def commit(self) -> None:
        try:
            if self._in_transaction():
                super().commit()
        finally:
            if not self._in_transaction():
                self.end_turn()

    def rollback(self) -> None:
        try:
            if self._in_transaction():
                super().rollback()
        finally:
            if not self._in_transaction():
                self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self, aiosqlite: Any, sqlite: Any) -> None:
        super().__init__(aiosqlite, sqlite)
        self.writers = WriterQueue()  # one engine, one database file

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        # reads also run on the loop's thread, one at a time per connection (the adapter's
        # mutex): sqlite3 is told it may be used from a second thread
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        connection = OneTripConnection(self, adapted._connection)
        connection._turn = None
        return connection


def module() -> OneTripDBAPI:
    """The DBAPI module for `create_async_engine(..., module=module())` on sqlite+aiosqlite."""
    return OneTripDBAPI(aiosqlite, sqlite3)
