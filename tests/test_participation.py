"""Participation parts (models/participation/), on SQLite and PostgreSQL: who must act by
person, household and owner (art. 278: households grouped by their shared owners, a household
without an approved owner one unit of its own), who has, who has not, progress per unit, the
reachable kept apart from who must act, and the reminder log (once a day per person); and a
duty that names its people itself (a notice's recipients)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import participation
from models.errors import Conflict
from models.onboarding import decide_membership, request_membership
from models.outbox import OutboxMessage
from models.participation import Duty, Reminder, Unit
from models.people import Membership, Person, Relation, Role
from tests.conftest import COMMUNITY, person, place

pytestmark = pytest.mark.usefixtures("places")
UNIT = COMMUNITY + "/第一网格/1栋/1单元"
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


async def member(session, staff, who, room, relation=Relation.OWNER) -> int:
    req = await request_membership(session, person=who, relation=relation,
                                   household_id=(await place(session, f"{UNIT}/{room}")).id)
    await decide_membership(session, membership_id=req.membership.id, decider=staff,
                            approve=True)
    return req.membership.id


@pytest.fixture
async def unit(session):
    """1栋 1单元's ten households: 张 owns 101 and 102; 李 and 王 own 201 and 301 together
    (their memberships recorded in either order); 王 alone owns 202; the developer owns 302
    and 401; 402 has only a tenant; 501 and 502 nobody yet."""
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    zhang, li, wang, dev, tenant = [await person(session, tid, name) for tid, name in (
        (1, "张"), (2, "李"), (3, "王"), (4, "开发商"), (5, "租户"))]
    ids = {"张101": await member(session, staff, zhang, "101"),
           "张102": await member(session, staff, zhang, "102")}
    await member(session, staff, wang, "201")
    await member(session, staff, li, "201")
    ids["李301"] = await member(session, staff, li, "301")
    await member(session, staff, wang, "301")
    await member(session, staff, wang, "202")
    await member(session, staff, dev, "302")
    await member(session, staff, dev, "401")
    await member(session, staff, tenant, "402", Relation.TENANT)
    await session.execute(OutboxMessage.__table__.delete())  # join notices are not the point
    await session.commit()
    path = (await place(session, UNIT)).path
    return {"path": path, "ids": ids, "dev": dev, "wang": wang, "staff": staff}


def acted(*membership_ids: int):
    """Actions taken, as a feature gives them: (person_id, household_id) rows."""
    return select(Membership.person_id, Membership.household_id).where(
        Membership.id.in_(membership_ids))


async def test_owners_are_counted_as_article_278_counts_them(session, unit):
    duty = Duty(paths=(unit["path"],), unit=Unit.OWNER)
    none_yet = acted()
    # {张}, {李, 王} (201 and 301), {王} (202), {developer} (302, 401), 402, 501, 502
    assert await participation.totals(session, duty, none_yet) == (7, 0)
    done = acted(unit["ids"]["张101"], unit["ids"]["李301"])  # 301 acts for 201 too
    assert await participation.totals(session, duty, done) == (7, 2)
    [row] = await participation.progress(session, duty, done)
    assert (row.building, row.unit, row.expected, row.signed) == ("1栋", "1单元", 7, 2)
    missing = await participation.not_acted(session, duty, done)
    assert [(m.name, m.room) for m in missing] == [("王", "202"), ("开发商", "302"),
                                                   ("开发商", "401")]


async def test_people_and_households_are_counted_once_each(session, unit):
    done = acted(unit["ids"]["张101"], unit["ids"]["李301"])
    people = Duty(paths=(unit["path"],), unit=Unit.PERSON)
    assert await participation.totals(session, people, done) == (5, 2)
    households = Duty(paths=(unit["path"],), unit=Unit.HOUSEHOLD)
    assert await participation.totals(session, households, done) == (8, 2)
    owners_only = Duty(paths=(unit["path"],), relations=(Relation.OWNER,))
    assert await participation.totals(session, owners_only, done) == (4, 2)
    rented = Duty(paths=(unit["path"],), unit=Unit.HOUSEHOLD, relations=(Relation.OWNER,),
                  rented=True)
    assert await participation.totals(session, rented, done) == (0, 0)  # 402 has no owner
    rows = await participation.not_acted_table(session, households, done)  # one per member
    assert [(b, r) for b, _u, r, _n in rows] == [("1栋", room) for room in (
        "102", "201", "201", "202", "302", "401", "402")]


async def test_the_unreachable_count_but_are_not_messaged(session, unit):
    dev = await session.get(Person, unit["dev"].id)
    dev.unreachable_at = NOW  # blocked the bot
    await session.commit()
    duty = Duty(paths=(unit["path"],), unit=Unit.OWNER)
    done = acted(unit["ids"]["张101"], unit["ids"]["李301"])
    assert await participation.totals(session, duty, done) == (7, 2)
    assert await participation.reachable_count(session, duty) == 3  # 张, 李, 王
    reached = sorted(r.chat_id for r in await session.execute(participation.reachable(duty)))
    assert reached == [1, 2, 3]

    async def remind(now, by_id=None) -> int:
        sent = await participation.remind(session, duty, done, subject="test", subject_id=7,
                                          kind="pledge.reminder", payload={"pledge_id": 7},
                                          by_id=by_id, now=now)
        await session.commit()
        return sent

    assert await remind(NOW, by_id=unit["staff"].id) == 1  # only 王 (202) is owed one
    assert await remind(NOW + dt.timedelta(hours=5)) == 0  # at most once a day
    assert await remind(NOW + dt.timedelta(days=1, hours=1)) == 1
    log = (await session.execute(select(Reminder.person_id, Reminder.by_id).order_by(
        Reminder.id))).all()
    assert log == [(unit["wang"].id, unit["staff"].id), (unit["wang"].id, None)]
    chats = (await session.scalars(select(OutboxMessage.chat_id))).all()
    assert chats == [3, 3]


async def test_a_duty_can_name_its_people(session, unit):
    """Who must act given as a SELECT (a notice: whoever it was sent to): counted by person
    wherever they live — a volunteer with no home there too — placed by their homes under the
    paths, reminded once a day (only the reachable), kept apart from who can be reached."""
    volunteer = await person(session, 7, "志愿者", role=Role.VOLUNTEER, at=COMMUNITY + "/第一网格")
    tenant = await session.scalar(select(Person).where(Person.telegram_id == 5))
    tenant.unreachable_at = NOW  # blocked the bot
    await session.commit()
    # 张 and 李 appear once per home (two each): each counts once
    sent_to = (select(Person.id.label("person_id"))
               .outerjoin(Membership, Membership.person_id == Person.id)
               .where(Person.telegram_id.in_([1, 2, 5, 7])))
    duty = Duty(paths=(unit["path"],), people=sent_to)
    confirmed = select(Person.id.label("person_id")).where(Person.telegram_id == 2)  # 李
    assert await participation.totals(session, duty, confirmed) == (4, 1)
    buildings = await participation.by_building(session, duty, confirmed)
    assert [(b.building, b.expected, b.acted) for b in buildings] == [("1栋", 3, 1),
                                                                      (None, 1, 0)]
    [row] = await participation.progress(session, duty, confirmed)
    assert (row.unit, row.expected, row.signed) == ("1单元", 3, 1)
    missing = await participation.not_acted(session, duty, confirmed)
    assert [(m.name, m.room) for m in missing] == [("张", "101"), ("张", "102"),
                                                   ("租户", "402"), ("志愿者", None)]
    table = await participation.not_acted_table(session, duty, confirmed)
    assert table[-1] == ("", "", "", "志愿者")
    elsewhere = Duty(paths=((await place(session, COMMUNITY + "/第二网格")).path,),
                     people=sent_to)  # their homes are not in the viewer's scope
    assert [(b.building, b.expected) for b in await participation.by_building(
        session, elsewhere, confirmed)] == [(None, 4)]
    assert await participation.reachable_count(session, duty) == 3  # not the tenant

    async def remind(now) -> int:
        sent = await participation.remind(session, duty, confirmed, subject="notice",
                                          subject_id=9, kind="notice.reminder",
                                          payload={"notice_id": 9}, topic="notice-reminder:9",
                                          by_id=unit["staff"].id, now=now)
        await session.commit()
        return sent

    assert await remind(NOW) == 2  # 张 and the volunteer; 李 confirmed, the tenant blocked us
    with pytest.raises(Conflict) as again:  # at most once a day, and the presser is told so
        await remind(NOW + dt.timedelta(hours=5))
    assert again.value.message == participation.ALREADY_REMINDED
    assert again.value.params == {"count": 2}
    assert await remind(NOW + dt.timedelta(days=1, hours=1)) == 2
    chats = sorted((await session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.topic == "notice-reminder:9"))).all())
    assert chats == [1, 1, 7, 7]
    zhang = await session.scalar(select(Person.id).where(Person.telegram_id == 1))
    logged = (await session.scalars(select(Reminder.person_id).where(
        Reminder.subject == "notice", Reminder.subject_id == 9))).all()
    assert sorted(logged) == sorted([zhang, zhang, volunteer.id, volunteer.id])
    with pytest.raises(ValueError):
        Duty(paths=(unit["path"],), unit=Unit.HOUSEHOLD, people=sent_to)
