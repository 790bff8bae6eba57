"""The migrations build exactly the schema the models describe, on both backends, and the
bot refuses to start on a database that is behind."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.db import Database, SchemaError
from bot.migrate import head_revision, upgrade_engine
from models import Base


async def test_migrations_match_models(db_url):
    db = Database(db_url)
    try:
        await upgrade_engine(db.engine)

        def diff(connection):  # type: ignore[no-untyped-def]
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
        await db.check()  # at head: start-up accepts it
    finally:
        await db.dispose()


async def test_start_up_refuses_an_out_of_date_schema(db_url):
    db = Database(db_url)
    try:
        with pytest.raises(SchemaError, match="linli db upgrade"):
            await db.check()
        await upgrade_engine(db.engine, head_revision() or "head")
        await db.check()
    finally:
        await db.dispose()


async def test_sqlite_pragmas_are_set(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}")
    try:
        from sqlalchemy import text

        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 15000
    finally:
        await db.dispose()
