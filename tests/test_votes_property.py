"""Owners' votes under random sequences of what people do — vote, change, remind, extend,
close, count, confirm, export, recount — on SQLite and PostgreSQL, over a vote of two
decisions and a committee election (three candidates, two seats). After every step: nobody
is counted twice, the totals are the frozen roll's, and once counted the stored result is the
recount from the exported files alone."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from models.errors import DomainError
from models.estates import Estate
from models.people import Person
from models.votes import ballots, elections, following, lifecycle, recount, tally
from models.votes.export import export_files
from models.votes.tables import Ballot, RollOwner, Vote, VoteStatus
from tests.conftest import person, resident
from tests.test_votes_service import B1, TZ, close, during, estate, opened, staff_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("places")
ROOMS = [f"{B1}/{unit}单元/{floor}0{door}" for unit in (1, 2) for floor in range(1, 6)
         for door in (1, 2)]
CHOICES = st.sampled_from(["agree", "disagree", "abstain"])
TICKS = st.lists(st.integers(1, 3), max_size=3, unique=True)  # three: refused, two seats
STEPS = st.lists(st.one_of(
    st.tuples(st.just("vote"), st.integers(0, len(ROOMS) - 1), CHOICES, CHOICES, TICKS),
    st.tuples(st.just("remind")),
    st.tuples(st.just("extend"), st.integers(1, 40)),
    st.tuples(st.just("close")),
    st.tuples(st.just("confirm"), st.integers(0, 2)),
), min_size=1, max_size=30)


async def with_election(session, vote: Vote) -> None:
    """The draft's third matter: an election of two of three candidates."""
    staff = await staff_of(session)
    election = await elections.add_election(session, vote_id=vote.id, title="业主委员会选举",
                                            author=staff)
    for name in ("张伟", "李娜", "王强"):
        await elections.add_candidate(session, vote_id=vote.id, matter=election.number,
                                      name=name, author=staff)
    await elections.set_seats(session, vote_id=vote.id, matter=election.number, seats=2,
                              author=staff)


async def check(session, vote: Vote, tmp_path) -> None:
    await session.refresh(vote)
    cast = await session.scalar(select(func.count()).select_from(Ballot)
                                .where(Ballot.vote_id == vote.id))
    owners = await session.scalar(select(func.count(Ballot.owner_id.distinct()))
                                  .where(Ballot.vote_id == vote.id))
    assert cast == owners <= vote.roll_owners  # nobody counted twice
    roll = (await session.execute(select(func.count(), func.sum(RollOwner.area))
                                  .where(RollOwner.vote_id == vote.id))).one()
    assert (roll[0], roll[1]) == (vote.roll_owners, vote.roll_area)
    if vote.result is not None:
        await export_files(session, vote, tmp_path)
        recounted = recount.result_json(tally.tally(*recount.read_files(tmp_path)))
        assert recounted == vote.result
        assert all(m["owners_voted"] == cast for m in vote.result["matters"])


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
async def test_the_tally_always_equals_the_recount(session, estate, tmp_path, steps):  # noqa: F811
    # the fixtures live across examples, and a refusal's rollback expires their objects
    estate = await session.get_one(Estate, inspect(estate).identity[0])
    staff = await staff_of(session)
    if "voters" not in session.info:  # join them once
        session.info["voters"] = [(await resident(session, staff, 500 + n, room)).id
                                  for n, room in enumerate(ROOMS)]
    voter_ids = session.info["voters"]
    members = [staff] + [await person(session, t, n) for t, n in ((901, "李委员"),
                                                                  (902, "张委员"))]
    vote = await opened(session, estate, building=B1, then=with_election)
    now = during(vote)
    for step in steps:
        try:
            if step[0] == "vote":
                voter = await session.get_one(Person, voter_ids[step[1]])
                [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=voter,
                                                     now=now)
                await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                                   choices={1: step[2], 2: step[3], 3: tuple(step[4])},
                                   now=now)
            elif step[0] == "remind":
                await following.remind(session, vote_id=vote.id, by=staff, now=now)
            elif step[0] == "extend":
                day = vote.closes_at.astimezone(TZ).date() + dt.timedelta(days=step[1])
                await lifecycle.extend(session, vote_id=vote.id, closes_on=day, author=staff,
                                       tz=TZ, now=now)
            elif step[0] == "close" and vote.status == VoteStatus.OPEN:
                await close(session, vote)
                now = vote.closes_at + dt.timedelta(minutes=1)
            elif step[0] == "confirm":
                await lifecycle.confirm_count(session, vote_id=vote.id, person=members[step[1]])
        except DomainError:  # refused with a reason: nothing written
            await session.rollback()
            for loaded in (vote, *members):  # (a press has a session of its own; here, reload)
                await session.refresh(loaded)
        await check(session, vote, tmp_path)
