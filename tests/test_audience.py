"""Audiences: the right people under a place, once each, counted and enqueued set-based."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audience import Audience, count, enqueue_all, recipients
from models.onboarding import request_membership
from models.outbox import OutboxMessage
from models.people import Relation, Role
from tests.conftest import COMMUNITY, person, place, resident

pytestmark = pytest.mark.usefixtures("places")
B1 = COMMUNITY + "/第一网格/1栋"


@pytest.fixture
async def street(session, places):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    await resident(session, staff, 1, B1 + "/1单元/101", relation=Relation.OWNER)
    await resident(session, staff, 2, B1 + "/1单元/101", relation=Relation.TENANT)
    await resident(session, staff, 3, B1 + "/1单元/102", relation=Relation.FAMILY)
    await resident(session, staff, 4, COMMUNITY + "/第二网格/3栋/1单元/101")
    pending = await person(session, 5, "pending")
    await request_membership(session, person=pending,
                             household_id=(await place(session, B1 + "/1单元/201")).id,
                             relation=Relation.OWNER)
    await person(session, 6, "volunteer", role=Role.VOLUNTEER, at=COMMUNITY + "/第一网格")
    return staff


async def chats(session, audience) -> list[int]:
    return sorted(r.chat_id for r in await session.execute(recipients(audience)))


@pytest.mark.usefixtures("street")
async def test_who_is_in_each_audience(session):
    b1 = (await place(session, B1)).path
    community = (await place(session, COMMUNITY)).path
    assert await chats(session, Audience(b1)) == [1, 2, 3]
    assert await chats(session, Audience(community)) == [1, 2, 3, 4]
    assert await chats(session, Audience(community, relations=(Relation.OWNER,))) == [1, 4]
    assert await chats(session, Audience(b1, per_household=True)) == [1, 3]
    assert await chats(session, Audience(community, landlords=True)) == [1]
    assert await chats(session, Audience(community, residents=False,
                                         roles=(Role.VOLUNTEER,))) == [6]
    assert await chats(session, Audience(b1, roles=(Role.VOLUNTEER, Role.STAFF))) == [1, 2, 3, 6,
                                                                                     900]
    assert await count(session, Audience(community)) == 4


@pytest.mark.usefixtures("street")
async def test_enqueue_all_writes_one_row_each(session):
    community = (await place(session, COMMUNITY)).path
    await session.execute(OutboxMessage.__table__.delete())  # join notices are not the point
    n = await enqueue_all(session, Audience(community, roles=(Role.STAFF,)),
                          kind="notice", payload={"notice_id": 7})
    await session.commit()
    rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notice")
                                  .order_by(OutboxMessage.chat_id))).all()
    assert n == 5 and [r.chat_id for r in rows] == [1, 2, 3, 4, 900]
    assert rows[0].payload == {"notice_id": 7} and rows[0].status == "pending"
