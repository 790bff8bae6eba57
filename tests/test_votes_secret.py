"""Secret ballots for elections (#15), the model layer: the draft's option (elections only, a
cast ballot final), casting (the roll's mark, the ballot under its receipt code; nothing in
any column, key or storage order joins a ballot to its voter), one ballot per owner under a
race and for a thousand owners at once, the tally and the recount files, and the published
receipts with the check of a code."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, text

from models import Base
from models.audit import AuditEntry
from models.errors import Conflict, Invalid, NotAllowed, NotFound
from models.outbox import OutboxMessage
from models.votes import (
    ballots,
    closing,
    elections,
    following,
    lifecycle,
    reading,
    recount,
    secret,
    tally,
)
from models.votes.core import CO_OWNER_VOTED, REMINDER, vote_paths
from models.votes.export import export_files
from models.votes.tables import (
    Ballot,
    RollOwner,
    SecretBallot,
    SecretChoice,
    SecretVoter,
    Vote,
    VoteStatus,
)
from tests.conftest import person, resident
from tests.test_votes_elections import ROOMS, election_draft, open_it
from tests.test_votes_service import (  # noqa: F401  (estate: a fixture)
    B1,
    close,
    during,
    estate,
    presses_at_once,
    staff_of,
    synthetic_vote,
)

pytestmark = pytest.mark.usefixtures("places")
CODE = re.compile(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}")


@dataclass(frozen=True)
class Kept:
    """Where a kind of secret answer is kept: the answers' table (one row per key) and their
    choices' table, each exactly with these columns; the marks' table (who has voted); the
    parent whose rows they belong to (`of`, the column naming it); the only tables the
    answers' foreign keys may name."""

    answers: str
    choices: str
    marks: str
    of: str
    columns: dict[str, set[str]]
    may_name: tuple[str, ...]


VOTE_SECRET = Kept("vote_secret_ballot", "vote_secret_choice", "vote_secret_voter", "vote_id",
                   {"vote_secret_voter": {"vote_id", "owner_id"},
                    "vote_secret_ballot": {"vote_id", "receipt", "area", "channel"},
                    "vote_secret_choice": {"vote_id", "matter", "value", "receipt"}},
                   ("vote", "vote_secret_ballot"))
POLL_SECRET = Kept("poll_secret_answer", "poll_secret_choice", "poll_voter", "poll_id",
                   {"poll_voter": {"poll_id", "voter", "person_id", "household_id"},
                    "poll_secret_answer": {"poll_id", "key"},
                    "poll_secret_choice": {"poll_id", "option", "key"}},
                   ("poll", "poll_secret_answer"))


async def nothing_joins_a_ballot_to_its_voter(session, kept: Kept, parent_id: int,
                                              codes: Collection[str], *, settled: bool) -> None:
    """The secrecy check (the test below, and the state machines of tests/
    test_votes_property.py): the marks say who has voted and nothing else; the answers hold
    their choices (and a ballot's area and channel) under a random key and nothing else — no
    voter, time or row number, no foreign key to the roll or a person; the keys are found in no
    other table (audit log, outbox, roll …); and the answers are stored in the order of their
    keys, not of the casting — on SQLite always (WITHOUT ROWID), on PostgreSQL once voting has
    closed (`settled`: the closing rewrites them in key order)."""
    columns = {t: {c.name for c in Base.metadata.tables[t].columns} for t in kept.columns}
    assert columns == kept.columns
    for name in (kept.answers, kept.choices):
        assert all(fk.column.table.name in kept.may_name
                   for fk in Base.metadata.tables[name].foreign_keys)  # never a roll, a person
    assert len(set(codes)) == len(codes)
    for table in Base.metadata.sorted_tables:
        if table.name in (kept.answers, kept.choices):
            continue
        dump = " ".join(str(row) for row in await session.execute(select(table)))
        assert not any(code in dump for code in codes), table.name
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not settled:
        return
    for name in (kept.answers, kept.choices, kept.marks):
        table = Base.metadata.tables[name]
        key = ", ".join(c.name for c in table.primary_key.columns)
        where = f"WHERE {kept.of} = {int(parent_id)}"
        if dialect == "sqlite":  # its own B-tree's scan (the primary key's), no row numbers
            sql = f"SELECT {key} FROM {name} INDEXED BY sqlite_autoindex_{name}_1 {where}"
            made = await session.scalar(text(
                f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{name}'"))
            assert "WITHOUT ROWID" in made.upper(), name
        elif name == kept.marks:
            continue  # (PostgreSQL: the marks are the roll's, written as owners vote)
        else:  # the heap's physical order
            sql = f"SELECT {key} FROM {name} {where} ORDER BY ctid"
        rows = [tuple(r) for r in await session.execute(text(sql))]
        assert rows == sorted(rows), name
    stored = set(await session.scalars(text(
        f"SELECT {'receipt' if kept is VOTE_SECRET else 'key'} FROM {kept.answers} "
        f"WHERE {kept.of} = {int(parent_id)}")))
    assert stored == set(codes)


async def secret_election(session, estate) -> Vote:  # noqa: F811
    """The election of 1栋's committee (3 candidates, 2 seats), secret, open."""
    vote, _number = await election_draft(session, estate, decision=False)
    await lifecycle.set_secret(session, vote_id=vote.id, secret_ballot=True,
                               author=await staff_of(session))
    return await open_it(session, vote)


async def cast_by(session, vote, voter, chosen) -> str:
    [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=voter,
                                         now=during(vote))
    return await secret.cast(session, vote_id=vote.id, owner_id=owner.id, person=voter,
                             choices={1: chosen}, now=during(vote))


async def publish(session, vote) -> None:
    """The count (voting closed) confirmed by the two committee members: published."""
    for telegram_id in (901, 902):  # the two committee members of the fixture
        await closing.confirm_count(session, vote_id=vote.id,
                                    person=await person(session, telegram_id, ""))
    await session.refresh(vote)
    assert vote.status == VoteStatus.PUBLISHED


async def test_only_a_vote_of_elections_may_be_secret_and_its_ballot_is_final(
        session, estate):  # noqa: F811
    staff = await staff_of(session)
    mixed, _number = await election_draft(session, estate)  # a decision and an election
    with pytest.raises(Invalid) as refused:
        await lifecycle.set_secret(session, vote_id=mixed.id, secret_ballot=True, author=staff)
    assert refused.value.message == secret.NOT_ALL_ELECTIONS
    assert not (await session.get(Vote, mixed.id)).secret
    vote, number = await election_draft(session, estate, decision=False)
    await lifecycle.set_secret(session, vote_id=vote.id, secret_ballot=True, author=staff)
    await session.refresh(vote)
    assert vote.secret and not vote.changeable  # a secret ballot is final once cast
    with pytest.raises(Invalid):
        await lifecycle.set_changeable(session, vote_id=vote.id, changeable=True, author=staff)
    with pytest.raises(Invalid) as refused:  # no owners' decision on a secret ballot
        await lifecycle.add_matter(session, vote_id=vote.id, title="续聘物业", item=4,
                                   author=staff)
    assert refused.value.message == secret.NOT_ALL_ELECTIONS
    await elections.add_election(session, vote_id=vote.id, title="候补委员", author=staff)
    await lifecycle.remove_matter(session, vote_id=vote.id, number=2, author=staff)
    await lifecycle.set_secret(session, vote_id=vote.id, secret_ballot=False, author=staff)
    await lifecycle.set_changeable(session, vote_id=vote.id, changeable=True, author=staff)
    await session.refresh(vote)
    assert not vote.secret and vote.changeable and number == 1


async def test_nothing_joins_a_secret_ballot_to_its_voter(session, estate):  # noqa: F811
    """Twelve owners of 1栋 vote in turn. The roll marks them as voted; each gets a receipt
    code, the key of a ballot that holds their choices and area and nothing else. The codes
    are found nowhere else in the database; the ballots are stored in the order of their
    codes, not of the casting (on PostgreSQL from the closing on, which rewrites them)."""
    vote = await secret_election(session, estate)
    staff = await staff_of(session)
    people = [await resident(session, staff, 300 + n, room)
              for n, room in enumerate(ROOMS[:12])]
    co_owner = await resident(session, staff, 399, ROOMS[0])  # shares Ann's home, 1单元 101
    await resident(session, staff, 398, ROOMS[12])  # will not vote
    cast = []
    for n, voter in enumerate(people):
        cast.append(await cast_by(session, vote, voter, [(1, 2), (1, 3), (2,), ()][n % 4]))
    assert all(CODE.fullmatch(code) for code in cast) and len(set(cast)) == 12
    with pytest.raises(Conflict) as refused:  # cannot be cast again, nor changed
        await cast_by(session, vote, people[0], (3,))
    assert refused.value.message == secret.ALREADY_CAST
    with pytest.raises(Conflict):  # the co-owner's home has voted
        await cast_by(session, vote, co_owner, (3,))
    with pytest.raises(Conflict):  # a secret vote takes no named ballot
        [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=people[0],
                                             now=during(vote))
        await ballots.cast(session, vote_id=vote.id, owner_id=owner.id, person=people[0],
                           choices={1: (1,)}, now=during(vote))
    assert await session.scalar(select(func.count()).select_from(Ballot)) == 0
    told = await session.scalar(select(OutboxMessage.chat_id).where(
        OutboxMessage.kind == CO_OWNER_VOTED))
    assert told == 399
    # the roll's marks are who has voted: progress, and reminders only to the one who has not
    assert (await following.status(session, vote)).owners_voted == 12
    [building] = await following.by_building(session, vote, await vote_paths(session, vote))
    assert (building.households, building.voted_households) == (20, 12)
    assert await following.remind(session, vote_id=vote.id, by=staff, now=during(vote)) == 1
    assert list(await session.scalars(select(OutboxMessage.chat_id).where(
        OutboxMessage.kind == REMINDER))) == [398]
    assert [v.id for v in await reading.to_vote(session, people[0])] == []

    # the roll: who voted, nothing else; the ballots: choices and area under the code
    await nothing_joins_a_ballot_to_its_voter(session, VOTE_SECRET, vote.id, cast,
                                              settled=False)
    if session.get_bind().dialect.name == "sqlite":  # (twelve codes cast in key order: 1/12!)
        assert list(await session.scalars(text(
            "SELECT receipt FROM vote_secret_ballot"
            " INDEXED BY sqlite_autoindex_vote_secret_ballot_1"))) == sorted(cast) != cast
    voters = set(await session.scalars(select(SecretVoter.owner_id)))
    areas = {o.id: o.area for o in await session.scalars(select(RollOwner))}
    stored = {b.receipt: b.area for b in await session.scalars(select(SecretBallot))}
    assert sorted(stored) == sorted(cast) and len(voters) == 12
    assert sorted(stored.values()) == sorted(areas[o] for o in voters)
    assert all(b.channel == "online" for b in await session.scalars(select(SecretBallot)))
    [entry] = (await session.scalars(select(AuditEntry).where(
        AuditEntry.action == "vote.ballot", AuditEntry.actor_id == people[0].id))).all()
    assert entry.detail == {"owner": entry.detail["owner"], "secret": True, "channel": "online"}

    # storage order: by code, not by casting (on PostgreSQL the heap keeps the order written
    # until the closing rewrites it)
    if session.get_bind().dialect.name == "postgresql":
        assert list(await session.scalars(text(
            "SELECT receipt FROM vote_secret_ballot ORDER BY ctid"))) == cast
    await close(session, vote)
    await nothing_joins_a_ballot_to_its_voter(session, VOTE_SECRET, vote.id, cast,
                                              settled=True)


async def test_the_tally_the_files_and_the_published_receipts(
        session, estate, tmp_path):  # noqa: F811
    """15 of 1栋's 20 owners vote secretly: the count is the named ballots' count would be
    (张伟 and 李娜 elected), the export recounts to it with the receipts as the ballots' keys
    and the roll marking who voted; once published, an owner reads the receipts with their
    choices (no areas) and checks a code, however typed; an unknown code is refused."""
    vote = await secret_election(session, estate)
    staff = await staff_of(session)
    people = [await resident(session, staff, 300 + n, room)
              for n, room in enumerate(ROOMS[:15])]
    picks = [(1, 2)] * 9 + [(1, 3)] * 4 + [(3,), ()]
    codes = [await cast_by(session, vote, voter, chosen)
             for voter, chosen in zip(people, picks, strict=True)]
    with pytest.raises(Conflict):  # nothing to read before the count, for the convenors
        await secret.receipts(session, vote_id=vote.id, viewer=staff)
    await close(session, vote)
    result = vote.result["matters"][0]
    assert [(o["name"], o["owners"], o["elected"]) for o in result["options"]] == [
        ("张伟", 13, True), ("李娜", 9, True), ("王强", 5, False)]
    assert result["owners_voted"] == 15 and result["abstain_owners"] == 1
    await export_files(session, vote, tmp_path)
    assert recount.result_json(tally.tally(*recount.read_files(tmp_path))) == vote.result
    rows = (tmp_path / "ballots.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "ballot,area_m2,channel,m1"
    keys = [row.split(",")[0] for row in rows[1:]]
    assert keys == sorted(secret.receipt_text(c) for c in codes)
    assert all(",online," in row for row in rows[1:])
    roll = (tmp_path / "roll.csv").read_text(encoding="utf-8-sig")
    assert roll.count(",yes") == 15 and not any(c in roll for c in codes)
    # the convenors' export after closing: by receipt code, as ballots.csv — no home
    exported = await following.ballots_after_closing(session, vote_id=vote.id, viewer=staff)
    assert [row[0] for row in exported] == keys and all(row[3] == "online" for row in exported)
    assert {row[2]["1"] for row in exported} == {"1;2", "1;3", "3", ""}

    with pytest.raises(NotAllowed):  # an owner reads them once published
        await secret.receipts(session, vote_id=vote.id, viewer=people[0])
    assert len((await secret.receipts(session, vote_id=vote.id, viewer=staff))[2]) == 15
    await publish(session, vote)
    _vote, matters, listed = await secret.receipts(session, vote_id=vote.id, viewer=people[1])
    assert [code for code, _ in listed] == keys and len(matters) == 1
    mine = dict(listed)[secret.receipt_text(codes[13])]
    assert mine == {"1": "3"}
    typed = secret.receipt_text(codes[0]).lower().replace("-", " ")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in codes[14])  # typed on a Chinese keyboard
    for code, expected in ((typed, {"1": "1;2"}), (fullwidth, {"1": ""})):
        await secret.ask_code(session, vote_id=vote.id, person=people[0])
        found = await secret.check(session, vote_id=vote.id, text=code, viewer=people[0])
        assert found[2:] == (secret.receipt_text(codes[0] if code == typed else codes[14]),
                             expected)
    unknown = "2222-3333-4444" if codes[0] != "222233334444" else "5555-6666-7777"
    with pytest.raises(NotFound) as refused:
        await secret.check(session, vote_id=vote.id, text=unknown, viewer=people[0])
    assert refused.value.params == {"code": unknown}
    with pytest.raises(Invalid):  # not even the shape of one
        await secret.check(session, vote_id=vote.id, text="0O1I-L", viewer=people[0])
    assert await reading.my_ballots(session, vote=vote, person=people[0], language="en") == [
        reading.MyBallot(["1栋 1单元 101"], None, None)]  # that it was cast, nothing more
    outsider = await person(session, 777, "路人")
    with pytest.raises(NotAllowed):  # not an owner on the roll
        await secret.receipts(session, vote_id=vote.id, viewer=outsider)


async def test_co_owners_racing_cast_one_secret_ballot(db, session, estate):  # noqa: F811
    import asyncio

    vote = await secret_election(session, estate)
    staff = await staff_of(session)
    one = await resident(session, staff, 31, ROOMS[0])
    two = await resident(session, staff, 32, ROOMS[0])
    [owner] = await ballots.voter_owners(session, vote_id=vote.id, person=one, now=during(vote))

    async def press(voter) -> str:
        async with db.session() as s:
            try:
                await secret.cast(s, vote_id=vote.id, owner_id=owner.id, person=voter,
                                  choices={1: (1,)}, now=during(vote))
                return "cast"
            except Conflict:
                return "refused"

    outcomes = await asyncio.gather(*(press(p) for p in (one, two, one, two)))
    assert sorted(outcomes) == ["cast", "refused", "refused", "refused"]
    for table in (SecretVoter, SecretBallot):
        assert await session.scalar(select(func.count()).select_from(table)) == 1
    assert await session.scalar(select(func.count()).select_from(SecretChoice)) == 1


async def test_a_thousand_owners_cast_one_secret_ballot_each(db):
    """A synthetic 1,000-household estate elects its committee by secret ballot, every owner
    pressing "Confirm" at the same moment and one in ten twice: one ballot each."""

    async def write(s, vote, staff) -> None:
        election = await elections.add_election(s, vote_id=vote.id, title="业主委员会选举",
                                                author=staff)
        for name in ("张伟", "李娜", "王强"):
            await elections.add_candidate(s, vote_id=vote.id, matter=election.number,
                                          name=name, author=staff)
        await elections.set_seats(s, vote_id=vote.id, matter=election.number, seats=2,
                                  author=staff)
        await lifecycle.set_secret(s, vote_id=vote.id, secret_ballot=True, author=staff)

    vote_id, when, voters = await synthetic_vote(db, write)
    outcomes = await presses_at_once(db, vote_id, when, voters, secret.cast, {1: (1, 3)})
    cast = [o for o in outcomes if o.startswith("cast")]
    assert len(voters) > 900 and len(cast) == len(set(cast)) == len(voters)  # one each
    assert outcomes.count("refused") == len(voters[::10])  # every second press
    async with db.session() as s:
        for table in (SecretVoter, SecretBallot):
            assert await s.scalar(select(func.count()).select_from(table)) == len(voters)
        assert await s.scalar(select(func.count()).select_from(SecretChoice)) == 2 * len(voters)
        assert await s.scalar(select(func.count()).select_from(Ballot)) == 0
        marked = await s.scalar(select(func.sum(RollOwner.area)).join(
            SecretVoter, SecretVoter.owner_id == RollOwner.id))
        assert await s.scalar(select(func.sum(SecretBallot.area))) == marked


def test_receipt_codes_are_short_readable_and_random():
    codes = {secret.new_receipt() for _ in range(2000)}
    assert len(codes) == 2000 and all(CODE.fullmatch(c) for c in codes)
    assert not set("".join(codes)) & set("01OIL")
    assert secret.receipt_text("7KQ2M9XD4HPA") == "7KQ2-M9XD-4HPA"
    assert secret.parse_receipt(" 7kq2－m9xd－4hpa ") == "7KQ2M9XD4HPA"
    assert secret.parse_receipt("7KQ2-M9XD-4HP") is None
    assert secret.parse_receipt("7KQ2-M9XD-4HP0") is None
