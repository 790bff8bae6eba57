"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, the sample community,
and people to act as.

Every test that takes `db` runs twice, once per backend. PostgreSQL isolation is a schema of
its own per test (search_path), dropped afterwards; SQLite is a file in the test's tmp dir.

Both are made fast, since over a thousand tests each make one: a SQLite database is a copy of
a file each test process made once with every table (and, for a test that asks for `places`,
the sample community); a PostgreSQL schema gets every table from one script of the DDL that
`Base.metadata.create_all` would send, in one round trip instead of one per table, index and
existence check.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import create_mock_engine
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.db import Database
from bot.emulator import RunningEmulator, World, serve
from models import Base
from models.onboarding import decide_membership, request_membership
from models.people import Person, Relation, Role, grant_role, record_consent
from models.place_import import import_csv
from models.places import Place, find_by_names
from tests.botenv import BotEnv, running_bot

pytest_plugins = ["tests.hangs"]

PG_URL = os.environ.get("LINLI_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SAMPLE_CSV = Path(__file__).parent.parent / "bot" / "data" / "sample_places.csv"
BACKENDS = ["sqlite", "pg"]


def _pg_dsn() -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_exec(sql: str) -> None:
    conn = await asyncpg.connect(_pg_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the given backend (no tables)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'linli.sqlite'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_exec(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?search_path={schema}"
    finally:
        await _pg_exec(f"DROP SCHEMA {schema} CASCADE")


@functools.cache
def _pg_schema_script() -> str:
    """Every statement `Base.metadata.create_all` sends to an empty PostgreSQL schema, as one
    script (types, tables, indexes, in its order)."""
    statements: list[str] = []
    engine = create_mock_engine(
        "postgresql+asyncpg://",
        lambda sql, *a, **k: statements.append(str(sql.compile(dialect=engine.dialect))))
    Base.metadata.create_all(engine, checkfirst=False)
    return ";\n".join(statement.strip() for statement in statements) + ";"


_SQLITE_TEMPLATES: dict[bool, Path] = {}  # with the sample community or not → a file to copy


async def _sqlite_template(with_places: bool) -> Path:
    """A SQLite file with every table (and the sample community), made once per process."""
    template = _SQLITE_TEMPLATES.get(with_places)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="linli-template-")) / "linli.sqlite"
        database = Database(f"sqlite+aiosqlite:///{template}")
        try:
            async with database.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            if with_places:
                async with database.session() as s:
                    await import_csv(s, SAMPLE_CSV.read_text(encoding="utf-8"))
        finally:
            await database.dispose()  # the last connection closing folds the WAL into the file
        assert not template.with_name("linli.sqlite-wal").exists()
        _SQLITE_TEMPLATES[with_places] = template
    return template


@pytest.fixture
async def db(db_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """A database with every table, empty (but for the sample community when the test also
    asks for `places`, which then finds it there)."""
    with_places = "places" in request.fixturenames
    if db_url.startswith("sqlite"):
        shutil.copyfile(await _sqlite_template(with_places), db_url.split("///", 1)[1])
        database = Database(db_url)
    else:
        database = Database(db_url)
        async with database.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute(_pg_schema_script())  # type: ignore[union-attr]
        if with_places:
            async with database.session() as s:
                await import_csv(s, SAMPLE_CSV.read_text(encoding="utf-8"))
    database.sample_community = with_places  # type: ignore[attr-defined]
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.session() as s:
        yield s


@pytest.fixture
async def places(db: Database) -> None:
    """The sample community: 城东街道 / 阳光社区 (3 buildings, 60 rooms) and 桂花社区 (`db`
    makes it, as a test that asks for both finds it)."""
    assert db.sample_community  # type: ignore[attr-defined]


async def place(session: AsyncSession, path: str) -> Place:
    return await find_by_names(session, path.split("/"))


async def person(session: AsyncSession, telegram_id: int, name: str, *,
                 language: str = "zh_CN", role: Role | None = None,
                 at: str | None = None) -> Person:
    """A consented person, optionally holding `role` on the place named by `at`."""
    p = await record_consent(session, telegram_id=telegram_id, name=name, language=language)
    if role is not None and at is not None:
        await grant_role(session, person_id=p.id, place_id=(await place(session, at)).id,
                         role=role)
    await session.commit()
    return p


async def resident(session: AsyncSession, staff: Person, telegram_id: int, room: str, *,
                   relation: Relation = Relation.OWNER, language: str = "zh_CN",
                   name: str | None = None) -> Person:
    """A person registered at `room`, their request approved by `staff`."""
    p = await person(session, telegram_id, name or f"resident {telegram_id}", language=language)
    request = await request_membership(session, person=p, relation=relation,
                                       household_id=(await place(session, room)).id)
    await decide_membership(session, membership_id=request.membership.id, decider=staff,
                            approve=True)
    return p


async def published_pledge(session: AsyncSession, staff: Person, where: str, title: str,
                           body: str, *, signers: Any, days: int = 10) -> int:
    """A pledge written step by step and published by `staff` to the place named `where`
    (its announcement is in the outbox); its id."""
    from models.base import utcnow
    from models.pledges import (
        add_text,
        finish_body,
        publish,
        set_attachment,
        set_closing,
        set_scope,
        set_signers,
        start_draft,
    )

    draft, _ = await start_draft(session, author=staff)
    await add_text(session, author=staff, text=title)
    await add_text(session, author=staff, text=body)
    await finish_body(session, pledge_id=draft.id, author=staff)
    await set_attachment(session, pledge_id=draft.id, author=staff, file_id=None, kind=None)
    await set_scope(session, pledge_id=draft.id, author=staff,
                    place_id=(await place(session, where)).id)
    await set_signers(session, pledge_id=draft.id, author=staff, signers=signers)
    await set_closing(session, pledge_id=draft.id, author=staff,
                      closes_at=utcnow() + dt.timedelta(days=days))
    await publish(session, pledge_id=draft.id, author=staff)
    return draft.id


COMMUNITY = "城东街道/阳光社区"
ROOM_101 = "城东街道/阳光社区/第一网格/1栋/1单元/101"


EMULATOR_TOKEN = "123456789:emulator-test-token"


@pytest.fixture
async def emu_server() -> AsyncIterator[RunningEmulator]:
    """The emulator on its own (no bot), for tests of the emulator itself."""
    async with serve(World(EMULATOR_TOKEN)) as running:
        yield running


@pytest.fixture
async def emu_bot(emu_server: RunningEmulator) -> AsyncIterator[Bot]:
    """A bare PTB Bot talking to `emu_server`."""
    async with Bot(EMULATOR_TOKEN, base_url=emu_server.bot_base_url,
                   base_file_url=emu_server.file_base_url) as bot:
        yield bot


@pytest.fixture
async def env(db: Database, places: None) -> AsyncIterator[BotEnv]:
    """The bot running against the emulator, on the sample community; fails on handler errors."""
    async with running_bot(db) as running:
        yield running
        assert running.errors == [], f"handlers raised: {running.errors!r}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-long", action="store_true", default=False,
                     help="run the update fuzzer's long campaign (20 times the default "
                          "budget; also LINLI_FUZZ_LONG=1, or LINLI_FUZZ_LONG=<n> for n times)")


@pytest.fixture
def fuzz_long(request: pytest.FixtureRequest) -> int:
    """How many times its default budget the update fuzzer runs (tests/test_fuzz.py)."""
    raw = os.environ.get("LINLI_FUZZ_LONG", "").strip()
    if raw not in ("", "0", "1"):
        return max(1, int(raw))
    return 20 if request.config.getoption("--fuzz-long") or raw == "1" else 1


@pytest.fixture(autouse=True)
def no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """No quiet hours unless a test sets them: a test run at night must not wait for morning."""
    monkeypatch.setenv("LINLI_QUIET_HOURS", "")
