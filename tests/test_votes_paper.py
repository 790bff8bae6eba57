"""The paper side of owners' votes (#15), the model layer: the officers a vote's convenors
authorise to enter paper and on-site ballots (who may be authorised, by whom, when; each
change audited), and the ballots they enter — by the printed ballot's token or from the roll,
into the same roll and tally with their channel, audited; an owner's first ballot counting
whichever way it came; bad codes, officers and votes refused with nothing written; a secret
paper ballot with its receipt and nothing more kept of its owner."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.audit import AuditEntry
from models.base import Base
from models.errors import Conflict, Invalid, NotAllowed, NotFound, StaleButton
from models.outbox import OutboxMessage
from models.people import Role
from models.votes import ballots, closing, officers, paper, printing, recount, tally
from models.votes.export import export_files
from models.votes.tables import Ballot, SecretBallot
from tests.conftest import COMMUNITY, person, place, resident
from tests.test_votes_printing import announced
from tests.test_votes_service import (  # noqa: F401  (estate: a fixture)
    B1,
    B2,
    close,
    draft,
    during,
    estate,
    opened,
    staff_of,
)

pytestmark = pytest.mark.usefixtures("places")
GRID = COMMUNITY + "/第一网格"


async def workers(session):
    """A grid worker of 1栋's grid, a volunteer of 1栋, and a staff member of another
    community (桂花社区), who does not work for 阳光花园."""
    return (await person(session, 910, "格网员", role=Role.GRID_WORKER, at=GRID),
            await person(session, 911, "志愿者", role=Role.VOLUNTEER, at=B1),
            await person(session, 912, "桂花社工", role=Role.STAFF, at="城东街道/桂花社区"))


async def test_convenors_authorise_the_people_who_work_for_the_estate(session, estate):  # noqa: F811
    staff = await staff_of(session)
    grid, volunteer, elsewhere = await workers(session)
    owner = await resident(session, staff, 31, B1 + "/1单元/101")
    vote = await announced(session, estate)
    found, people, chosen = await officers.candidates(session, vote_id=vote.id, author=staff)
    assert found.id == vote.id and not chosen
    assert {p.name for p in people} == {"王主任", "李委员", "张委员", "格网员", "志愿者"}

    assert await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    assert not await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    member = await person(session, 901, "李委员")  # a committee member convenes too
    assert await officers.grant(session, vote_id=vote.id, person_id=volunteer.id,
                                author=member)
    await officers.require_officer(session, grid, vote)
    assert [p.name for p in await officers.officers_of(session, vote.id)] == ["志愿者", "格网员"]
    assert [v.id for v in await officers.votes_entered_by(session, grid)] == [vote.id]
    for who in (elsewhere, owner):  # neither works for the estate: refused, nothing written
        with pytest.raises(NotAllowed):
            await officers.grant(session, vote_id=vote.id, person_id=who.id, author=staff)
        with pytest.raises(NotAllowed):
            await officers.require_officer(session, who, vote)
    with pytest.raises(NotAllowed):  # an owner cannot authorise anyone
        await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=owner)

    assert await officers.revoke(session, vote_id=vote.id, person_id=grid.id, author=staff)
    assert not await officers.revoke(session, vote_id=vote.id, person_id=grid.id,
                                     author=staff)
    with pytest.raises(NotAllowed):
        await officers.require_officer(session, grid, vote)
    entries = list(await session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("vote.officer%")).order_by(AuditEntry.id)))
    assert [(e.action, e.actor_id, e.detail["person"]) for e in entries] == [
        ("vote.officer_grant", staff.id, grid.id), ("vote.officer_grant", member.id,
                                                    volunteer.id),
        ("vote.officer_revoke", staff.id, grid.id)]


async def test_officers_are_authorised_while_the_vote_runs(session, estate):  # noqa: F811
    staff = await staff_of(session)
    grid, _volunteer, _elsewhere = await workers(session)
    vote = await draft(session, estate)
    with pytest.raises(Conflict):
        await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    vote = await opened(session, estate)
    assert await officers.grant(session, vote_id=vote.id, person_id=grid.id, author=staff)
    await close(session, vote)
    with pytest.raises(Conflict):
        await officers.revoke(session, vote_id=vote.id, person_id=grid.id, author=staff)
    assert not await officers.votes_entered_by(session, grid)


# --- entering paper and on-site ballots ------------------------------------------------------


async def officer_of(session, vote):
    """A grid worker authorised to enter the vote's ballots."""
    grid = await person(session, 920, "格网员", role=Role.GRID_WORKER, at=GRID)
    await officers.grant(session, vote_id=vote.id, person_id=grid.id,
                         author=await staff_of(session))
    return grid


async def tokens_of(session, vote) -> dict[str, str]:
    """Each printed ballot's token by its first home's name ("1栋 1单元 101")."""
    printed = await printing.printable(session, vote_id=vote.id, author=await staff_of(session))
    return {o.homes[0].name: o.token for o in printed.owners}


async def written(session) -> tuple[int, ...]:
    """What entering a ballot writes: ballots, secret ballots, the audit log's ballots."""
    return tuple([await session.scalar(select(func.count()).select_from(t)) for t in (
        Ballot, SecretBallot)] + [await session.scalar(select(func.count()).select_from(
            AuditEntry).where(AuditEntry.action == "vote.ballot"))])


async def test_an_officer_enters_a_paper_ballot_into_the_same_tally(session, estate, tmp_path):  # noqa: F811
    """By the printed ballot's QR code (its token) and from the roll: the ballots are the
    owners', cast by the officer with their channel, audited, the home's owners told; the
    tally counts them with the online ones and the export recounts to it."""
    staff = await staff_of(session)
    ann = await resident(session, staff, 41, B1 + "/1单元/101", name="李秀英")
    bob = await resident(session, staff, 42, B1 + "/1单元/102")
    vote = await opened(session, estate, building=B1)
    grid = await officer_of(session, vote)
    tokens = await tokens_of(session, vote)
    at = during(vote)

    found = await paper.by_token(session, token=tokens["1栋 1单元 101"], by=grid,
                                 language="zh_CN", now=at)
    assert found.names == ("李秀英",) and found.homes == ("1栋 1单元 101",)
    done = await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                              channel="paper", answers={1: "agree", 2: "abstain"}, now=at)
    assert done.ballot_id is not None and done.receipt is None
    picked = await paper.by_home(session, vote_id=vote.id, household_id=(
        await place(session, B1 + "/1单元/201")).id, by=grid, language="en", now=at)
    await paper.record(session, vote_id=vote.id, owner_id=picked.owner.id, by=grid,
                       channel="on-site", answers={1: "disagree", 2: "agree"}, now=at)
    [own] = await ballots.voter_owners(session, vote_id=vote.id, person=bob, now=at)
    await ballots.cast(session, vote_id=vote.id, owner_id=own.id, person=bob,
                       choices={1: "agree", 2: "agree"}, now=at)

    cast = {b.channel: b for b in await session.scalars(select(Ballot))}
    assert sorted(cast) == ["on-site", "online", "paper"]
    assert cast["paper"].cast_by_id == grid.id and cast["online"].cast_by_id == bob.id
    audited = list(await session.scalars(select(AuditEntry).where(
        AuditEntry.action == "vote.ballot", AuditEntry.actor_id == grid.id)))
    assert sorted(e.detail["channel"] for e in audited) == ["on-site", "paper"]
    told = list(await session.execute(select(OutboxMessage.chat_id, OutboxMessage.payload)
                                      .where(OutboxMessage.kind == paper.PAPER_ENTERED)))
    assert [(chat, p["channel"], p["by"]) for chat, p in told] == [(41, "paper", grid.id)]
    assert ann.id != grid.id  # (the officer is told nothing; the owner is)

    # the same tally: three ballots, two of them entered; the export recounts to it
    [first, second] = await closing.tally_of(session, vote)
    assert (first.owners_voted, first.agree.owners, first.disagree.owners) == (3, 2, 1)
    assert (second.agree.owners, second.abstain.owners) == (2, 1)
    await export_files(session, vote, tmp_path)
    recounted = tally.tally(*recount.read_files(tmp_path))
    assert recount.result_json(recounted) == recount.result_json([first, second])
    channels = sorted(line.split(",")[2] for line in (tmp_path / "ballots.csv").read_text(
        encoding="utf-8-sig").splitlines()[1:])
    assert channels == ["on-site", "online", "paper"]


async def test_an_owners_first_ballot_counts_whichever_way_it_came(session, estate):  # noqa: F811
    staff = await staff_of(session)
    ann = await resident(session, staff, 41, B1 + "/1单元/101")
    bob = await resident(session, staff, 42, B1 + "/1单元/102")
    vote = await opened(session, estate, building=B1)
    grid = await officer_of(session, vote)
    tokens = await tokens_of(session, vote)
    at = during(vote)
    # Ann voted in the chat: her paper ballot is refused, saying when and how
    [own] = await ballots.voter_owners(session, vote_id=vote.id, person=ann, now=at)
    await ballots.cast(session, vote_id=vote.id, owner_id=own.id, person=ann,
                       choices={1: "agree", 2: "agree"}, now=at)
    before = await written(session)
    with pytest.raises(Conflict) as refused:
        await paper.by_token(session, token=tokens["1栋 1单元 101"], by=grid,
                             language="zh_CN", now=at + dt.timedelta(hours=1))
    assert refused.value.message == ballots.FIRST_CAST["online"]
    assert refused.value.params["when"] == at
    with pytest.raises(Conflict):  # a stale entry's Record: refused too
        await paper.record(session, vote_id=vote.id, owner_id=own.id, by=grid,
                           channel="paper", answers={1: "disagree", 2: "agree"}, now=at)
    # Bob's paper ballot came first: his own in the chat is refused, and a second paper one
    found = await paper.by_token(session, token=tokens["1栋 1单元 102"], by=grid,
                                 language="zh_CN", now=at)
    await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                       channel="paper", answers={1: "disagree", 2: "agree"}, now=at)
    after = await written(session)
    with pytest.raises(Conflict) as refused:
        await ballots.cast(session, vote_id=vote.id, owner_id=found.owner.id, person=bob,
                           choices={1: "agree", 2: "agree"}, now=at + dt.timedelta(hours=2))
    assert refused.value.message == ballots.FIRST_CAST["paper"]
    with pytest.raises(Conflict) as refused:
        await paper.by_token(session, token=tokens["1栋 1单元 102"], by=grid, language="en",
                             now=at)
    assert refused.value.message == ballots.FIRST_CAST["paper"]
    assert after == tuple(n + d for n, d in zip(before, (1, 0, 1), strict=True))
    assert await written(session) == after


async def test_bad_codes_officers_and_votes_are_refused_and_nothing_written(
        session, estate):  # noqa: F811
    staff = await staff_of(session)
    vote = await opened(session, estate, building=B1)
    grid = await officer_of(session, vote)
    tokens = await tokens_of(session, vote)
    other = await opened(session, estate, building=B2)
    await officers.grant(session, vote_id=other.id, person_id=grid.id, author=staff)
    theirs = await tokens_of(session, other)
    at = during(vote)
    before = await written(session)
    with pytest.raises(NotFound):  # a code no ballot has
        await paper.by_token(session, token="2222333344445555", by=grid, language="en",
                             now=at)
    with pytest.raises(Invalid):  # not even a code
        await paper.by_code(session, vote_id=vote.id, text="hello", by=grid, language="en",
                            now=at)
    # entering 1栋's vote, a ballot of 2栋's vote is refused (typed, or scanned meanwhile)
    await paper.start(session, vote_id=vote.id, by=grid, now=at)
    with pytest.raises(Conflict) as refused:
        await paper.by_code(session, vote_id=vote.id, text=theirs["2栋 1单元 101"].lower(),
                            by=grid, language="en", now=at)
    assert refused.value.message == paper.OTHER_VOTE
    with pytest.raises(Conflict):
        await paper.by_token(session, token=theirs["2栋 1单元 101"], by=grid, language="en",
                             now=at)
    found = await paper.by_code(session, vote_id=vote.id, text=" " + "-".join(
        tokens["1栋 1单元 101"][i:i + 4] for i in range(0, 16, 4)), by=grid, language="en",
        now=at)
    assert found.homes == ("1栋 1单元 101",)
    # someone the convenors did not authorise: a committee member, and staff
    for who in (await person(session, 901, "李委员"), staff):
        with pytest.raises(NotAllowed):
            await paper.by_token(session, token=tokens["1栋 1单元 101"], by=who,
                                 language="en", now=at)
        with pytest.raises(NotAllowed):
            await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=who,
                               channel="paper", answers={1: "agree", 2: "agree"}, now=at)
    with pytest.raises(StaleButton):  # another vote's owner, or a made-up channel
        await paper.record(session, vote_id=other.id, owner_id=found.owner.id, by=grid,
                           channel="paper", answers={1: "agree", 2: "agree"}, now=at)
    with pytest.raises(StaleButton):
        await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                           channel="online", answers={1: "agree", 2: "agree"}, now=at)
    with pytest.raises(Invalid):  # every matter answered
        await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                           channel="paper", answers={1: "agree"}, now=at)
    await close(session, vote)
    with pytest.raises(Conflict):  # voting has closed
        await paper.by_token(session, token=tokens["1栋 1单元 101"], by=grid, language="en",
                             now=vote.closes_at)
    with pytest.raises(Conflict):
        await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                           channel="paper", answers={1: "agree", 2: "agree"},
                           now=vote.closes_at)
    assert await written(session) == before


async def test_a_secret_paper_ballot_gets_a_receipt_and_keeps_no_more(session, estate):  # noqa: F811
    """A paper ballot of a secret election: a receipt code for the owner, the ballot under it
    with its channel, and of the owner only what an online one keeps: the roll's mark and an
    audit row that the owner voted (here by the officer's hand)."""
    from tests.test_votes_secret import cast_by, secret_election

    staff = await staff_of(session)
    vote = await secret_election(session, estate)
    grid = await officer_of(session, vote)
    tokens = await tokens_of(session, vote)
    voter = await resident(session, staff, 43, B1 + "/1单元/102")
    online = await cast_by(session, vote, voter, (1,))
    found = await paper.by_token(session, token=tokens["1栋 1单元 101"], by=grid,
                                 language="zh_CN", now=during(vote))
    done = await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                              channel="paper", answers={1: (2, 3)}, now=during(vote))
    assert done.ballot_id is None and len(done.receipt) == 12
    stored = {b.receipt: b.channel for b in await session.scalars(select(SecretBallot))}
    assert stored == {done.receipt: "paper", online: "online"}
    assert not await session.scalar(select(func.count()).select_from(Ballot))
    entries = {e.actor_id: e.detail for e in await session.scalars(select(AuditEntry).where(
        AuditEntry.action == "vote.ballot"))}
    assert entries[grid.id] == {"owner": found.owner.id, "secret": True, "channel": "paper"}
    for table in Base.metadata.sorted_tables:  # the code is nowhere but in the ballot
        if table.name in ("vote_secret_ballot", "vote_secret_choice"):
            continue
        dump = " ".join(str(row) for row in await session.execute(select(table)))
        assert done.receipt not in dump, table.name
    # the owner's online ballot came first: the paper one is refused, when and how
    [own] = await ballots.voter_owners(session, vote_id=vote.id, person=voter,
                                       now=during(vote))
    with pytest.raises(Conflict) as refused:
        await paper.entry(session, vote_id=vote.id, owner_id=own.id, by=grid,
                          language="en", now=during(vote))
    assert refused.value.message == ballots.FIRST_CAST["online"]
    [counted] = await closing.tally_of(session, vote)
    assert counted.owners_voted == 2


# --- invalid ballots --------------------------------------------------------------------------


async def test_invalid_answers_take_part_and_count_for_nothing(session, estate, tmp_path):  # noqa: F811
    """No box ticked, or two, on a paper ballot's decision: the owner signed and takes part,
    and the answer agrees with nothing (like abstaining); the result counts the invalid
    answers apart, and the export recounts them ("invalid")."""
    staff = await staff_of(session)
    voter = await resident(session, staff, 44, B1 + "/2单元/101")
    vote = await opened(session, estate, building=B1)
    grid = await officer_of(session, vote)
    tokens = await tokens_of(session, vote)
    at = during(vote)
    entered = {}
    for home, answers in (("1栋 1单元 101", {1: "invalid:two", 2: "agree"}),
                          ("1栋 1单元 102", {1: "invalid:none", 2: "invalid:two"})):
        found = await paper.by_token(session, token=tokens[home], by=grid, language="en",
                                     now=at)
        await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                           channel="paper", answers=answers, now=at)
        entered[home] = found.owner
    [own] = await ballots.voter_owners(session, vote_id=vote.id, person=voter, now=at)
    await ballots.cast(session, vote_id=vote.id, owner_id=own.id, person=voter,
                       choices={1: "agree", 2: "agree"}, now=at)
    first, second = await closing.tally_of(session, vote)
    areas = {h: o.area for h, o in entered.items()}
    assert (first.owners_voted, first.agree.owners, first.invalid.owners) == (3, 1, 2)
    assert first.invalid.area == sum(areas.values()) and first.abstain.owners == 0
    assert first.majority_owners.whole == 3 and not first.majority_owners.met  # 1 of 3
    assert (second.agree.owners, second.invalid.owners) == (2, 1)
    as_json = recount.result_json([first, second])["matters"]
    assert (as_json[0]["invalid_owners"], as_json[1]["invalid_area"]) == (
        2, tally.area_text(areas["1栋 1单元 102"]))
    await export_files(session, vote, tmp_path)
    cells = (tmp_path / "ballots.csv").read_text(encoding="utf-8-sig")
    assert cells.count(",invalid") == 3
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == \
        recount.result_json([first, second])
    table = recount.result_table([first, second], lambda m, **p: m.format(**p))
    assert table.count("Invalid") == 2
    ballot = await ballots.ballot_of(session, vote.id, entered["1栋 1单元 101"].id)
    assert await ballots.choices_of(session, ballot.id) == {"1": "invalid:two", "2": "agree"}
    # an owner in the chat cannot cast an invalid answer, nor an officer an impossible one
    with pytest.raises(Invalid):
        await ballots.cast(session, vote_id=vote.id, owner_id=own.id, person=voter,
                           choices={1: "invalid", 2: "agree"}, now=at)
    found = await paper.by_token(session, token=tokens["1栋 1单元 201"], by=grid,
                                 language="en", now=at)
    for wrong in ("invalid:many", "invalid:blurred", "invalid"):
        with pytest.raises(Invalid):
            await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                               channel="paper", answers={1: wrong, 2: "agree"}, now=at)


async def test_an_election_with_more_ticks_than_seats_is_invalid_on_paper(session, estate):  # noqa: F811
    """Named and secret alike: the election's answer is invalid, the owner takes part, and
    no candidate gets anything from it."""
    from tests.test_votes_elections import election_draft, open_it
    from tests.test_votes_secret import secret_election

    named, _number = await election_draft(session, estate)
    named = await open_it(session, named)
    for vote, answers in ((named, {1: "agree", 2: "invalid:many"}),
                          (await secret_election(session, estate), {1: "invalid:many"})):
        grid = await officer_of(session, vote) if vote is named else (
            await person(session, 920, "格网员"))
        if vote is not named:
            await officers.grant(session, vote_id=vote.id, person_id=grid.id,
                                 author=await staff_of(session))
        tokens = await tokens_of(session, vote)
        found = await paper.by_token(session, token=next(iter(tokens.values())), by=grid,
                                     language="en", now=during(vote))
        with pytest.raises(Invalid):  # "two" is a decision's reason
            await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                               channel="paper", answers={n: "invalid:two" for n in answers},
                               now=during(vote))
        await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                           channel="on-site", answers=answers, now=during(vote))
        election = (await closing.tally_of(session, vote))[-1]
        assert (election.owners_voted, election.invalid.owners) == (1, 1)
        assert all(o.owners == 0 for o in election.options) and election.abstain.owners == 0


async def test_an_unsigned_ballot_is_counted_apart_and_does_not_take_part(session, estate):  # noqa: F811
    staff = await staff_of(session)
    owner = await resident(session, staff, 45, B1 + "/1单元/101", name="李秀英")
    vote = await opened(session, estate, building=B1)
    grid = await officer_of(session, vote)
    tokens = await tokens_of(session, vote)
    at = during(vote)
    found = await paper.by_token(session, token=tokens["1栋 1单元 101"], by=grid,
                                 language="en", now=at)
    before = await written(session)
    done = await paper.record_unsigned(session, vote_id=vote.id, owner_id=found.owner.id,
                                       by=grid, channel="paper", now=at)
    assert done.ballot_id is None and await paper.unsigned_count(session, vote.id) == 1
    assert await written(session) == before  # no ballot: not taking part
    assert not await ballots.has_voted(session, vote, found.owner.id)
    [first, _second] = await closing.tally_of(session, vote)
    assert first.owners_voted == 0
    [entry] = (await session.scalars(select(AuditEntry).where(
        AuditEntry.action == "vote.paper_unsigned"))).all()
    assert (entry.actor_id, entry.detail) == (grid.id, {"owner": found.owner.id,
                                                        "channel": "paper"})
    told = list(await session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.kind == paper.PAPER_UNSIGNED)))
    assert told == [45] and owner.telegram_id == 45
    with pytest.raises(Conflict) as refused:  # recorded once
        await paper.record_unsigned(session, vote_id=vote.id, owner_id=found.owner.id,
                                    by=grid, channel="paper", now=at)
    assert refused.value.message == paper.ALREADY_UNSIGNED
    # the owner can still vote: a signed ballot (or in the chat), which then counts
    await paper.record(session, vote_id=vote.id, owner_id=found.owner.id, by=grid,
                       channel="paper", answers={1: "agree", 2: "abstain"}, now=at)
    with pytest.raises(Conflict) as refused:  # and nothing more for an owner who voted
        await paper.record_unsigned(session, vote_id=vote.id, owner_id=found.owner.id,
                                    by=grid, channel="paper", now=at)
    assert refused.value.message == ballots.FIRST_CAST["paper"]
    with pytest.raises(NotAllowed):
        await paper.record_unsigned(session, vote_id=vote.id, owner_id=found.owner.id,
                                    by=staff, channel="paper", now=at)
    assert await paper.unsigned_count(session, vote.id) == 1
    [first, _second] = await closing.tally_of(session, vote)
    assert first.owners_voted == 1


def test_a_hand_made_folder_recounts_invalid_answers(tmp_path):
    """"invalid" in a decision's and in an election's column: counted apart, taking part."""
    (tmp_path / "matters.csv").write_text(
        "matter,kind,item,seats,candidates\n1,decision,4,,\n2,election,3,1,张伟;李娜\n",
        encoding="utf-8")
    (tmp_path / "roll.csv").write_text(
        "owner,households,area_m2,voted\no1,h1,90.00,yes\no2,h2,80.00,yes\no3,h3,70.00,yes\n",
        encoding="utf-8")
    (tmp_path / "ballots.csv").write_text(
        "ballot,area_m2,channel,m1,m2\nb1,90.00,paper,invalid,invalid\n"
        "b2,80.00,online,agree,1\nb3,70.00,on-site,agree,1\n", encoding="utf-8")
    first, second = tally.tally(*recount.read_files(tmp_path))
    assert (first.invalid.owners, first.invalid.area, first.passed) == (1, 9000, True)
    assert (second.invalid.owners, second.elected) == (1, (1,))
