"""The points of issue #14 that no other vote test shows, at the model layer, on SQLite and
PostgreSQL: what a vote may cover and hold, nothing of an announced vote changing, the 15
days counted from the day it is announced, the roll frozen at opening, the automatic
reminders (on the schedule the convenor picked, or none; to those who have not voted, each
once, at most one a day, none once the deadline has passed — also after downtime), closing
exactly once after downtime with several workers, every confirmation audited, who voted how
only after closing, a ballot for a matter or an owner of another vote refused with nothing
written, the total voting time bounded by the setting, and `linli votes export` / `recount`
as commands recounting the bot's own result."""

# ruff: noqa: F811  (the `estate` fixture, imported, is each test's parameter)
from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from sqlalchemy import func, select, update

from bot import registry
from bot.config import Settings
from models.audit import AuditEntry
from models.errors import Conflict, Invalid, NotAllowed
from models.estates import Body, estate_by_names, grant_seat
from models.outbox import OutboxMessage
from models.places import Place
from models.schedule import DueItem, run_due
from models.votes import ballots, following, lifecycle
from models.votes.core import (
    DEFAULT_REMIND_DAYS,
    MAX_VOTING,
    REMIND_DUE,
    REMINDER,
    TO_CONFIRM,
    RemindSchedule,
)
from models.votes.tables import (
    Ballot,
    BallotChoice,
    BallotVersion,
    RollOwner,
    Vote,
    VoteMatter,
    VoteStatus,
)
from tests.commands import linli
from tests.conftest import COMMUNITY, person, place, resident
from tests.test_votes_service import (  # noqa: F401  (estate: a fixture)
    B1,
    T0,
    TZ,
    close,
    draft,
    during,
    estate,
    households,
    opened,
    outbox,
    staff_of,
)

pytestmark = pytest.mark.usefixtures("places")
OSMANTHUS = "城东街道/桂花社区/桂花网格/1栋"  # a building of the other estate, 桂花苑


async def count(session, table) -> int:
    return await session.scalar(select(func.count()).select_from(table))


async def cast(session, vote: Vote, voter, choices=None, now=None):
    [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=voter,
                                         now=now or during(vote))
    return await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                              choices=choices or {1: "agree", 2: "agree"},
                              now=now or during(vote))


async def tick(db, now: dt.datetime, workers: int = 1) -> None:
    """The tick at `now`, on `workers` workers at once (each its own session)."""
    async def one() -> None:
        async with db.session() as s:
            await run_due(s, registry.effects(), now=now)

    await asyncio.gather(*(one() for _ in range(workers)))


async def reminded(session) -> list[int]:
    return await outbox(session, REMINDER)


# --- what a vote covers and holds ------------------------------------------------------------


async def test_a_vote_is_of_the_estate_or_one_of_its_buildings_only(session, estate):
    staff = await staff_of(session)
    for elsewhere in (OSMANTHUS, B1 + "/1单元", COMMUNITY):  # another estate's, a unit, …
        with pytest.raises(Invalid) as refused:
            await lifecycle.create(session, estate_id=estate.id, author=staff, title="t",
                                   building_id=(await place(session, elsewhere)).id)
        assert refused.value.message == "Choose a building of this estate."
    assert await count(session, Vote) == 0
    vote = await lifecycle.create(session, estate_id=estate.id, author=staff, title="t",
                                  building_id=(await place(session, B1)).id)
    assert vote.building_id == (await place(session, B1)).id


async def test_each_matter_has_an_item_from_1_to_9_and_a_vote_holds_at_most_12(session,
                                                                              estate):
    staff = await staff_of(session)
    vote = await lifecycle.create(session, estate_id=estate.id, author=staff, title="t")
    for item in (0, 10):
        with pytest.raises(Invalid, match="art. 278"):
            await lifecycle.add_matter(session, vote_id=vote.id, title="x", item=item,
                                       author=staff)
    for n in range(12):
        await lifecycle.add_matter(session, vote_id=vote.id, title=f"事项{n}", item=n % 9 + 1,
                                   author=staff)
    with pytest.raises(Invalid) as refused:
        await lifecycle.add_matter(session, vote_id=vote.id, title="第13项", item=1,
                                   author=staff)
    assert refused.value.params["limit"] == 12
    assert await count(session, VoteMatter) == 12


async def test_nobody_edits_an_announced_vote(session, estate):
    vote = await draft(session, estate)
    staff = await staff_of(session)
    await lifecycle.announce(session, vote_id=vote.id, author=staff, tz=TZ, now=T0)
    vid, opens = vote.id, vote.opens_at.astimezone(TZ).date()
    edits = [
        lambda a: lifecycle.set_title(session, vote_id=vid, title="改了", author=a),
        lambda a: lifecycle.add_matter(session, vote_id=vid, title="加一项", item=9, author=a),
        lambda a: lifecycle.remove_matter(session, vote_id=vid, number=1, author=a),
        lambda a: lifecycle.set_changeable(session, vote_id=vid, changeable=False, author=a),
        lambda a: lifecycle.set_reminders(session, vote_id=vid, days=[5], author=a),
        lambda a: lifecycle.set_dates(session, vote_id=vid, opens_on=opens + dt.timedelta(
            days=1), closes_on=opens + dt.timedelta(days=9), author=a, tz=TZ, now=T0),
        lambda a: lifecycle.announce(session, vote_id=vid, author=a, tz=TZ, now=T0)]
    for edit in edits:
        with pytest.raises(Conflict) as refused:
            await edit(await staff_of(session))
        assert refused.value.message == lifecycle.NOT_DRAFT
        await session.rollback()
    vote = await session.get(Vote, vid)
    assert (vote.title, vote.changeable, vote.remind_days) == ("2027年业主大会", True, [3, 1])
    assert vote.opens_at.astimezone(TZ).date() == opens
    matters = await session.execute(select(VoteMatter.number, VoteMatter.item, VoteMatter.title)
                                    .order_by(VoteMatter.number))
    assert matters.all() == [(1, 1, "议事规则"), (2, 6, "续筹维修资金")]


async def test_the_15_days_count_from_the_day_it_is_announced(session, estate):
    """Dates chosen on 1 December with the earliest opening; announced a day later, that
    opening leaves only 14 days: refused, naming the new earliest day; nobody is told."""
    vote = await draft(session, estate)
    staff = await staff_of(session)
    later, vid = T0 + dt.timedelta(days=1), vote.id
    with pytest.raises(Invalid) as refused:
        await lifecycle.announce(session, vote_id=vid, author=staff, tz=TZ, now=later)
    assert refused.value.params["day"] == later.astimezone(TZ).date() + dt.timedelta(days=16)
    await session.rollback()
    assert (await session.get(Vote, vid)).status == VoteStatus.DRAFT
    assert await count(session, OutboxMessage) == 0


# --- the roll --------------------------------------------------------------------------------


async def test_the_roll_is_frozen_when_voting_opens(session, estate):
    """After opening, the register changes (an area, a shared owner reference, a developer's
    unit): the roll, its totals, the progress and the count stay as they were at opening."""
    staff = await staff_of(session)
    voter = await resident(session, staff, 21, B1 + "/1单元/101")
    vote = await opened(session, estate, building=B1)
    owners, area = vote.roll_owners, vote.roll_area
    keys = set(await session.scalars(select(RollOwner.key).where(RollOwner.vote_id == vote.id)))
    home = await place(session, B1 + "/1单元/101")  # 89.00 m² when voting opened
    pair = [(await place(session, B1 + "/1单元/" + r)).id for r in ("102", "201")]
    builder = [(await place(session, B1 + "/2单元/" + r)).id for r in ("101", "102")]
    await session.execute(update(Place).where(Place.id == home.id).values(floor_area=500))
    await session.execute(update(Place).where(Place.id.in_(pair)).values(owner_ref="证-99"))
    await session.execute(update(Place).where(Place.id.in_(builder)).values(developer=True))
    await session.commit()
    await cast(session, vote, voter)
    [row] = await following.by_building(session, vote, [(await place(session, B1)).path])
    assert (row.households, row.area, row.voted_area) == (20, area, 8900)
    await close(session, vote)
    assert (vote.roll_owners, vote.roll_area) == (owners, area) and owners == 20
    assert set(await session.scalars(select(RollOwner.key).where(
        RollOwner.vote_id == vote.id))) == keys
    first = vote.result["matters"][0]
    assert (first["owners_total"], first["area_voted"]) == (20, "89.00")


# --- reminders -------------------------------------------------------------------------------


async def test_automatic_reminders_reach_those_who_have_not_voted_each_once(db, session,
                                                                           estate):
    """3 days and 1 day before closing (the default schedule): only the owners who have not
    voted, each reminder once even with three workers ticking at once; the staff button the
    same day finds everyone reminded already."""
    staff = await staff_of(session)
    voter = await resident(session, staff, 41, B1 + "/1单元/101")
    await resident(session, staff, 42, B1 + "/1单元/102")
    late = await resident(session, staff, 43, B1 + "/1单元/201")
    vote = await opened(session, estate, building=B1)
    await cast(session, vote, voter)
    three_days = vote.closes_at - dt.timedelta(days=3) + dt.timedelta(minutes=1)
    await tick(db, three_days, workers=3)
    await tick(db, three_days + dt.timedelta(minutes=5))
    assert await reminded(session) == [42, 43]
    with pytest.raises(Conflict) as refused:
        await following.remind(session, vote_id=vote.id, by=staff,
                               now=three_days + dt.timedelta(hours=2))
    assert refused.value.params["count"] == 2
    await session.rollback()
    for loaded in (vote, late):  # (a refusal's rollback expires them)
        await session.refresh(loaded)
    await cast(session, vote, late, now=three_days + dt.timedelta(hours=3))
    await tick(db, vote.closes_at - dt.timedelta(days=1) + dt.timedelta(minutes=1), workers=2)
    assert await reminded(session) == [42, 42, 43]


async def test_after_downtime_the_reminders_due_meanwhile_come_once(db, session, estate):
    """The bot was down over both reminders' times: when it comes back before closing, each
    owner who has not voted gets one reminder, not two (at most one a day)."""
    staff = await staff_of(session)
    await resident(session, staff, 42, B1 + "/1单元/102")
    vote = await opened(session, estate, building=B1)
    await tick(db, vote.closes_at - dt.timedelta(hours=12), workers=2)
    assert await reminded(session) == [42]


async def test_after_downtime_past_the_deadline_nobody_is_reminded_and_it_closes_once(
        db, session, estate):
    """Down over the reminders and the closing: back up with three workers, the vote closes
    exactly once (counted once, the convenors asked to confirm once, one audit row), and no
    reminder goes out for a vote that has ended. Before the closing has run, a ballot or
    the staff's reminder button is refused as late."""
    staff = await staff_of(session)
    voter = await resident(session, staff, 41, B1 + "/1单元/101")
    waiting = await resident(session, staff, 42, B1 + "/1单元/102")
    vote = await opened(session, estate, building=B1)
    await cast(session, vote, voter)
    after = vote.closes_at + dt.timedelta(days=2)
    with pytest.raises(Conflict, match="closed"):
        await cast(session, vote, waiting, now=vote.closes_at)
    with pytest.raises(Conflict, match="only be sent while voting is open"):
        await following.remind(session, vote_id=vote.id, by=staff, now=after)
    await session.rollback()
    await tick(db, after, workers=3)
    await tick(db, after + dt.timedelta(minutes=1))
    await session.refresh(vote)
    assert vote.status == VoteStatus.COUNTED
    assert vote.result["matters"][0]["owners_voted"] == 1
    assert await reminded(session) == []
    assert await outbox(session, TO_CONFIRM) == [900, 901, 902]
    closes = await session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "vote.close"))
    assert closes == 1
    assert await count(session, Ballot) == 1


async def test_the_reminder_schedule_picked_in_the_draft_is_the_one_kept(db, session, estate):
    """A new draft reminds 3 days and 1 day before closing; the convenor picks "7, 3 and 1
    days" (voting lasting two weeks): the reminders fall due at 10:00 7, 3 and 1 days before
    closing, and each reaches only the owners who have not voted by then. Someone who does
    not convene this vote (an owner, another estate's committee member) changes nothing."""
    staff = await staff_of(session)
    voter = await resident(session, staff, 41, B1 + "/1单元/101")
    await resident(session, staff, 42, B1 + "/1单元/102")
    late = await resident(session, staff, 43, B1 + "/1单元/201")
    other = await person(session, 950, "桂花苑委员")
    await grant_seat(session, estate_id=(await estate_by_names(
        session, ["城东街道", "桂花社区", "桂花苑"])).id, person_id=other.id,
        body=Body.COMMITTEE, actor_id=None)  # (granted by an administrator)

    async def week_ahead(session, vote: Vote) -> None:
        assert vote.remind_days == list(DEFAULT_REMIND_DAYS) == [3, 1]
        await lifecycle.set_reminders(session, vote_id=vote.id, author=staff,
                                      days=list(RemindSchedule.WEEK.days))
        opens = vote.opens_at.astimezone(TZ).date()
        await lifecycle.set_dates(session, vote_id=vote.id, opens_on=opens, author=staff,
                                  closes_on=opens + dt.timedelta(days=13), tz=TZ, now=T0)
        for outsider in (voter, other):
            with pytest.raises(NotAllowed):
                await lifecycle.set_reminders(session, vote_id=vote.id, author=outsider,
                                              days=list(RemindSchedule.NONE.days))
            await session.rollback()
            for loaded in (vote, staff, voter, late, other):  # (the rollback expired them)
                await session.refresh(loaded)

    vote = await opened(session, estate, building=B1, then=week_ahead)
    assert vote.remind_days == [7, 3, 1]
    due = await session.scalars(select(DueItem.due_at).where(
        DueItem.kind == REMIND_DUE, DueItem.ref_id == vote.id).order_by(DueItem.due_at))
    # closing at the end of its day: each at 10:00 on the day 7, 3 and 1 days before it
    closing_day = vote.closes_at.astimezone(TZ).date()
    at_ten = [dt.datetime.combine(closing_day - dt.timedelta(days=d), dt.time(10), tzinfo=TZ)
              for d in (7, 3, 1)]
    assert list(due) == at_ten
    await cast(session, vote, voter)
    minute = dt.timedelta(minutes=1)
    await tick(db, at_ten[0] - minute)
    assert await reminded(session) == []  # (not yet)
    await tick(db, at_ten[0] + minute, workers=2)
    assert await reminded(session) == [42, 43]
    await cast(session, vote, late, now=vote.closes_at - dt.timedelta(days=5))
    await tick(db, at_ten[1] + minute)
    assert await reminded(session) == [42, 42, 43]
    await tick(db, at_ten[2] + minute)
    assert await reminded(session) == [42, 42, 42, 43]


async def test_with_no_automatic_reminders_only_the_button_reminds(db, session, estate):
    """"No automatic reminders": nothing falls due and nothing is sent by itself until the
    vote closes; the convenors' button still reminds who has not voted."""
    staff = await staff_of(session)
    await resident(session, staff, 42, B1 + "/1单元/102")

    async def none(session, vote: Vote) -> None:
        await lifecycle.set_reminders(session, vote_id=vote.id, author=staff,
                                      days=list(RemindSchedule.NONE.days))

    vote = await opened(session, estate, building=B1, then=none)
    assert vote.remind_days == []
    assert await session.scalar(select(func.count()).select_from(DueItem).where(
        DueItem.kind == REMIND_DUE)) == 0
    for days_left in (3, 1):
        await tick(db, vote.closes_at - dt.timedelta(days=days_left, minutes=-1))
    assert await reminded(session) == []
    assert await following.remind(session, vote_id=vote.id, by=staff,
                                  now=vote.closes_at - dt.timedelta(hours=5)) == 1
    assert await reminded(session) == [42]


async def test_a_reminder_schedule_outside_0_to_30_days_is_refused(session, estate):
    vote_id = (await draft(session, estate)).id
    for days in ([31], [3, -1]):
        with pytest.raises(Invalid, match="0 to 30 days"):
            await lifecycle.set_reminders(session, vote_id=vote_id, days=days,
                                          author=await staff_of(session))
        await session.rollback()
    assert (await session.get(Vote, vote_id)).remind_days == [3, 1]


# --- scrutineers, who voted how -----------------------------------------------------------


async def test_every_confirmation_is_audited_with_its_scrutineer(session, estate):
    staff = await staff_of(session)
    member = await person(session, 901, "李委员")
    vote = await opened(session, estate, building=B1)
    await close(session, vote)
    await lifecycle.confirm_count(session, vote_id=vote.id, person=staff)
    await lifecycle.confirm_count(session, vote_id=vote.id, person=member)
    rows = (await session.execute(
        select(AuditEntry.action, AuditEntry.actor_id).where(AuditEntry.action.in_(
            ["vote.confirm", "vote.publish"])).order_by(AuditEntry.id))).all()
    assert rows == [("vote.confirm", staff.id), ("vote.confirm", member.id),
                    ("vote.publish", None)]


async def test_who_voted_how_is_for_the_convenors_and_only_after_closing(session, estate):
    staff = await staff_of(session)
    voter = await resident(session, staff, 41, B1 + "/1单元/101")
    vote = await opened(session, estate, building=B1)
    await cast(session, vote, voter, {1: "agree", 2: "disagree"})
    member = await person(session, 901, "李委员")
    for viewer in (staff, member):
        with pytest.raises(Conflict, match="only after voting has closed"):
            await following.ballots_after_closing(session, vote_id=vote.id, viewer=viewer)
    await close(session, vote)
    with pytest.raises(NotAllowed):  # an owner sees their own ballot only
        await following.ballots_after_closing(session, vote_id=vote.id, viewer=voter)
    [(home, area, choices, channel)] = await following.ballots_after_closing(
        session, vote_id=vote.id, viewer=member)
    assert (home, area, choices, channel) == ("101", 8900, {"1": "agree", "2": "disagree"},
                                              "online")


# --- a ballot of another vote ----------------------------------------------------------------


async def test_a_ballot_for_another_votes_owner_or_matter_writes_nothing(session, estate):
    """Two votes open at once: the roll owner of one is not on the other's roll; a choice for a
    matter the vote does not have (or one missing) is refused; nothing is written."""
    staff = await staff_of(session)
    voter = await resident(session, staff, 41, B1 + "/1单元/101")
    first = await opened(session, estate, building=B1)
    second = await opened(session, estate, building=B1, matters=((4, "续聘物业"),))
    [mine] = await ballots.voter_owners(session, vote_id=first.id, person=voter,
                                        now=during(first))
    with pytest.raises(NotAllowed):
        await ballots.cast(session, vote_id=second.id, owner_id=mine.id, person=voter,
                           choices={1: "agree"}, now=during(second))
    [theirs] = await ballots.voter_owners(session, vote_id=second.id, person=voter,
                                          now=during(second))
    for choices in ({1: "agree", 2: "agree"}, {2: "agree"}, {1: "yes"}, {}):
        with pytest.raises(Invalid, match="every matter"):
            await ballots.cast(session, vote_id=second.id, owner_id=theirs.id, person=voter,
                               choices=choices, now=during(second))
    await session.rollback()
    for table in (Ballot, BallotChoice, BallotVersion):
        assert await count(session, table) == 0
    assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "vote.ballot")) == 0


# --- the total voting time -------------------------------------------------------------------


async def test_the_total_voting_time_is_bounded_by_the_setting(session, estate, monkeypatch):
    assert Settings().vote_max_voting == MAX_VOTING == dt.timedelta(days=90)  # about 3 months
    monkeypatch.setenv("LINLI_VOTE_MAX_DAYS", "10")
    short = Settings().vote_max_voting
    assert short == dt.timedelta(days=10)
    staff = await staff_of(session)
    vote = await opened(session, estate, building=B1)  # 7 days
    last = vote.closes_at.astimezone(TZ).date()
    with pytest.raises(Invalid) as refused:
        await lifecycle.extend(session, vote_id=vote.id, closes_on=last + dt.timedelta(days=4),
                               author=staff, tz=TZ, now=during(vote), max_voting=short)
    assert refused.value.params["days"] == 10
    await session.rollback()
    for loaded in (vote, staff):
        await session.refresh(loaded)
    await lifecycle.extend(session, vote_id=vote.id, closes_on=last + dt.timedelta(days=3),
                           author=staff, tz=TZ, now=during(vote), max_voting=short)
    other = await draft(session, estate)
    opens = other.opens_at.astimezone(TZ).date()
    with pytest.raises(Invalid):
        await lifecycle.set_dates(session, vote_id=other.id, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=10), author=staff,
                                  tz=TZ, now=T0, max_voting=short)


# --- the export and recount commands -------------------------------------------------------


async def at_head(db) -> None:
    """Mark the test database (its tables made from the models) as migrated: the commands
    refuse a database whose schema is not at the head revision."""
    from alembic import command

    from bot.migrate import alembic_config

    def stamp(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.stamp(config, "head")

    async with db.engine.begin() as connection:
        await connection.run_sync(stamp)


async def test_the_commands_export_and_recount_to_the_bots_own_result(db, db_url, session,
                                                                     estate, tmp_path):
    staff = await staff_of(session)
    units = await households(session, B1)
    units[0].owner_ref = units[1].owner_ref = "证-7"  # one buyer's two flats
    await session.commit()
    voters = [await resident(session, staff, 80 + n, room) for n, room in enumerate(
        [B1 + "/1单元/101", B1 + "/1单元/201", B1 + "/1单元/202", B1 + "/2单元/101"])]
    vote = await opened(session, estate, building=B1)
    for n, voter in enumerate(voters):
        await cast(session, vote, voter, {1: ("agree", "disagree", "abstain")[n % 3],
                                          2: "agree"})
    await close(session, vote)
    await at_head(db)
    folder = tmp_path / "recount"
    exported = linli("votes", "export", str(vote.id), str(folder), url=db_url)
    assert exported.returncode == 0, exported.stderr
    assert "roll.csv (19 owners)" in exported.stdout
    recounted = linli("votes", "recount", str(folder), "--json", url=db_url)
    assert recounted.returncode == 0, recounted.stderr
    assert json.loads(recounted.stdout) == vote.result
    # the JSON as the README documents it: these keys, areas as decimal strings
    matter = json.loads(recounted.stdout)["matters"][0]
    assert list(matter) == ["matter", "owners_total", "area_total", "owners_voted",
                            "area_voted", "quorum", "agree_owners", "agree_area",
                            "disagree_owners", "disagree_area", "abstain_owners",
                            "abstain_area", "passed"]
    assert isinstance(matter["area_total"], str) and matter["owners_voted"] == 4
    assert (matter["agree_owners"], matter["disagree_owners"], matter["abstain_owners"]) == (
        2, 1, 1)
