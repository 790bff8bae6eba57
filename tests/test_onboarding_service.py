"""Joining a household and its approval, as rules: who may decide, nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.errors import Conflict, NotAllowed
from models.onboarding import decide_membership, pending_in_scope, pick_below, request_membership
from models.outbox import OutboxMessage
from models.people import Membership, MembershipStatus, Relation, Role
from models.permissions import roles_at
from models.places import PlaceKind
from tests.conftest import COMMUNITY, ROOM_101, person, place

pytestmark = pytest.mark.usefixtures("places")


async def outbox(session) -> list[tuple[int, str]]:
    rows = await session.execute(select(OutboxMessage.chat_id, OutboxMessage.kind)
                                 .order_by(OutboxMessage.id))
    return list(rows)


async def test_request_notifies_staff_in_scope_only(session):
    await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    await person(session, 901, "桂花 staff", role=Role.STAFF, at="城东街道/桂花社区")
    await person(session, 902, "网格员", role=Role.GRID_WORKER, at=COMMUNITY + "/第一网格")
    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    req = await request_membership(session, person=resident, household_id=room.id,
                                   relation=Relation.OWNER)
    assert req.created and req.label == "阳光社区 1栋 1单元 101"
    assert await outbox(session) == [(900, "join.request"), (902, "join.request")]


async def test_asking_again_duplicates_nothing(session):
    await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    for _ in range(3):
        await request_membership(session, person=resident, household_id=room.id,
                                 relation=Relation.TENANT)
    assert await session.scalar(select(func.count()).select_from(Membership)) == 1
    assert len(await outbox(session)) == 1


async def test_staff_approves_and_resident_is_told(session):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    req = await request_membership(session, person=resident, household_id=room.id,
                                   relation=Relation.OWNER)
    decision = await decide_membership(session, membership_id=req.membership.id, decider=staff,
                                       approve=True)
    assert decision.membership.status == MembershipStatus.APPROVED
    assert (1, "join.decided") in await outbox(session)
    with pytest.raises(Conflict) as again:
        await decide_membership(session, membership_id=req.membership.id, decider=staff,
                                approve=False)
    assert again.value.params == {"name": "王主任"}
    with pytest.raises(Conflict):
        await request_membership(session, person=resident, household_id=room.id,
                                 relation=Relation.OWNER)


async def test_out_of_scope_and_plain_residents_cannot_decide(session):
    other = await person(session, 901, "桂花 staff", role=Role.STAFF, at="城东街道/桂花社区")
    volunteer = await person(session, 903, "志愿者", role=Role.VOLUNTEER, at=COMMUNITY)
    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    req = await request_membership(session, person=resident, household_id=room.id,
                                   relation=Relation.OWNER)
    for who in (other, volunteer, resident):
        with pytest.raises(NotAllowed):
            await decide_membership(session, membership_id=req.membership.id, decider=who,
                                    approve=True)
    await session.refresh(req.membership)
    assert req.membership.status == MembershipStatus.PENDING


async def test_roles_hold_for_the_whole_subtree(session):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    assert await roles_at(session, person_id=staff.id, place=await place(session, ROOM_101)) \
        == {Role.STAFF}
    assert await roles_at(session, person_id=staff.id,
                          place=await place(session, "城东街道/桂花社区/桂花网格/1栋")) == set()
    assert await roles_at(session, person_id=staff.id,
                          place=await place(session, "城东街道")) == set()


async def test_pending_list_is_scoped(session):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    other = await person(session, 901, "桂花 staff", role=Role.STAFF, at="城东街道/桂花社区")
    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    await request_membership(session, person=resident, household_id=room.id,
                             relation=Relation.OWNER)
    assert [p.name for _, p, _ in await pending_in_scope(session, approver=staff)] == ["李阿姨"]
    assert await pending_in_scope(session, approver=other) == []


async def test_picker_walks_building_unit_room(session):
    communities = await pick_below(session, None, language="zh_CN")
    assert [p.name for p in communities.options] == ["桂花社区", "阳光社区"]
    community = await place(session, COMMUNITY)
    buildings = await pick_below(session, community.id, language="zh_CN")
    assert buildings.kind == PlaceKind.BUILDING and buildings.up == 0
    assert [p.name for p in buildings.options] == ["1栋", "2栋", "3栋"]
    units = await pick_below(session, buildings.options[0].id, language="zh_CN")
    rooms = await pick_below(session, units.options[0].id, language="zh_CN")
    assert rooms.kind == PlaceKind.HOUSEHOLD and len(rooms.options) == 10
    assert rooms.options[0].name == "101" and rooms.label == "阳光社区 1栋 1单元"
    # one level up each time: the rooms' Back shows the units of 1栋, theirs the buildings
    assert rooms.up == buildings.options[0].id and units.up == community.id


async def test_reminder_is_due_later(session):
    from models.schedule import DueItem

    resident = await person(session, 1, "李阿姨")
    room = await place(session, ROOM_101)
    now = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
    await request_membership(session, person=resident, household_id=room.id,
                             relation=Relation.OWNER, now=now,
                             remind_after=dt.timedelta(hours=24))
    item = await session.scalar(select(DueItem))
    assert item.due_at == now + dt.timedelta(hours=24)
