"""What one press costs the database: the SQL statements each press of the signing flow ("Read
and sign", "I agree and sign", "Confirm and sign") and a notice's "Got it" runs, counted through
the real Application polling the emulator. A press is one session and a few statements — who
is pressing, the object, the write — however many households, signatures and buildings there
are; on SQLite a press that only reads makes no trip to a database thread (bot/sqlite_driver.py)
and one that writes makes two (the write, the commit). Counts are not clock times, so they are
asserted."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.i18n import tr
from models import notices as svc
from models.base import utcnow
from tests.botenv import BotEnv
from tests.conftest import person
from tests.test_notices_e2e import B1
from tests.test_notices_e2e import community as notice_community
from tests.test_pledges_e2e import quick_pledge, setup_people

# the update being handled, as the statements it runs see it (SQLAlchemy runs the driver in a
# greenlet with the caller's context)
PRESS: contextvars.ContextVar[int | None] = contextvars.ContextVar("press", default=None)


@dataclass
class Counter:
    """Statements per update, and an event set when the update's handlers are done."""

    statements: dict[int, list[str]] = field(default_factory=dict)
    trips: dict[int, list[str]] = field(default_factory=dict)  # to SQLite's threads
    done: dict[int, asyncio.Event] = field(default_factory=dict)
    seen: list[int] = field(default_factory=list)

    def handled(self, update_id: int) -> asyncio.Event:
        return self.done.setdefault(update_id, asyncio.Event())


@asynccontextmanager
async def counting(env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Counter]:
    counter = Counter()
    queue = aiosqlite.Connection._execute

    async def trip(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        update_id = PRESS.get()
        if update_id is not None:
            counter.trips.setdefault(update_id, []).append(getattr(fn, "__name__", repr(fn)))
        return await queue(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", trip)

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        update_id = PRESS.get()
        if update_id is not None:
            counter.statements.setdefault(update_id, []).append(statement)

    async def start(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert isinstance(update, Update)
        PRESS.set(update.update_id)
        counter.seen.append(update.update_id)

    async def end(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert isinstance(update, Update)
        PRESS.set(None)
        counter.handled(update.update_id).set()

    first, last = TypeHandler(Update, start), TypeHandler(Update, end)
    env.app.add_handler(first, group=-1000)
    env.app.add_handler(last, group=1000)
    event.listen(env.db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(env.db.engine.sync_engine, "before_cursor_execute", before)
        env.app.remove_handler(first, group=-1000)
        env.app.remove_handler(last, group=1000)


async def press(env: BotEnv, counter: Counter, user: int, label: str, *, on: dict[str, Any],
                expect: str, button: str | None = None,
                ) -> tuple[dict[str, Any], list[str], list[str]]:
    """Press `label` on the message `on`; the bot's answer, and the statements and the trips
    to SQLite's threads the press made."""
    before = len(counter.seen)
    answer = await env.tap_on(user, label, on=on, expect=expect, button=button)
    update_id = counter.seen[before]
    await asyncio.wait_for(counter.handled(update_id).wait(), 15)
    return answer, counter.statements.get(update_id, []), counter.trips.get(update_id, [])


def show(name: str, statements: list[str]) -> str:
    return f"{name}: {len(statements)} statements\n" + "\n".join(
        "  " + " ".join(s.split())[:160] for s in statements)


async def test_signing_flow_statements_per_press(env, monkeypatch):
    await setup_people(env)
    since = env.mark()
    await quick_pledge(env)
    notice = await env.wait(3, "New pledge", since=since)
    async with counting(env, monkeypatch) as counter:
        asked, read, read_trips = await press(env, counter, 3, "📖 Read and sign", on=notice,
                                              expect="Have you read it?")
        confirm, sign, sign_trips = await press(env, counter, 3, "✍️ I agree and sign",
                                                on=asked, expect="Sign «",
                                                button="✅ Confirm and sign")
        signed, done, done_trips = await press(env, counter, 3, "✅ Confirm and sign",
                                               on=confirm, expect="Verification code")
    print(show("read", read), show("sign", sign), show("confirm", done), sep="\n")
    assert "Cai" in signed["text"]
    assert len(read) <= 2, show("read", read)
    assert len(sign) <= 2, show("sign", sign)
    assert len(done) <= 3, show("confirm", done)
    if env.db.is_sqlite:  # reads on the loop's thread; the signature and its commit on SQLite's
        assert (read_trips, sign_trips) == ([], [])
        assert done_trips == ["_run_statement", "commit"], done_trips


async def test_got_it_statements(env, monkeypatch):
    staff_id = await notice_community(env)
    since = env.mark()
    async with env.db.session() as s:
        staff = await person(s, staff_id, "王主任", language="en")
        draft = await svc.start_draft(s, author=staff)
        await svc.set_text(s, draft=draft, text="Water cut tomorrow 9:00-12:00.")
        from tests.conftest import place
        await svc.set_place(s, draft=draft, place_id=(await place(s, B1)).id, author=staff)
        await svc.confirm(s, notice_id=draft.id, author=staff)
    await env.drain_outbox()
    got = await env.wait(2, "Water cut", since=since)
    day = tr("en", env.app.bot_data["deps"].settings.tz).short_day(utcnow())
    async with counting(env, monkeypatch) as counter:
        before = len(counter.seen)
        toast = await env.tap(2, "✅ Got it", message_id=got["message_id"])
        update_id = counter.seen[before]
        await asyncio.wait_for(counter.handled(update_id).wait(), 15)
        first = counter.statements.get(update_id, [])
        first_trips = counter.trips.get(update_id, [])
        # the button now keeps the day it was pressed (#13): press that mark again
        marked = await env.wait_for(2, "Water cut", since=since, button=f"✅ Got it · {day}")
        before = len(counter.seen)
        again = await env.tap(2, f"✅ Got it · {day}", message_id=marked["message_id"])
        update_id = counter.seen[before]
        await asyncio.wait_for(counter.handled(update_id).wait(), 15)
        second = counter.statements.get(update_id, [])
        second_trips = counter.trips.get(update_id, [])
    print(show("got it", first), show("got it again", second), sep="\n")
    assert toast["text"] == "Thank you, noted."
    assert again["text"] == "You already confirmed this notice."
    assert len(first) <= 3, show("got it", first)
    assert len(second) <= 2, show("got it again", second)
    if env.db.is_sqlite:
        assert first_trips == ["_run_statement", "commit"], first_trips  # the mark, its commit
        assert second_trips == []
