"""Due items fire once: after downtime, under two competing ticks, never twice."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from jobs.tick import run_tick
from models.onboarding import request_membership
from models.outbox import OutboxMessage
from models.people import Relation, Role
from tests.conftest import COMMUNITY, ROOM_101, person, place

pytestmark = pytest.mark.usefixtures("places")
T0 = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


async def reminders(session) -> list[int]:
    rows = await session.scalars(select(OutboxMessage.chat_id)
                                 .where(OutboxMessage.kind == "join.reminder"))
    return list(rows)


async def pending_request(session):
    await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    return await request_membership(session, person=resident, household_id=room.id,
                                    relation=Relation.OWNER, now=T0,
                                    remind_after=dt.timedelta(hours=24))


async def test_reminder_waits_until_due(db, session):
    await pending_request(session)
    assert await run_tick(db, now=T0 + dt.timedelta(hours=23)) == 0
    assert await reminders(session) == []


async def test_item_due_while_down_fires_once_after_restart(db, session):
    await pending_request(session)
    # the bot was down for three days: the first tick after restart fires it, later ones don't
    assert await run_tick(db, now=T0 + dt.timedelta(days=3)) == 1
    assert await run_tick(db, now=T0 + dt.timedelta(days=3, seconds=5)) == 0
    assert await reminders(session) == [900]


async def test_two_ticks_at_once_fire_it_once(db, session):
    await pending_request(session)
    later = T0 + dt.timedelta(days=1, minutes=1)
    fired = await asyncio.gather(run_tick(db, now=later), run_tick(db, now=later))
    assert sorted(fired) == [0, 1]
    assert await reminders(session) == [900]


async def test_decided_request_sends_no_reminder(db, session):
    from models.onboarding import decide_membership
    from models.people import person_by_telegram

    request = await pending_request(session)
    staff = await person_by_telegram(session, 900)
    await decide_membership(session, membership_id=request.membership.id, decider=staff,
                            approve=True)
    assert await run_tick(db, now=T0 + dt.timedelta(days=2)) == 1
    assert await reminders(session) == []
    # the request, the answer to the resident, the edit of the approver's copy: no reminder
    assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
