"""Photo reports (#16), the model layer, on SQLite and PostgreSQL: a resident writes a report
(photos, where, category, description) and sends it; the dispatch card goes to the staff and
grid workers over its place and nobody else; then every action of the state machine from every
status — allowed ones move it with one history row and their outbox rows, forbidden ones are
refused with the domain error and write nothing; every verb refuses the wrong actor; a fix
left unanswered closes by default once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models import reports as report_feature
from models.audit import AuditEntry
from models.base import utcnow
from models.errors import Conflict, DomainError, Invalid, NotAllowed, StaleButton
from models.outbox import OutboxMessage
from models.people import Role
from models.reports import departments, drafting, handling
from models.reports.core import CLOSE_AFTER, DISPATCH, MOVES, TO_REPORTER, S
from models.reports.tables import Report, ReportEvent, ReportPhoto, ReportStatus, Step
from models.schedule import run_due
from tests.conftest import person, place, resident

pytestmark = pytest.mark.usefixtures("places")
COMMUNITY = "城东街道/阳光社区"
B1 = COMMUNITY + "/第一网格/1栋"
STAFF, GRID1, GRID2, FIXER, ANN, BOB, OTHER = 900, 901, 902, 903, 1, 2, 3


async def cast(session):
    """Staff of 阳光社区, grid workers of 第一网格 and 第二网格, a repair team with one member,
    Ann (1栋1单元101) and Bob (1栋1单元102); Other of 桂花社区."""
    staff = await person(session, STAFF, "Wang", role=Role.STAFF, at=COMMUNITY)
    found = {STAFF: staff,
             GRID1: await person(session, GRID1, "Li", role=Role.GRID_WORKER,
                                 at=COMMUNITY + "/第一网格"),
             GRID2: await person(session, GRID2, "Liu", role=Role.GRID_WORKER,
                                 at=COMMUNITY + "/第二网格"),
             FIXER: await person(session, FIXER, "Zhao", role=Role.DEPARTMENT, at=COMMUNITY)}
    found[ANN] = await resident(session, staff, ANN, f"{B1}/1单元/101", name="Ann")
    found[BOB] = await resident(session, staff, BOB, f"{B1}/1单元/102", name="Bob")
    other = await session.scalar(select(func.min(ReportPhoto.id)))  # (nothing: a warm-up)
    assert other is None
    found[OTHER] = await person(session, OTHER, "Other", role=Role.STAFF,
                                at="城东街道/桂花社区")
    community = await place(session, COMMUNITY)
    team = await departments.create(session, community=community, by=staff, name="维修队",
                                    members=[found[FIXER].id])
    found["team"] = team
    return found


async def sent(session, who, *, photos=1, description="灯坏了") -> Report:
    """A report of 1栋 by `who`, written step by step and sent."""
    draft = await drafting.start_draft(session, reporter=who)
    for n in range(photos):
        await drafting.add_photo(session, report_id=draft.id, reporter=who, file_id=f"ph{n}",
                                 file_size=1000)
    await drafting.photos_done(session, report_id=draft.id, reporter=who)
    await drafting.set_place(session, report_id=draft.id, reporter=who,
                             place_id=(await place(session, B1)).id)
    category = (await drafting.categories_for(session, draft))[1]  # 照明
    await drafting.set_category(session, report_id=draft.id, reporter=who,
                                category_id=category.id)
    await drafting.set_description(session, report_id=draft.id, reporter=who, text=description)
    report, _n = await drafting.submit(session, report_id=draft.id, reporter=who)
    return report


async def count(session, table, *where) -> int:
    return int(await session.scalar(select(func.count()).select_from(table).where(*where)))


async def test_writing_and_sending_a_report(session):
    p = await cast(session)
    draft = await drafting.start_draft(session, reporter=p[ANN])
    with pytest.raises(Invalid, match="too large"):
        await drafting.add_photo(session, report_id=draft.id, reporter=p[ANN], file_id="big",
                                 file_size=50 * 1024 * 1024)
    for n in range(5):
        await drafting.add_photo(session, report_id=draft.id, reporter=p[ANN], file_id=f"f{n}")
    with pytest.raises(Invalid, match="at most 5 photos"):
        await drafting.add_photo(session, report_id=draft.id, reporter=p[ANN], file_id="f6")
    # a restart: the same draft comes back at its step
    again = await drafting.start_draft(session, reporter=p[ANN])
    assert again.id == draft.id and again.step == Step.PHOTOS
    await drafting.photos_done(session, report_id=draft.id, reporter=p[ANN])
    with pytest.raises(NotAllowed):  # another community
        await drafting.set_place(session, report_id=draft.id, reporter=p[ANN],
                                 place_id=(await place(session, "城东街道/桂花社区")).id)
    with pytest.raises(NotAllowed):  # someone else's draft
        await drafting.set_place(session, report_id=draft.id, reporter=p[BOB],
                                 place_id=(await place(session, B1)).id)
    await drafting.set_place(session, report_id=draft.id, reporter=p[ANN],
                             place_id=(await place(session, B1)).id)
    names = [c.name for c in await drafting.categories_for(session, draft)]
    assert names == ["垃圾", "照明", "给排水", "消防安全", "停车", "绿化", "噪音", "房屋维修",
                     "其他"]
    cats = await drafting.categories_for(session, draft)
    await drafting.set_category(session, report_id=draft.id, reporter=p[ANN],
                                category_id=cats[2].id)
    with pytest.raises(Invalid, match="too long"):
        await drafting.set_description(session, report_id=draft.id, reporter=p[ANN],
                                       text="漏" * 1001)
    await drafting.set_description(session, report_id=draft.id, reporter=p[ANN], text=None)
    report, dispatchers = await drafting.submit(session, report_id=draft.id, reporter=p[ANN])
    assert report.status == S.NEW and report.short_id == f"R-{report.id:06d}"
    # the card goes to staff and the grid worker of 第一网格, not 第二网格 nor 桂花社区
    assert dispatchers == 2
    chats = set(await session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.kind == DISPATCH)))
    assert chats == {STAFF, GRID1}
    assert await count(session, ReportPhoto, ReportPhoto.report_id == report.id) == 5
    assert [e.action for e in await session.scalars(select(ReportEvent).where(
        ReportEvent.report_id == report.id))] == ["submit"]
    assert [r.id for r in await drafting.reports_of(session, p[ANN])] == [report.id]
    with pytest.raises(Conflict):  # sent once
        await drafting.submit(session, report_id=draft.id, reporter=p[ANN])


async def refreshed(session, p, *more) -> None:
    """After a rollback (which expires every loaded row): load the cast again."""
    for row in [*p.values(), *more]:
        await session.refresh(row)


def _verbs(p):
    """action → how the right actor does it (and who that is)."""
    team = p["team"].id
    return {
        "assign": (STAFF, lambda s, r, who: handling.assign(s, report_id=r, actor=who,
                                                           department_id=team)),
        "deadline": (GRID1, lambda s, r, who: handling.set_deadline(s, report_id=r, actor=who,
                                                                   days=5)),
        "reject": (STAFF, lambda s, r, who: handling.reject(s, report_id=r, actor=who,
                                                           reason="not_ours")),
        "start": (FIXER, lambda s, r, who: handling.start(s, report_id=r, actor=who)),
        "fix": (FIXER, lambda s, r, who: handling.fix(s, report_id=r, actor=who,
                                                     file_id="after")),
        "accept": (ANN, lambda s, r, who: handling.accept(s, report_id=r, actor=who, rating=4)),
        "reopen": (ANN, lambda s, r, who: handling.reopen(s, report_id=r, actor=who,
                                                         reason="还是坏的")),
    }


async def at_status(session, p, status: ReportStatus, merge_into: int) -> Report:
    """A sent report of Ann's, set to `status` (assigned to the repair team)."""
    report = await sent(session, p[ANN])
    report.status, report.department_id = status, p["team"].id
    await session.commit()
    return report


async def test_every_action_from_every_status(session):
    """Each action of the machine from each status a sent report can be in: allowed → the
    status it names, one history row, outbox rows; forbidden → Conflict, nothing written."""
    p = await cast(session)
    verbs = _verbs(p)
    target = (await sent(session, p[BOB])).id  # an open report to merge into
    statuses = [s for s in ReportStatus if s not in (S.DRAFT, S.CANCELLED)]
    for action in [*verbs, "merge"]:
        sources, to = MOVES[action]
        for status in statuses:
            report = await at_status(session, p, status, target)
            rid = report.id
            events = await count(session, ReportEvent, ReportEvent.report_id == report.id)
            outbox = await count(session, OutboxMessage)
            if action == "merge":
                who = p[STAFF]
                call = handling.merge(session, report_id=report.id, actor=who,
                                      into_id=target)
            else:
                tid, verb = verbs[action]
                call = verb(session, report.id, p[tid])
            if status in sources:
                moved = await call
                assert moved.status == (to or status), (action, status)
                assert await count(session, ReportEvent,
                                   ReportEvent.report_id == report.id) == events + 1
                if action != "deadline":
                    assert await count(session, OutboxMessage) > outbox, (action, status)
            else:
                with pytest.raises(Conflict):
                    await call
                await session.rollback()
                await refreshed(session, p)
                again = await session.get(Report, rid)
                assert again.status == status, (action, status)
                assert await count(session, ReportEvent,
                                   ReportEvent.report_id == rid) == events
                assert await count(session, OutboxMessage) == outbox


@pytest.mark.parametrize("action,wrong", [
    ("assign", GRID2), ("assign", ANN), ("deadline", GRID2), ("reject", OTHER),
    ("start", STAFF), ("start", BOB), ("fix", GRID1), ("accept", BOB), ("accept", FIXER),
    ("reopen", STAFF)])
async def test_the_wrong_actor_is_refused(session, action, wrong):
    p = await cast(session)
    status = {"assign": S.NEW, "deadline": S.NEW, "reject": S.NEW, "start": S.ASSIGNED,
              "fix": S.ASSIGNED, "accept": S.FIXED, "reopen": S.FIXED}[action]
    report = await at_status(session, p, status, 0)
    rid = report.id
    events = await count(session, ReportEvent)
    _tid, verb = _verbs(p)[action]
    with pytest.raises(NotAllowed):
        await verb(session, rid, p[wrong])
    await session.rollback()
    assert await count(session, ReportEvent) == events
    assert (await session.get(Report, rid)).status == status


async def test_the_whole_loop_and_closing_by_default(session):
    """Dispatched to the team, started, fixed, reopened (back to the same team), fixed
    again and left unanswered: closed by default once, the earlier fix's item doing nothing;
    each step's history and who heard of it."""
    p = await cast(session)
    report = await sent(session, p[ANN])
    rid = report.id
    now = utcnow()
    await handling.assign(session, report_id=rid, actor=p[GRID1],
                          department_id=p["team"].id, now=now)
    assert report.deadline is not None  # the category's default (照明: 3 days)
    assert await count(session, OutboxMessage, OutboxMessage.chat_id == FIXER) == 1
    await handling.start(session, report_id=rid, actor=p[FIXER], now=now)
    await handling.fix(session, report_id=rid, actor=p[FIXER], file_id="after1", now=now)
    await handling.reopen(session, report_id=rid, actor=p[ANN], reason="还在漏", now=now)
    assert report.status == S.REOPENED and report.department_id == p["team"].id
    assert await count(session, OutboxMessage, OutboxMessage.chat_id == FIXER) == 2
    later = now + dt.timedelta(hours=1)
    await handling.fix(session, report_id=rid, actor=p[FIXER], file_id="after2",
                       now=later)
    with pytest.raises(StaleButton):  # a rating is 1 to 5: a forged one is refused
        await handling.accept(session, report_id=rid, actor=p[ANN], rating=0)
    await session.rollback()
    await refreshed(session, p, report)
    told = await count(session, OutboxMessage, OutboxMessage.chat_id == ANN)
    await run_due(session, report_feature.EFFECTS, now=now + CLOSE_AFTER)
    assert (await session.get(Report, rid)).status == S.FIXED  # the old fix's item
    await run_due(session, report_feature.EFFECTS, now=later + CLOSE_AFTER)
    session.expire_all()
    closed = await session.get(Report, rid)
    assert closed.status == S.CLOSED_DEFAULT
    assert await count(session, OutboxMessage, OutboxMessage.chat_id == ANN) == told + 1
    await run_due(session, report_feature.EFFECTS, now=later + 2 * CLOSE_AFTER)  # again: nothing
    actions = [e.action for e in await session.scalars(select(ReportEvent).where(
        ReportEvent.report_id == rid).order_by(ReportEvent.id))]
    assert actions == ["submit", "assign", "start", "fix", "reopen", "fix", "close_default"]
    assert await count(session, ReportPhoto, ReportPhoto.report_id == rid,
                       ReportPhoto.stage == "after") == 2
    audited = [a.action for a in await session.scalars(select(AuditEntry).where(
        AuditEntry.subject == "report").order_by(AuditEntry.id))]
    assert audited[-1] == "report.close_default" and "report.assign" in audited
    await refreshed(session, p)
    with pytest.raises(Conflict):  # rating a closed report
        await handling.accept(session, report_id=rid, actor=p[ANN], rating=5)


async def test_accepting_twice_and_a_grid_worker_assigned_by_person(session):
    p = await cast(session)
    report = await sent(session, p[ANN])
    with pytest.raises(NotAllowed):  # a resident is no assignee
        await handling.assign(session, report_id=report.id, actor=p[STAFF], person_id=p[BOB].id)
    await session.rollback()
    await refreshed(session, p, report)
    await handling.assign(session, report_id=report.id, actor=p[STAFF], person_id=p[GRID1].id)
    with pytest.raises(NotAllowed):  # the department member is not this assignee
        await handling.fix(session, report_id=report.id, actor=p[FIXER], file_id="x")
    await session.rollback()
    await refreshed(session, p, report)
    await handling.fix(session, report_id=report.id, actor=p[GRID1], file_id="x")
    await handling.accept(session, report_id=report.id, actor=p[ANN], rating=5)
    with pytest.raises(Conflict):
        await handling.accept(session, report_id=report.id, actor=p[ANN], rating=3)
    assert (await session.get(Report, report.id)).rating == 5
    assert await count(session, OutboxMessage, OutboxMessage.kind == TO_REPORTER,
                       OutboxMessage.chat_id == ANN) == 1  # assigned
    assert issubclass(Conflict, DomainError)


async def test_departments_from_the_command_line(db, places):
    """`linli reports departments add|list`: a department with its members by Telegram id;
    an unknown member or a second department of that name is refused, nothing made."""
    from bot.cli import Fail
    from handlers.reports import cli

    async with db.session() as s:
        await person(s, FIXER, "Zhao")
    made = await cli.add(db, COMMUNITY, "物业公司", [FIXER])
    assert "物业公司" in made and "1 member" in made
    with pytest.raises(Fail, match="Nobody with Telegram id 4242"):
        await cli.add(db, COMMUNITY, "水务", [4242])
    with pytest.raises(Fail, match="already"):
        await cli.add(db, COMMUNITY, "物业公司", [])
    with pytest.raises(Fail, match="No place named"):
        await cli.add(db, "城东街道/没有社区", "水务", [])
    assert await cli.listing(db, COMMUNITY) == f"物业公司: Zhao ({FIXER})"
    async with db.session() as s:
        audited = await s.scalar(select(AuditEntry).where(
            AuditEntry.action == "department.create"))
        assert audited is not None and audited.actor_id is None


async def test_a_member_of_another_communitys_department_is_no_assignee(session):
    p = await cast(session)
    outsider = await person(session, 4242, "Qian")
    await departments.create(session, community=await place(session, "城东街道/桂花社区"),
                             by=p[OTHER], name="桂花物业", members=[outsider.id])
    report = await sent(session, p[ANN])
    with pytest.raises(NotAllowed):
        await handling.assign(session, report_id=report.id, actor=p[STAFF],
                              person_id=outsider.id)
    await session.rollback()
    await refreshed(session, p, report)
    assert report.status == S.NEW and report.assignee_id is None
    await handling.assign(session, report_id=report.id, actor=p[STAFF], person_id=p[FIXER].id)
    assert report.status == S.ASSIGNED and report.assignee_id == p[FIXER].id
