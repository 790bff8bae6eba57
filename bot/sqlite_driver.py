"""SQLAlchemy's aiosqlite adapter, with each statement one trip to the connection's thread.

aiosqlite runs every call on a thread of its own per connection: the caller queues the call,
the thread runs it and wakes the event loop. SQLAlchemy's adapter makes four such trips per
statement (open a cursor, execute, fetch the rows, close the cursor) and one per commit or
rollback, also when nothing was written. Each trip costs two thread wake-ups and a turn of the
event loop, and while a burst of presses runs the thread waits for the GIL the loop holds:
measured in `python -m bench presses`, this was the larger part of the difference between the
bot on SQLite and on PostgreSQL.

Here a statement is one trip (`_run_statement`: cursor, execute, rows, close, on the
connection's own thread, so SQLite's rule that a connection stays on its thread holds), and a
commit or rollback with no transaction open (every read-only unit of work, every return of a
connection to the pool) makes none: sqlite3 would do nothing for it. Server-side cursors
(`stream`) keep the adapter's own cursor. `module()` is passed to `create_async_engine` as the
DBAPI module; everything else — dialect, pool, SQL — stays SQLAlchemy's.
"""

from __future__ import annotations

import collections
import sqlite3
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


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement, rows and close are one trip to the thread."""

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
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await self._connection._execute(
                _run_statement, self._connection, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._trip(operation, seq_of_parameters, True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's adapted connection with one-trip cursors; no trip to end no transaction."""

    __slots__ = ()
    _cursor_cls = OneTripCursor

    def _in_transaction(self) -> bool:
        # sqlite3 answers this from the connection's state without touching the database
        return bool(self._connection._connection) and self._connection.in_transaction

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def module() -> OneTripDBAPI:
    """The DBAPI module for `create_async_engine(..., module=module())` on sqlite+aiosqlite."""
    return OneTripDBAPI(aiosqlite, sqlite3)
