"""Casting a named ballot: one per roll owner, every matter answered, every version kept.

Who may cast it is checked at the moment of voting: an approved owner of one of the roll
owner's households. The unique key on (vote, owner) makes one ballot per owner hold under any
number of concurrent presses, on SQLite and PostgreSQL alike: of co-owners racing, one writes
the ballot and the others are told it has been cast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict
from models.outbox import enqueue_select
from models.people import Person
from models.votes import fixed, selections, standing
from models.votes.core import CO_OWNER_VOTED, get_vote
from models.votes.elections import counted
from models.votes.fixed import BallotMatter
from models.votes.roll import owners_for, voted_owners
from models.votes.standing import OwnerBrief, VoteBrief
from models.votes.tables import (
    Ballot,
    BallotChoice,
    BallotVersion,
    RollOwner,
    Vote,
    VoteMatter,
)

NOT_ON_ROLL = standing.NOT_ON_ROLL
ALREADY_VOTED = N_("Your ballot for these homes was already cast on {when}; this vote does "
                   "not allow changing it.")
# an owner's first ballot recorded counts, whichever way it came: the second is refused with
# when and how the first was cast
FIRST_CAST = {
    "online": N_("The ballot for these homes was already cast in the chat on {when}. An "
                 "owner's first ballot is the one that counts, so this one was not recorded."),
    "paper": N_("The ballot for these homes was already cast on a paper ballot, entered on "
                "{when}. An owner's first ballot is the one that counts, so this one was not "
                "recorded."),
    "on-site": N_("The ballot for these homes was already cast on site, entered on {when}. An "
                  "owner's first ballot is the one that counts, so this one was not recorded."),
    "assisted": N_("The ballot for these homes was already cast with help on {when}. An "
                   "owner's first ballot is the one that counts, so this one was not "
                   "recorded."),
}


def first_cast(channel: str, when: dt.datetime | None) -> Conflict:
    """The refusal of a second ballot for an owner: when and how the first was cast."""
    if when is None:
        return Conflict(N_("The ballot for these homes has already been cast. An owner's "
                           "first ballot is the one that counts, so this one was not "
                           "recorded."))
    return Conflict(FIRST_CAST.get(channel, FIRST_CAST["online"]), when=when)


async def require_open(vote: Vote, now: dt.datetime) -> None:
    standing.require_open(vote, now)


async def voter_owners(session: AsyncSession, *, vote_id: int, person: Person,
                       now: dt.datetime | None = None) -> list[RollOwner]:
    """The roll owners this person may vote for now (NotAllowed if none, with the reason)."""
    vote = await get_vote(session, vote_id)
    await require_open(vote, now or utcnow())
    owners = await owners_for(session, vote, person.id)
    if not owners:
        raise await standing.refusal(session, person)
    return owners


async def ballot_of(session: AsyncSession, vote_id: int, owner_id: int) -> Ballot | None:
    return await session.scalar(select(Ballot).where(Ballot.vote_id == vote_id,
                                                     Ballot.owner_id == owner_id))


async def has_voted(session: AsyncSession, vote: Vote, owner_id: int) -> bool:
    """Whether the roll owner has cast a ballot, named or secret."""
    voted = voted_owners(vote).subquery()
    return await session.scalar(select(voted.c.owner_id).where(
        voted.c.owner_id == owner_id).limit(1)) is not None


@dataclass(frozen=True)
class Cast:
    ballot: Ballot
    changed: bool  # a new version of an earlier ballot
    vote: VoteBrief  # as the checks read it
    owner: OwnerBrief  # the roll owner it was cast for, with its homes' names


def checked_choices(matters: Sequence[VoteMatter] | Sequence[BallotMatter],
                    given: Mapping[int, object]) -> dict[str, str]:
    """Every matter's answer, checked, as text (matter number → "agree", "1;3", …)."""
    picked = selections.ballot([counted(m) for m in matters], given)
    return {str(n): selections.text_of(selection) for n, selection in picked.items()}


async def cast(session: AsyncSession, *, vote_id: int, owner_id: int, person: Person,
               choices: Mapping[int, object], now: dt.datetime | None = None,
               channel: str = "online") -> Cast:
    """Cast (or, where the vote allows it, change) the owner's ballot, in one transaction
    with its version, its audit row and a word to the owner's other co-owners. `choices`:
    matter number → a decision's "agree" / "disagree" / "abstain", or an election's chosen
    candidates' numbers (none: abstaining).

    What the checks need — open now, the person an approved owner of one of the owner's
    homes now, the owner's ballot so far, whether there are co-owners to tell — is one read
    (`standing.stand`), and the vote's matters are kept (`fixed`); a first ballot is then four
    INSERTs (the ballot, its choices, its version, the audit row) and, only where there are
    co-owners, one INSERT … SELECT of their words."""
    now = now or utcnow()
    seen = await standing.stand(session, vote_id=vote_id, person=person,
                                language=person.language)
    owner = await standing.voter_for(session, seen, person, owner_id, now)
    vote = seen.vote
    if vote.secret:  # (models/votes/secret.py casts those)
        raise Conflict(N_("This is a secret ballot: open the vote again to cast it."))
    picked = checked_choices((await fixed.of_vote(session, vote.id)).matters, choices)
    before = owner.ballot
    if before is not None and before.channel != channel:  # (a paper ballot came first)
        raise first_cast(before.channel, before.cast_at)
    if before is not None and not vote.changeable:
        raise Conflict(ALREADY_VOTED, when=before.cast_at)
    person_id = person.id  # (a rollback below expires the objects)
    # every read before the first write: on SQLite the write lock is held from the first
    # write to the commit, and a thousand owners voting at once queue for it
    try:
        if before is None:
            ballot = await first_ballot(session, vote, owner, picked, person_id, now, channel)
        else:
            ballot = await session.get_one(Ballot, before.id)
            if await choices_of(session, ballot.id) == picked:
                return Cast(ballot, False, vote, owner)
            ballot.version += 1
            ballot.cast_by_id, ballot.cast_at, ballot.channel = person_id, now, channel
            await session.execute(delete(BallotChoice).where(
                BallotChoice.ballot_id == ballot.id))
            await _write(session, vote, ballot, picked, person_id, now, channel)
        await session.commit()
    except IntegrityError:  # a co-owner's ballot (or this person's other press) came first
        await session.rollback()
        raise Conflict(N_("The ballot for these homes has just been cast. Open the vote again "
                          "to see it.")) from None
    return Cast(ballot, before is not None, vote, owner)


async def first_ballot(session: AsyncSession, vote: VoteBrief, owner: OwnerBrief,
                 picked: dict[str, str], person_id: int, now: dt.datetime,
                 channel: str) -> Ballot:
    """The owner's first ballot, and a word to each of its other co-owners (the caller has
    checked who casts it and its choices: `cast`, models/votes/paper.py)."""
    ballot = Ballot(vote_id=vote.id, owner_id=owner.id, channel=channel, cast_by_id=person_id,
                    cast_at=now, version=1)
    session.add(ballot)
    await session.flush()  # (its id; a co-owner's ballot first: the unique key refuses it)
    await _write(session, vote, ballot, picked, person_id, now, channel)
    if owner.co_owners:
        await enqueue_select(session, standing.co_owners(owner.id, person_id), kind=CO_OWNER_VOTED,
                             payload={"vote_id": vote.id, "owner_id": owner.id,
                                      "by": person_id}, topic=vote.topic, now=now)
    return ballot


async def _write(session: AsyncSession, vote: VoteBrief, ballot: Ballot, picked: dict[str, str],
                 person_id: int, now: dt.datetime, channel: str) -> None:
    """The ballot's choice rows (one statement), its version and its audit row."""
    await session.execute(insert(BallotChoice), [
        {"ballot_id": ballot.id, "vote_id": vote.id, "matter": int(n), "value": value}
        for n, text in picked.items() for value in selections.row_values(text)])
    session.add(BallotVersion(ballot_id=ballot.id, version=ballot.version, choices=picked,
                              cast_by_id=person_id, at=now))
    audit.record(session, actor_id=person_id, action="vote.ballot", subject="vote",
                 subject_id=vote.id, owner=ballot.owner_id, version=ballot.version,
                 channel=channel)


async def co_owners_of(session: AsyncSession, owner_id: int, voter: Person) -> list[Person]:
    """The owner's other co-owners who can be told that the ballot has been cast."""
    ids = standing.co_owners(owner_id, voter.id).subquery()
    return list(await session.scalars(select(Person).where(Person.id.in_(select(ids.c.id)))))


async def choices_of(session: AsyncSession, ballot_id: int) -> dict[str, str]:
    """A ballot's current choices: matter number (as text) → "agree" …, or an election's
    chosen numbers ("1;3", "" for none)."""
    rows = await session.execute(select(BallotChoice.matter, BallotChoice.value)
                                 .where(BallotChoice.ballot_id == ballot_id))
    return selections.texts_from_rows((int(m), str(v)) for m, v in rows)


async def versions(session: AsyncSession, ballot_id: int) -> list[BallotVersion]:
    """A ballot's history, first version first."""
    return list(await session.scalars(select(BallotVersion).where(
        BallotVersion.ballot_id == ballot_id).order_by(BallotVersion.version)))
