"""The database engine and sessions, for SQLite (one file, WAL) and PostgreSQL alike.

SQLite gets its pragmas on every new connection — WAL so readers never block the writer,
synchronous=FULL so a committed row survives a power cut, foreign keys on, and a busy timeout
so two writers queue instead of failing — and `check` verifies they took effect at start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot import sqlite_driver

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": 15000,
}


class SchemaError(Exception):
    """The database schema is not the one this code expects; the message says what to do."""


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for name, value in SQLITE_PRAGMAS.items():
        cursor.execute(f"PRAGMA {name}={value}")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite connections get linli's pragmas."""
    # SQL parameters are residents' data: keep them out of exception texts and logs
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.get_driver_name() == "aiosqlite":  # a statement is one trip to its thread
            kwargs.setdefault("module", sqlite_driver.module())
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # `?search_path=NAME` puts linli's tables in a schema of their own (and isolates tests).
    search_path = parsed.query.get("search_path")
    if search_path:
        parsed = parsed.difference_update_query(["search_path"])
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("server_settings", {})["search_path"] = str(search_path)
    return create_async_engine(parsed, **kwargs)


class Database:
    """One engine and its session factory; `session()` is one unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def check(self) -> None:
        """Verify pragmas (SQLite) and that migrations are at head; raise SchemaError if not."""
        from bot.migrate import current_revision, head_revision

        async with self.engine.connect() as conn:
            if self.is_sqlite:
                got = {
                    name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                    for name in SQLITE_PRAGMAS
                }
                if str(got["journal_mode"]).lower() != "wal" or got["foreign_keys"] != 1:
                    raise SchemaError(f"SQLite pragmas did not take effect: {got}")
            current = await conn.run_sync(current_revision)
        head = head_revision()
        if current != head:
            raise SchemaError(
                "The database schema is out of date "
                f"(at {current or 'nothing'}, code needs {head}): run `linli db upgrade`."
            )

    @classmethod
    def for_bot(cls, url: str, concurrent_updates: int) -> Database:
        """The bot's database: a connection for each update handled at once, and for the
        outbox (claiming, recording) and the scheduled jobs beside them."""
        return cls(url, pool_size=concurrent_updates + 4)

    async def dispose(self) -> None:
        await self.engine.dispose()
