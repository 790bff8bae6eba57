"""Pledges as services, on SQLite and PostgreSQL: writing, publishing, every signing rule,
versions, progress per building, reminders to exactly the non-signers, assisted signing,
exports, and two racing taps that leave one signature."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models.errors import Conflict, Invalid, NotAllowed
from models.onboarding import decide_membership, request_membership
from models.outbox import OutboxMessage, claim
from models.outbox_owed import no_longer_owed
from models.people import Relation, Role
from models.pledges import (
    AUTO_REMIND,
    EFFECTS,
    Pledge,
    PledgeStatus,
    PledgeVersion,
    Signature,
    SignedHow,
    Signers,
    Step,
    add_text,
    ask_to_resign,
    begin_edit,
    close_early,
    extend,
    finish_body,
    non_signers,
    open_for,
    pledges_for_manager,
    progress,
    publish,
    remind,
    save_version,
    set_attachment,
    set_closing,
    set_scope,
    set_signers,
    sign,
    signature_rows,
    start_draft,
    tally_by_child,
    viewer_paths,
)
from models.schedule import DueItem, DueStatus, run_due
from tests.conftest import COMMUNITY, person, place

pytestmark = pytest.mark.usefixtures("places")
GRID1 = COMMUNITY + "/第一网格"
B1 = GRID1 + "/1栋"
B3 = COMMUNITY + "/第二网格/3栋"
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


async def resident(session, staff, telegram_id, name, room, relation, approve=True):
    p = await person(session, telegram_id, name)
    req = await request_membership(session, person=p, household_id=(await place(session, room)).id,
                                   relation=relation)
    if approve:
        await decide_membership(session, membership_id=req.membership.id, decider=staff,
                                approve=True)
    return p


@pytest.fixture
async def people(session):
    staff = await person(session, 900, "王主任", role=Role.STAFF, at=COMMUNITY)
    grid = await person(session, 901, "网格员小李", role=Role.GRID_WORKER, at=GRID1)
    folks = {
        "staff": staff, "grid": grid,
        "owner101": await resident(session, staff, 1, "张业主", B1 + "/1单元/101",
                                   Relation.OWNER),
        "tenant101": await resident(session, staff, 2, "李租户", B1 + "/1单元/101",
                                    Relation.TENANT),
        "family102": await resident(session, staff, 3, "赵家人", B1 + "/1单元/102",
                                    Relation.FAMILY),
        "owner3": await resident(session, staff, 4, "钱业主", B3 + "/1单元/101", Relation.OWNER),
        "pending": await resident(session, staff, 5, "孙待审", B1 + "/1单元/201", Relation.OWNER,
                                  approve=False),
        "other": await resident(session, await person(session, 910, "桂花站长", role=Role.STAFF,
                                                      at="城东街道/桂花社区"), 6, "周桂花",
                                "城东街道/桂花社区/桂花网格/1栋/1单元/101",
                                Relation.OWNER),
    }
    # join notices and reminders are not the point here
    await session.execute(OutboxMessage.__table__.delete())
    await session.execute(DueItem.__table__.delete())
    await session.commit()
    return folks


async def published(session, author, *, signers=Signers.RESIDENT, at=COMMUNITY,
                    title="文明过年 不放烟花", body="我承诺：春节期间不燃放烟花爆竹。") -> Pledge:
    draft, _resumed = await start_draft(session, author=author)
    await add_text(session, author=author, text=title)
    await add_text(session, author=author, text=body)
    await finish_body(session, pledge_id=draft.id, author=author)
    await set_attachment(session, pledge_id=draft.id, author=author, file_id=None, kind=None)
    await set_scope(session, pledge_id=draft.id, author=author,
                    place_id=(await place(session, at)).id)
    await set_signers(session, pledge_id=draft.id, author=author, signers=signers)
    await set_closing(session, pledge_id=draft.id, author=author,
                      closes_at=NOW + dt.timedelta(days=14), now=NOW)
    return (await publish(session, pledge_id=draft.id, author=author, now=NOW)).pledge


async def outbox(session) -> list[tuple[int, str, dict]]:
    """(chat, kind, payload) of every outbox row: plain columns, as rows are deleted and ids
    reused between steps (ORM objects would come back stale from the identity map)."""
    rows = await session.execute(select(OutboxMessage.chat_id, OutboxMessage.kind,
                                        OutboxMessage.payload).order_by(OutboxMessage.chat_id))
    return [tuple(r) for r in rows]


async def count_rows(session, model, *where) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_writing_a_draft_step_by_step_then_publishing(session, people):
    staff = people["staff"]
    draft, resumed = await start_draft(session, author=staff)
    assert not resumed and draft.step == Step.TITLE
    assert (await start_draft(session, author=staff))[0].id == draft.id  # resumed, not doubled
    await add_text(session, author=staff, text="公筷公勺承诺书")
    await add_text(session, author=staff, text="第一段。")
    await add_text(session, author=staff, text="第二段。")
    assert draft.body == "第一段。\n\n第二段。" and draft.step == Step.BODY
    await finish_body(session, pledge_id=draft.id, author=staff)
    await set_attachment(session, pledge_id=draft.id, author=staff, file_id="F1", kind="document")
    assert draft.step == Step.SCOPE
    with pytest.raises(NotAllowed):  # a place outside the author's scope
        await set_scope(session, pledge_id=draft.id, author=staff,
                        place_id=(await place(session, "城东街道/桂花社区")).id)
    await set_scope(session, pledge_id=draft.id, author=staff,
                    place_id=(await place(session, B1)).id)
    await set_signers(session, pledge_id=draft.id, author=staff, signers=Signers.HOUSEHOLD)
    assert draft.step == Step.DATES
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        await add_text(session, author=staff, text="next friday", now=NOW)
    with pytest.raises(Invalid, match="future"):
        await add_text(session, author=staff, text="2020-01-01", now=NOW)
    await add_text(session, author=staff, text="2026-12-20", now=NOW,
                   tz=dt.timezone(dt.timedelta(hours=8)))
    assert draft.closes_at == dt.datetime(2026, 12, 20, 15, 59, 59, tzinfo=dt.UTC)
    assert draft.step == Step.PREVIEW
    with pytest.raises(NotAllowed):  # someone else cannot publish my draft
        await publish(session, pledge_id=draft.id, author=people["grid"], now=NOW)

    done = await publish(session, pledge_id=draft.id, author=staff, now=NOW)
    assert done.notified == 3  # owner, tenant and family of 1栋; not the pending one
    assert await outbox(session) == [
        (c, "pledge.published", {"pledge_id": draft.id}) for c in (1, 2, 3)]
    assert draft.status == PledgeStatus.OPEN and draft.version == 1 and len(draft.text_hash) == 64
    due = (await session.scalars(select(DueItem).where(DueItem.kind == AUTO_REMIND)
                                 .order_by(DueItem.due_at))).all()
    # closing the 20th at 23:59:59 (UTC+8): reminded the 17th and the 19th at 10:00 there
    assert [d.due_at for d in due] == [dt.datetime(2026, 12, 17, 2, 0, tzinfo=dt.UTC),
                                       dt.datetime(2026, 12, 19, 2, 0, tzinfo=dt.UTC)]


async def test_grid_worker_writes_only_within_the_grid(session, people):
    grid = people["grid"]
    draft, _ = await start_draft(session, author=grid)
    with pytest.raises(NotAllowed):
        await set_scope(session, pledge_id=draft.id, author=grid,
                        place_id=(await place(session, COMMUNITY)).id)
    with pytest.raises(NotAllowed, match="Only staff and grid workers"):
        await start_draft(session, author=people["owner101"])


async def test_who_may_sign_is_told_why_not_and_nothing_is_written(session, people):
    owners = await published(session, people["staff"], signers=Signers.OWNER)
    with pytest.raises(NotAllowed, match="owners only"):
        await sign(session, pledge_id=owners.id, person=people["tenant101"], version=1, now=NOW)
    with pytest.raises(NotAllowed, match="Only verified residents"):
        await sign(session, pledge_id=owners.id, person=people["pending"], version=1, now=NOW)
    with pytest.raises(NotAllowed, match="residents of 阳光社区"):
        await sign(session, pledge_id=owners.id, person=people["other"], version=1, now=NOW)
    landlords = await published(session, people["staff"], signers=Signers.LANDLORD,
                                title="出租房屋消防安全责任书")
    with pytest.raises(NotAllowed, match="landlords of rented households"):
        await sign(session, pledge_id=landlords.id, person=people["owner3"], version=1, now=NOW)
    assert await count_rows(session, Signature) == 0
    signed = await sign(session, pledge_id=landlords.id, person=people["owner101"], version=1,
                        now=NOW)
    assert signed.signature.household_id == (await place(session, B1 + "/1单元/101")).id


async def test_signing_twice_is_refused_with_the_date(session, people):
    pledge = await published(session, people["staff"])
    first = await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1,
                       now=NOW + dt.timedelta(hours=1))
    s = first.signature
    assert (s.how, s.version, s.text_hash) == (SignedHow.SELF, 1, pledge.text_hash)
    assert len(s.code) == 9 and s.code[4] == "-"
    with pytest.raises(Conflict, match="Already signed on 2026-12-01 03:00"):
        await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1,
                   now=NOW + dt.timedelta(hours=2))
    # per person: the tenant of the same flat signs for herself
    await sign(session, pledge_id=pledge.id, person=people["tenant101"], version=1, now=NOW)
    assert await count_rows(session, Signature) == 2


async def test_one_per_household_the_first_member_signs_for_all(session, people):
    pledge = await published(session, people["staff"], signers=Signers.HOUSEHOLD)
    await sign(session, pledge_id=pledge.id, person=people["tenant101"], version=1, now=NOW)
    with pytest.raises(Conflict, match=r"Already signed on .* \(李租户\)"):
        await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=NOW)
    mine = await open_for(session, person=people["owner101"], now=NOW)
    assert [m.pledge.id for m in mine] == [pledge.id] and mine[0].signature is not None


async def test_after_closing_signing_is_refused_with_the_date_it_closed(session, people):
    pledge = await published(session, people["staff"])
    later = NOW + dt.timedelta(days=15)
    with pytest.raises(Conflict, match="closed on 2026-12-15"):
        await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=later)
    beijing = ZoneInfo("Asia/Shanghai")
    await extend(session, pledge_id=pledge.id, by=people["staff"], days=7, now=later, tz=beijing)
    # a week later, until the end of that day in the community's zone (not at the hour pressed)
    assert pledge.closes_at.astimezone(beijing) == dt.datetime(2026, 12, 23, 23, 59, 59,
                                                               tzinfo=beijing)
    await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=later)
    with pytest.raises(NotAllowed):
        await close_early(session, pledge_id=pledge.id, by=people["owner3"], now=later)
    await close_early(session, pledge_id=pledge.id, by=people["staff"],
                      now=later + dt.timedelta(days=1))
    with pytest.raises(Conflict, match="closed on 2026-12-17"):
        await sign(session, pledge_id=pledge.id, person=people["tenant101"], version=1,
                   now=later + dt.timedelta(days=2))
    assert await count_rows(session, Signature) == 1


async def test_a_new_version_keeps_old_signatures_and_asks_to_resign(session, people):
    staff = people["staff"]
    pledge = await published(session, staff)
    await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=NOW)
    await begin_edit(session, pledge_id=pledge.id, by=staff)
    await add_text(session, author=staff, text="我承诺：全年不燃放烟花爆竹。")
    new = await save_version(session, pledge_id=pledge.id, by=staff, now=NOW)
    assert new.pledge.version == 2 and new.older_signatures == 1
    old = await session.scalar(select(Signature))
    assert old.version == 1 and old.text_hash != pledge.text_hash
    versions = (await session.scalars(select(PledgeVersion.number).where(
        PledgeVersion.pledge_id == pledge.id).order_by(PledgeVersion.number))).all()
    assert versions == [1, 2]
    # a button for the old text is stale: nothing is written
    with pytest.raises(Conflict, match="text of this pledge has changed"):
        await sign(session, pledge_id=pledge.id, person=people["tenant101"], version=1, now=NOW)
    await session.execute(OutboxMessage.__table__.delete())
    assert await ask_to_resign(session, pledge_id=pledge.id, by=staff, now=NOW) == 1
    assert [(c, k) for c, k, _p in await outbox(session)] == [(1, "pledge.resign")]
    again = await sign(session, pledge_id=pledge.id, person=people["owner101"], version=2,
                       now=NOW)
    assert again.resigned and again.signature.version == 2
    assert await count_rows(session, Signature) == 1


async def test_progress_per_building_and_who_has_not_signed(session, people):
    pledge = await published(session, people["staff"], signers=Signers.HOUSEHOLD)
    await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=NOW)
    paths = await viewer_paths(session, people["staff"], pledge)
    assert paths == [(await place(session, COMMUNITY)).path]
    units = await progress(session, pledge=pledge, paths=paths)
    community = await place(session, COMMUNITY)
    grids = await tally_by_child(session, units, community)
    assert [(t.name, t.signed, t.expected) for t in grids] == [("第一网格", 1, 2),
                                                               ("第二网格", 0, 1)]
    buildings = await tally_by_child(session, units, await place(session, GRID1))
    assert [(t.name, t.signed, t.expected) for t in buildings] == [("1栋", 1, 2)]
    missing = await non_signers(session, pledge=pledge, paths=paths)
    assert [(m.name, m.building, m.unit, m.room) for m in missing] == [
        ("赵家人", "1栋", "1单元", "102"), ("钱业主", "3栋", "1单元", "101")]
    # the grid worker sees only the grid
    grid_paths = await viewer_paths(session, people["grid"], pledge)
    assert grid_paths == [(await place(session, GRID1)).path]
    assert [m.name for m in await non_signers(session, pledge=pledge, paths=grid_paths)] == \
        ["赵家人"]
    with pytest.raises(NotAllowed):
        await viewer_paths(session, people["owner3"], pledge)


async def test_reminders_go_to_exactly_the_non_signers_once_a_day(session, people):
    pledge = await published(session, people["staff"])
    await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=NOW)
    await session.execute(OutboxMessage.__table__.delete())
    assert await remind(session, pledge_id=pledge.id, by=people["grid"], now=NOW) == 2
    assert [(c, k) for c, k, _p in await outbox(session)] == [(2, "pledge.reminder"),
                                                             (3, "pledge.reminder")]
    # the same day: nobody twice, even asked by someone else
    assert await remind(session, pledge_id=pledge.id, by=people["staff"],
                        now=NOW + dt.timedelta(hours=5)) == 1  # only 3栋's owner is new
    with pytest.raises(Conflict, match="Already reminded today: 3 people"):
        await remind(session, pledge_id=pledge.id, by=people["staff"],
                     now=NOW + dt.timedelta(hours=6))
    await sign(session, pledge_id=pledge.id, person=people["tenant101"], version=1, now=NOW)
    next_day = NOW + dt.timedelta(days=1, hours=1)
    await session.execute(OutboxMessage.__table__.delete())
    assert await remind(session, pledge_id=pledge.id, by=people["staff"], now=next_day) == 1
    assert [c for c, _k, _p in await outbox(session)] == [3]


async def test_automatic_reminders_fire_once_and_follow_an_extension(db, session, people):
    pledge = await published(session, people["staff"])
    await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=NOW)
    await session.execute(OutboxMessage.__table__.delete())
    await session.commit()
    three_days_before = pledge.closes_at - dt.timedelta(days=3)
    async with db.session() as tick:  # the tick has a session of its own
        assert await run_due(tick, EFFECTS, now=three_days_before) == 1
        assert await run_due(tick, EFFECTS, now=three_days_before) == 0
    assert [c for c, _k, _p in await outbox(session)] == [2, 3, 4]
    await extend(session, pledge_id=pledge.id, by=people["staff"], days=7, now=three_days_before)
    statuses = (await session.scalars(select(DueItem.status).where(DueItem.kind == AUTO_REMIND)
                                      .order_by(DueItem.id))).all()
    assert statuses == [DueStatus.DONE, DueStatus.CANCELLED, DueStatus.PENDING,
                        DueStatus.PENDING]


async def test_assisted_signing_by_the_grid_worker(session, people):
    pledge = await published(session, people["staff"])
    await session.execute(OutboxMessage.__table__.delete())
    done = await sign(session, pledge_id=pledge.id, person=people["family102"], version=1,
                      assisted_by=people["grid"], now=NOW)
    assert done.signature.how == SignedHow.ASSISTED
    assert done.signature.assisted_by_id == people["grid"].id
    assert [(c, k) for c, k, _p in await outbox(session)] == [(3, "pledge.assisted")]
    with pytest.raises(NotAllowed):  # 3栋 is not in the grid worker's grid
        await sign(session, pledge_id=pledge.id, person=people["owner3"], version=1,
                   assisted_by=people["grid"], now=NOW)
    with pytest.raises(NotAllowed):  # a resident cannot sign for a neighbour
        await sign(session, pledge_id=pledge.id, person=people["owner3"], version=1,
                   assisted_by=people["owner101"], now=NOW)
    _pledge, rows = await signature_rows(session, pledge_id=pledge.id, by=people["staff"])
    assert [(r.name, r.household, r.version, r.how, r.assisted_by) for r in rows] == [
        ("赵家人", "阳光社区 1栋 1单元 102", 1, "assisted", "网格员小李")]


async def test_pledges_listed_for_managers(session, people):
    pledge = await published(session, people["staff"])
    draft, _ = await start_draft(session, author=people["grid"])
    assert [p.id for p in await pledges_for_manager(session, person=people["grid"])] == \
        [draft.id, pledge.id]
    assert [p.id for p in await pledges_for_manager(session, person=people["staff"])] == \
        [pledge.id]


async def test_two_racing_taps_make_one_signature(db, people):
    async with db.session() as s:
        pledge = await published(s, people["staff"])
        owner = people["owner101"]

    async def tap():
        async with db.session() as s:
            try:
                await sign(s, pledge_id=pledge.id, person=owner, version=1, now=NOW)
                return "signed"
            except Conflict as error:
                return error.message

    results = await asyncio.gather(tap(), tap(), tap())
    assert sorted(results)[-1] == "signed" and results.count("signed") == 1
    assert all(r.startswith("Already signed") for r in results if r != "signed")
    async with db.session() as s:
        assert await count_rows(s, Signature) == 1


async def test_the_closing_report_goes_to_the_author_once_and_follows_an_extension(
        db, session, people):
    pledge = await published(session, people["staff"])
    await session.execute(OutboxMessage.__table__.delete())
    await session.commit()
    closes = pledge.closes_at
    async with db.session() as tick:
        await run_due(tick, EFFECTS, now=closes - dt.timedelta(days=1))  # the reminders only
    await session.execute(OutboxMessage.__table__.delete())
    await session.commit()
    # extended the day before: nothing at the old date, the report at the new one
    await extend(session, pledge_id=pledge.id, by=people["staff"], days=7,
                 now=closes - dt.timedelta(hours=20))
    async with db.session() as tick:
        await run_due(tick, EFFECTS, now=closes + dt.timedelta(minutes=1))
    assert [k for _c, k, _p in await outbox(session)] == []
    new_closing = pledge.closes_at
    assert new_closing > closes + dt.timedelta(days=7)  # to the end of that day
    async with db.session() as tick:
        await run_due(tick, EFFECTS, now=new_closing + dt.timedelta(minutes=1))
        assert await run_due(tick, EFFECTS, now=new_closing + dt.timedelta(days=1)) == 0
    assert await outbox(session) == [(900, "pledge.closed", {"pledge_id": pledge.id})]


async def test_closing_early_reports_at_once_and_not_again_at_the_old_date(db, session, people):
    pledge = await published(session, people["staff"])
    await session.execute(OutboxMessage.__table__.delete())
    await close_early(session, pledge_id=pledge.id, by=people["staff"],
                      now=NOW + dt.timedelta(days=1))
    assert await outbox(session) == [(900, "pledge.closed", {"pledge_id": pledge.id})]
    async with db.session() as tick:
        assert await run_due(tick, EFFECTS, now=pledge.closes_at + dt.timedelta(days=1)) == 0
    assert len(await outbox(session)) == 1


async def test_reopening_a_pledge_closed_early_gives_seven_days_from_today(session, people):
    pledge = await published(session, people["staff"])  # closes NOW + 14 days
    await close_early(session, pledge_id=pledge.id, by=people["staff"],
                      now=NOW + dt.timedelta(days=1))
    await extend(session, pledge_id=pledge.id, by=people["staff"], days=7,
                 now=NOW + dt.timedelta(days=2))
    assert pledge.status == PledgeStatus.OPEN
    # the end of day 9 (UTC here), not day 21
    assert pledge.closes_at == dt.datetime(2026, 12, 10, 23, 59, 59, tzinfo=dt.UTC)


async def test_an_author_who_no_longer_manages_the_place_gets_no_report(session, people):
    from models.people import RoleGrant

    pledge = await published(session, people["grid"], at=GRID1)
    await session.execute(RoleGrant.__table__.delete().where(
        RoleGrant.person_id == people["grid"].id))
    await session.execute(OutboxMessage.__table__.delete())
    await close_early(session, pledge_id=pledge.id, by=people["staff"],
                      now=NOW + dt.timedelta(days=1))
    assert await outbox(session) == []


async def test_pledges_from_before_closing_reports_get_theirs_at_start_once(session, people):
    from models.pledges import CLOSING_REPORT, schedule_missing_reports

    pledge = await published(session, people["staff"])
    await session.execute(DueItem.__table__.delete())  # as if published by an older version
    await session.commit()
    assert await schedule_missing_reports(session, now=NOW) == 1
    assert await schedule_missing_reports(session, now=NOW) == 0
    items = (await session.scalars(select(DueItem).where(DueItem.kind == CLOSING_REPORT))).all()
    assert [(i.ref_id, i.due_at) for i in items] == [(pledge.id, pledge.closes_at)]


async def test_totals_count_a_person_with_two_homes_once(session, people):
    from models.pledges import totals

    # 张业主 also owns a flat in 3栋
    req = await request_membership(session, person=people["owner101"], relation=Relation.OWNER,
                                   household_id=(await place(session, B3 + "/1单元/102")).id)
    await decide_membership(session, membership_id=req.membership.id, decider=people["staff"],
                            approve=True)
    pledge = await published(session, people["staff"], signers=Signers.OWNER)
    await sign(session, pledge_id=pledge.id, person=people["owner101"], version=1, now=NOW)
    community = [(await place(session, COMMUNITY)).path]
    # owners: 张业主 (two flats) and 钱业主 — two people, one of whom signed
    assert await totals(session, pledge=pledge, paths=community) == (2, 1)
    units = await progress(session, pledge=pledge, paths=community)
    assert sum(u.expected for u in units) == 3  # per unit he counts in both buildings


@pytest.mark.parametrize(("signers", "owner_too"), [(Signers.HOUSEHOLD, True),
                                                     (Signers.RESIDENT, False)])
async def test_a_queued_reminder_is_skipped_for_who_has_signed_since(session, people, signers,
                                                                     owner_too):
    """Reminders queued (held by quiet hours, or behind a broadcast); the tenant of 101 signs
    before they go: the sender skips the tenant's, and for a one-per-household pledge the
    owner's of 101 too, since their household is covered; the others still go."""
    pledge = await published(session, people["staff"], signers=signers)
    await session.execute(OutboxMessage.__table__.delete())
    await session.commit()
    await remind(session, pledge_id=pledge.id, by=people["staff"], now=NOW)
    await sign(session, pledge_id=pledge.id, person=people["tenant101"], version=1, now=NOW)
    rows = [r for r in await claim(session, limit=1000, lease=dt.timedelta(seconds=60),
                                   now=NOW + dt.timedelta(hours=1))
            if r.kind == "pledge.reminder"]
    skipped = await no_longer_owed(session, rows)
    skips = {r.person_id: r.id in skipped for r in rows}
    assert skips[people["tenant101"].id] is True
    assert skips[people["owner101"].id] is owner_too
    assert skips[people["family102"].id] is False
