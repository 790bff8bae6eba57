"""Estates (物业管理区域) in the place tree and their owners' committees, as the community office
and the votes built on them use them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import estates
from models.audit import AuditEntry
from models.errors import NotAllowed
from models.estates import Body, Estate
from models.people import Role
from tests.conftest import COMMUNITY, person, place

pytestmark = pytest.mark.usefixtures("places")
GRID1, GRID2 = f"{COMMUNITY}/第一网格", f"{COMMUNITY}/第二网格"


async def estate_with(session, name: str, *buildings: str, community: str = COMMUNITY,
                      name_en: str | None = None) -> Estate:
    """An estate of `community` holding the named buildings (as the places CSV sets it)."""
    estate = Estate(community_id=(await place(session, community)).id, name=name,
                    name_en=name_en)
    session.add(estate)
    await session.flush()
    for building in buildings:
        (await place(session, building)).estate_id = estate.id
    await session.commit()
    return estate


async def test_an_estate_is_found_from_its_buildings_and_their_households(session):
    """The sample community's buildings are all of 阳光花园 (from the places CSV); then 3栋
    is made an estate of its own, 东苑."""
    names = lambda found: [e.name for e in found]  # noqa: E731
    room = await place(session, f"{GRID2}/3栋/1单元/101")
    garden = await estates.estate_of(session, room)
    assert (garden.name, garden.name_en) == ("阳光花园", "Sunshine Garden")
    assert names(await estates.estates_in(session, await place(session, "城东街道"))) == [
        "桂花苑", "阳光花园"]
    assert [b.name for b in await estates.buildings_of(session, garden.id)] == [
        "1栋", "2栋", "3栋"]

    east = await estate_with(session, "东苑", f"{GRID2}/3栋", name_en="East Court")
    unit = await place(session, f"{GRID1}/2栋/1单元")
    assert (await estates.estate_of(session, room)).id == east.id
    assert (await estates.estate_of(session, unit)).id == garden.id
    assert (await estates.estate_of(session, await place(session, f"{GRID2}/3栋"))).id == \
        east.id
    assert await estates.estate_of(session, await place(session, COMMUNITY)) is None
    assert names(await estates.estates_in(session, await place(session, COMMUNITY))) == [
        "东苑", "阳光花园"]
    # a grid lists the estates with a building in it
    assert names(await estates.estates_in(session, await place(session, GRID2))) == ["东苑"]
    assert names(await estates.estates_in(session, await place(session, GRID1))) == ["阳光花园"]
    assert names(await estates.estates_in(session, room)) == ["东苑"]

    buildings = await estates.buildings_of(session, garden.id)
    assert [b.name for b in buildings] == ["1栋", "2栋"]
    assert await estates.estate_paths(session, garden.id) == [b.path for b in buildings]
    assert await estates.estate_paths(session, east.id) == [
        (await place(session, f"{GRID2}/3栋")).path]
    assert (estates.estate_label(east, "en"), estates.estate_label(east, "zh_CN")) == (
        "East Court", "东苑")
    west = await estate_with(session, "西苑")
    assert estates.estate_label(west, "en") == "西苑"  # no English name: the Chinese one
    assert await estates.buildings_of(session, west.id) == []


async def test_an_estate_is_named_from_its_community(session):
    garden = await estates.estate_by_names(session, [*COMMUNITY.split("/"), "阳光花园"])
    assert garden.name_en == "Sunshine Garden"
    with pytest.raises(estates.NotFound):
        await estates.estate_by_names(session, [*COMMUNITY.split("/"), "北苑"])


async def test_staff_grant_and_revoke_seats_and_each_change_is_audited(session):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    member = await person(session, 1, "刘委员")
    estate = await estate_with(session, "东苑", f"{GRID1}/1栋")
    seat, changed = await estates.grant_seat(session, estate_id=estate.id, person_id=member.id,
                                             body=Body.PREPARATORY, actor_id=staff.id)
    assert changed and seat.body == Body.PREPARATORY and seat.granted_by_id == staff.id
    assert (await estates.grant_seat(session, estate_id=estate.id, person_id=member.id,
                                     body=Body.PREPARATORY, actor_id=staff.id))[1] is False
    # the preparatory group's member is elected to the committee: the seat moves
    seat, changed = await estates.grant_seat(session, estate_id=estate.id, person_id=member.id,
                                             body=Body.COMMITTEE, actor_id=staff.id)
    assert changed and [s.body for s in await estates.seats_of(session, member.id)] == [
        Body.COMMITTEE]
    assert [p.id for p in await estates.members_of(session, estate.id)] == [member.id]
    assert await estates.revoke_seat(session, estate_id=estate.id, person_id=member.id,
                                     actor_id=staff.id)
    assert not await estates.revoke_seat(session, estate_id=estate.id, person_id=member.id,
                                         actor_id=staff.id)
    assert await estates.seats_of(session, member.id) == []
    entries = (await session.scalars(select(AuditEntry).where(
        AuditEntry.subject == "person", AuditEntry.subject_id == member.id)
        .order_by(AuditEntry.id))).all()
    community = await place(session, COMMUNITY)
    assert [(e.action, e.actor_id, e.place_id, e.detail) for e in entries] == [
        ("committee.grant", staff.id, community.id,
         {"estate_id": estate.id, "body": "preparatory"}),
        ("committee.grant", staff.id, community.id, {"estate_id": estate.id, "body": "committee"}),
        ("committee.revoke", staff.id, community.id,
         {"estate_id": estate.id, "body": "committee"}),
    ]


async def test_only_the_communitys_staff_grant_seats(session):
    other = await person(session, 901, "桂花社区主任", role=Role.STAFF, at="城东街道/桂花社区")
    grid_worker = await person(session, 902, "陈网格员", role=Role.GRID_WORKER, at=GRID1)
    member = await person(session, 1, "刘委员")
    estate = await estate_with(session, "东苑", f"{GRID1}/1栋")
    for actor in (other, grid_worker, member):
        with pytest.raises(NotAllowed):
            await estates.grant_seat(session, estate_id=estate.id, person_id=member.id,
                                     body=Body.COMMITTEE, actor_id=actor.id)
    assert await estates.members_of(session, estate.id) == []
    assert await session.scalar(select(AuditEntry.id)) is None


async def test_convenors_are_the_estates_committee_and_the_communitys_staff(session):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    street = await person(session, 903, "街道干部", role=Role.STAFF, at="城东街道")
    other = await person(session, 901, "桂花社区主任", role=Role.STAFF, at="城东街道/桂花社区")
    grid_worker = await person(session, 902, "陈网格员", role=Role.GRID_WORKER, at=GRID1)
    member = await person(session, 1, "刘委员")
    resident = await person(session, 2, "赵居民")
    east = await estate_with(session, "东苑", f"{GRID1}/1栋")
    west = await estate_with(session, "西苑", f"{GRID1}/2栋")
    await estates.grant_seat(session, estate_id=east.id, person_id=member.id,
                             body=Body.COMMITTEE, actor_id=None)
    convenes = {p.name: await estates.is_convenor(session, person_id=p.id, estate=east)
                for p in (staff, street, other, grid_worker, member, resident)}
    assert convenes == {"王主任": True, "街道干部": True, "桂花社区主任": False,
                        "陈网格员": False, "刘委员": True, "赵居民": False}
    # a committee member of one estate convenes nothing in the next one
    assert not await estates.is_convenor(session, person_id=member.id, estate=west)
    await estates.require_convenor(session, person_id=member.id, estate=east)
    with pytest.raises(NotAllowed) as refused:
        await estates.require_convenor(session, person_id=resident.id, estate=east)
    assert "owners' committee" in refused.value.message
