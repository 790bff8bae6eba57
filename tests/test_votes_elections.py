"""Committee elections (art. 278 item 3), the model layer: a draft's election with its
candidates (name, description, photo) and seats, refused until complete; owners choosing up
to the seats (an empty ballot abstains); the count by candidate, a tie at the last seat shown
to the convenors for a run-off; and the export recounting to the bot's own result."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.i18n import tr
from handlers.votes.rendering import render_to_confirm
from models.errors import Invalid
from models.places import Place
from models.schedule import DueItem
from models.votes import ballots, elections, lifecycle, recount, tally
from models.votes.core import OPEN_DUE
from models.votes.export import export_files
from models.votes.tables import Vote, VoteMatter, VoteStatus
from tests.conftest import resident
from tests.test_votes_service import (  # noqa: F401  (estate: a fixture)
    B1,
    T0,
    TZ,
    close,
    during,
    estate,
    staff_of,
)

pytestmark = pytest.mark.usefixtures("places")
ROOMS = [f"{B1}/{unit}单元/{floor}0{door}" for unit in (1, 2) for floor in range(1, 6)
         for door in (1, 2)]
CANDIDATES = (("张伟", "1栋 退休教师"), ("李娜", "2栋 会计"), ("王强", "律师"))


async def election_draft(session, estate, *, seats: int | None = 2,  # noqa: F811
                         candidates=CANDIDATES, decision: bool = True) -> tuple[Vote, int]:
    """A draft over 1栋: a decision (item 4, if `decision`), then the election."""
    staff = await staff_of(session)
    vote = await lifecycle.create(session, estate_id=estate.id, author=staff,
                                  title="2027年业主大会",
                                  building_id=(await resident_building(session)).id)
    if decision:
        await lifecycle.add_matter(session, vote_id=vote.id, title="续聘物业", item=4,
                                   author=staff)
    election = await elections.add_election(session, vote_id=vote.id, author=staff,
                                            title="第三届业主委员会选举")
    for name, about in candidates:
        await elections.add_candidate(session, vote_id=vote.id, matter=election.number,
                                      name=name, author=staff)
        await elections.describe_candidate(session, vote_id=vote.id, matter=election.number,
                                           about=about, author=staff)
    if seats is not None:
        await elections.set_seats(session, vote_id=vote.id, matter=election.number,
                                  seats=seats, author=staff)
    opens = lifecycle.earliest_opening(T0.astimezone(TZ).date())
    await lifecycle.set_dates(session, vote_id=vote.id, opens_on=opens,
                              closes_on=opens + dt.timedelta(days=6), author=staff, tz=TZ,
                              now=T0)
    return vote, election.number


async def resident_building(session):
    from tests.conftest import place

    return await place(session, B1)


async def open_it(session, vote: Vote) -> Vote:
    await lifecycle.announce(session, vote_id=vote.id, author=await staff_of(session), tz=TZ,
                             now=T0)
    item = await session.scalar(select(DueItem).where(DueItem.kind == OPEN_DUE,
                                                      DueItem.ref_id == vote.id))
    await lifecycle.open_due(session, item, vote.opens_at)
    await session.commit()
    await session.refresh(vote)
    assert vote.status == VoteStatus.OPEN
    return vote


async def voters(session, count: int) -> list:
    staff = await staff_of(session)
    return [await resident(session, staff, 300 + n, room)
            for n, room in enumerate(ROOMS[:count])]


async def vote_for(session, vote, voter, choices) -> None:
    [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=voter,
                                         now=during(vote))
    await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                       choices=choices, now=during(vote))


async def test_an_election_is_written_with_its_candidates_and_refused_until_complete(
        session, estate):  # noqa: F811
    staff = await staff_of(session)
    vote, number = await election_draft(session, estate, seats=None)
    with pytest.raises(Invalid) as refused:  # no seats chosen yet
        await lifecycle.announce(session, vote_id=vote.id, author=staff, tz=TZ, now=T0)
    assert refused.value.params == {"matter": 2}
    with pytest.raises(Invalid):  # more seats than candidates
        await elections.set_seats(session, vote_id=vote.id, matter=number, seats=4,
                                  author=staff)
    for name in ("李娜", "A;B", "  "):  # twice, the recount files' separator, nothing
        with pytest.raises(Invalid):
            await elections.add_candidate(session, vote_id=vote.id, matter=number, name=name,
                                          author=staff)
    with pytest.raises(Invalid):  # a decision is no election
        await elections.add_candidate(session, vote_id=vote.id, matter=1, name="赵六",
                                      author=staff)
    await elections.set_candidate_photo(session, vote_id=vote.id, matter=number,
                                        file_id="AgACAgIAAx0", author=staff)
    await elections.drop_candidate(session, vote_id=vote.id, matter=number, number=1,
                                   author=staff)
    matter = await session.scalar(select(VoteMatter).where(VoteMatter.number == number))
    assert matter.options == ["李娜", "王强"] and matter.kind == "election" and matter.item == 3
    found = (await elections.candidates_of(session, vote.id))[number]
    assert [(c.number, c.name, c.about, c.photo_id) for c in found] == [
        (1, "李娜", "2栋 会计", None), (2, "王强", "律师", "AgACAgIAAx0")]
    await elections.set_seats(session, vote_id=vote.id, matter=number, seats=2, author=staff)
    await elections.drop_candidate(session, vote_id=vote.id, matter=number, number=2,
                                   author=staff)
    await session.refresh(matter)
    assert matter.seats == 1  # the seats shrink with the candidates
    await lifecycle.announce(session, vote_id=vote.id, author=staff, tz=TZ, now=T0)


async def test_owners_choose_up_to_the_seats_and_the_count_names_the_elected(
        session, estate, tmp_path):  # noqa: F811
    """15 of 1栋's 20 owners vote (the quorum): 张伟 chosen by all, 李娜 by 9, 王强 by 5, two
    abstain; two seats: 张伟 and 李娜 are elected."""
    vote, number = await election_draft(session, estate)
    vote = await open_it(session, vote)
    people = await voters(session, 15)
    with pytest.raises(Invalid):  # three of two seats
        await vote_for(session, vote, people[0], {1: "agree", 2: (1, 2, 3)})
    with pytest.raises(Invalid):  # a candidate the election does not have
        await vote_for(session, vote, people[0], {1: "agree", 2: (4,)})
    with pytest.raises(Invalid):  # every matter answered
        await vote_for(session, vote, people[0], {2: (1,)})
    picks = [(1, 2)] * 9 + [(1, 3)] * 4 + [(3,), ()]
    for voter, chosen in zip(people, picks, strict=True):
        await vote_for(session, vote, voter, {1: "agree", 2: chosen})
    [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=people[14],
                                         now=during(vote))
    cast = await ballots.ballot_of(session, vote.id, owner.id)
    assert await ballots.choices_of(session, cast.id) == {"1": "agree", "2": ""}
    await close(session, vote)
    result = vote.result["matters"][1]
    assert result["kind"] == "election" and result["quorum"] is True
    assert [(o["name"], o["owners"], o["elected"]) for o in result["options"]] == [
        ("张伟", 13, True), ("李娜", 9, True), ("王强", 5, False)]
    assert result["abstain_owners"] == 1 and result["tie_at_last_seat"] == []
    await export_files(session, vote, tmp_path)
    ballots_csv = (tmp_path / "ballots.csv").read_text(encoding="utf-8-sig")
    assert ",1;2\n" in ballots_csv.replace("\r", "") and ",agree,\n" in ballots_csv.replace(
        "\r", "")
    matters_csv = (tmp_path / "matters.csv").read_text(encoding="utf-8-sig")
    assert "2,election,3,2,张伟;李娜;王强" in matters_csv
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == vote.result


async def test_a_tie_at_the_last_seat_is_shown_to_the_convenors_for_a_run_off(
        session, estate, tmp_path):  # noqa: F811
    """Two seats, every home of 1栋 80 m²: 张伟 chosen by 12 owners, 李娜 and 王强 by 10
    each — 张伟 is elected, the other two are tied for the last seat and neither is, and the
    convenors' count says a run-off is needed."""
    await session.execute(update(Place).where(Place.path.startswith(
        (await resident_building(session)).path)).values(floor_area=80))
    await session.commit()
    vote, number = await election_draft(session, estate, decision=False)
    vote = await open_it(session, vote)
    people = await voters(session, 16)
    for voter, chosen in zip(people, [(1, 2)] * 6 + [(1, 3)] * 6 + [(2, 3)] * 4, strict=True):
        await vote_for(session, vote, voter, {1: chosen})
    await close(session, vote)
    result = vote.result["matters"][0]
    assert [(o["owners"], o["elected"]) for o in result["options"]] == [
        (12, True), (10, False), (10, False)]
    assert result["tie_at_last_seat"] == [2, 3]
    for language, words in (("en", "Run-off needed"), ("zh_CN", "需要再次选举")):
        told = await render_to_confirm(session, {"vote_id": vote.id}, tr(language, TZ))
        assert words in told.text and "李娜、王强" in told.text
    await export_files(session, vote, tmp_path)
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == vote.result
