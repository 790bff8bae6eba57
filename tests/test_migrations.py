"""The migrations build exactly the schema the models describe, on both backends, and the
bot refuses to start on a database that is behind."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, select
from sqlalchemy import insert as insert_into

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


async def test_drafts_waiting_for_text_keep_waiting_after_the_upgrade(db_url):
    """A staff member halfway through a draft when 0006 is applied: their next message still
    goes to it (0006 records the question the draft was waiting for)."""
    from models.asks import Ask
    from models.notices import NoticeStatus, Target
    from models.pledges import PledgeStatus, Signers, Step

    db = Database(db_url)
    try:
        await upgrade_engine(db.engine, "0005")
        # rows written as 0005 knew the tables (reflected: later columns do not exist yet)
        old_schema = MetaData()
        async with db.engine.begin() as conn:
            await conn.run_sync(old_schema.reflect)
            person, pledge, notice = (old_schema.tables[t] for t in ("person", "pledge", "notice"))

            async def insert(table: Table, **values: object) -> int:
                result = await conn.execute(insert_into(table).values(**values))
                return int(result.inserted_primary_key[0])

            now = dt.datetime.now(dt.UTC)
            writer = await insert(person, telegram_id=1, name="A", language="zh_CN",
                                  created_at=now)
            announcer = await insert(person, telegram_id=2, name="B", language="en",
                                     created_at=now)
            blank = dict(created_by_id=writer, step_by_id=writer, body="", version=0,
                         signers=Signers.HOUSEHOLD, text_hash="", status=PledgeStatus.DRAFT,
                         created_at=now)
            old = await insert(pledge, **blank, title="", step=Step.TITLE)
            new = await insert(pledge, **blank, title="t", step=Step.BODY)
            draft = await insert(notice, author_id=announcer, texts={}, step="text",
                                 target=Target.ALL, status=NoticeStatus.DRAFT,
                                 pin_groups=False, recipients=0, created_at=now)
            ids = (writer, announcer, new, draft, old)
        await upgrade_engine(db.engine)
        async with db.session() as s:
            asked = {(a.person_id, a.feature, a.step, a.object_id)
                     for a in await s.scalars(select(Ask))}
        assert asked == {(ids[0], "pledges", "body", ids[2]), (ids[0], "pledges", "title", ids[4]),
                         (ids[1], "notices", "text", ids[3])}
    finally:
        await db.dispose()
