"""A pledge's announcement through the outbox: it reads the same for everyone of one language,
so a batch renders it once per language, not once per recipient; and a pledge closed before
its announcement went out skips every recipient's message at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import event, func, select

from bot.app import RENDERERS
from bot.botapi import BotApi
from bot.emulator.client import serve
from bot.emulator.state import World
from bot.outbox import OutboxSender
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Role
from models.pledges import (
    PUBLISHED,
    Signers,
    close_pledge,
)
from tests.botenv import TOKEN
from tests.conftest import COMMUNITY, person, published_pledge, resident

pytestmark = pytest.mark.usefixtures("places")
ROOMS = [f"{COMMUNITY}/第一网格/1栋/1单元/{n}" for n in (101, 102, 201, 202, 301, 302)]
PLEDGE_READ = re.compile(r"\bFROM pledge\b")


async def announce(db) -> tuple[int, list[int]]:
    """Six residents (three read English), and a pledge published to them."""
    async with db.session() as s:
        staff = await person(s, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
        chats = []
        for i, room in enumerate(ROOMS):
            await resident(s, staff, 1 + i, room, language="en" if i % 2 else "zh_CN")
            chats.append(1 + i)
        await s.execute(OutboxMessage.__table__.delete())  # (the join messages)
        await s.commit()
        pledge_id = await published_pledge(
            s, staff, COMMUNITY, "No fireworks", "I will not set off fireworks in the estate.",
            signers=Signers.HOUSEHOLD, days=7)
        return pledge_id, chats


async def drain(db, world: World) -> None:
    """Run the outbox sender until nothing is pending or being sent."""
    async with serve(world) as em:
        sender = OutboxSender(db, RENDERERS, rate=1000, concurrency=4, poll_seconds=0.05,
                              lease=dt.timedelta(seconds=60))
        api = BotApi(f"{em.url}/bot{TOKEN}")
        task = asyncio.create_task(sender.run(api, asyncio.Event()))
        try:
            for _ in range(300):
                async with db.session() as s:
                    owed = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])))
                if not owed:
                    break
                await world.wait_change(0.05)
            assert not owed, f"{owed} outbox message(s) still owed"
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await api.close()


async def test_the_announcement_is_rendered_once_per_language(db):
    pledge_id, chats = await announce(db)
    world = World(token=TOKEN)
    for chat in chats:
        world.add_users(1, first_id=chat)
    reads: list[str] = []

    def seen(conn, cursor, statement, *args):
        if PLEDGE_READ.search(statement):
            reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await drain(db, world)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert sorted(world.delivered) == chats  # everyone got it, once
    assert set(world.delivered.values()) == {1}
    assert len(reads) == 2, reads  # one batch, two languages


async def test_a_pledge_closed_before_its_announcement_skips_every_message(db):
    pledge_id, chats = await announce(db)
    async with db.session() as s:
        await close_pledge(s, pledge_id=pledge_id,
                           by=await person(s, 900, "王主任", role=Role.STAFF, at=COMMUNITY))
    world = World(token=TOKEN)
    for chat in [*chats, 900]:
        world.add_users(1, first_id=chat)
    await drain(db, world)  # within a lease: none is left claimed and unsent
    async with db.session() as s:
        statuses = dict((await s.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.kind == PUBLISHED)
            .group_by(OutboxMessage.status))).all())
    assert statuses == {OutboxStatus.SKIPPED: len(chats)}
    assert not set(world.delivered) & set(chats)
