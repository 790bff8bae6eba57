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

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, NotAllowed
from models.outbox import enqueue
from models.people import Membership, MembershipStatus, Person, Relation
from models.votes import selections
from models.votes.core import CO_OWNER_VOTED, get_vote, matters_of
from models.votes.elections import counted
from models.votes.roll import owners_for, voted_owners
from models.votes.tables import (
    Ballot,
    BallotChoice,
    BallotVersion,
    RollHousehold,
    RollOwner,
    Vote,
    VoteMatter,
    VoteStatus,
)

NOT_ON_ROLL = N_("Only owners on this vote's roll can vote. If you own a home here, ask the "
                 "community office to confirm you as its owner.")
ALREADY_VOTED = N_("Your ballot for these homes was already cast on {when}; this vote does "
                   "not allow changing it.")


async def require_open(vote: Vote, now: dt.datetime) -> None:
    if vote.status == VoteStatus.ANNOUNCED:
        raise Conflict(N_("Voting has not opened yet: it opens on {day}."), day=vote.opens_at)
    if vote.status != VoteStatus.OPEN or (vote.closes_at is not None and now >= vote.closes_at):
        raise Conflict(N_("Voting on this matter has closed."))


async def voter_owners(session: AsyncSession, *, vote_id: int, person: Person,
                       now: dt.datetime | None = None) -> list[RollOwner]:
    """The roll owners this person may vote for now (NotAllowed if none, with the reason)."""
    vote = await get_vote(session, vote_id)
    await require_open(vote, now or utcnow())
    owners = await owners_for(session, vote, person.id)
    if not owners:
        pending = await session.scalar(select(Membership.id).where(
            Membership.person_id == person.id, Membership.status == MembershipStatus.PENDING,
            Membership.relation == Relation.OWNER).limit(1))
        if pending is not None:
            raise NotAllowed(N_("Your request to join as an owner is still waiting for the "
                                "community office. You can vote once it is approved."))
        raise NotAllowed(NOT_ON_ROLL)
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


def checked_choices(matters: Sequence[VoteMatter], given: Mapping[int, object]
                    ) -> dict[str, str]:
    """Every matter's answer, checked, as text (matter number → "agree", "1;3", …)."""
    picked = selections.ballot([counted(m) for m in matters], given)
    return {str(n): selections.text_of(selection) for n, selection in picked.items()}


async def cast(session: AsyncSession, *, vote_id: int, owner_id: int, person: Person,
               choices: Mapping[int, object], now: dt.datetime | None = None,
               channel: str = "online") -> Cast:
    """Cast (or, where the vote allows it, change) the owner's ballot, in one transaction
    with its version, its audit row and a word to the owner's other co-owners. `choices`:
    matter number → a decision's "agree" / "disagree" / "abstain", or an election's chosen
    candidates' numbers (none: abstaining)."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    await require_open(vote, now)
    if owner_id not in {o.id for o in await owners_for(session, vote, person.id)}:
        raise NotAllowed(NOT_ON_ROLL)
    if vote.secret:  # (models/votes/secret.py casts those)
        raise Conflict(N_("This is a secret ballot: open the vote again to cast it."))
    picked = checked_choices(await matters_of(session, vote.id), choices)
    ballot = await ballot_of(session, vote.id, owner_id)
    changed = ballot is not None
    # every read before the first write: on SQLite the write lock is held from the first
    # INSERT to the commit, and a thousand owners voting at once queue for it
    co_owners = [] if changed else await co_owners_of(session, owner_id, person)
    if ballot is not None:
        if not vote.changeable:
            raise Conflict(ALREADY_VOTED, when=ballot.cast_at)
        if await choices_of(session, ballot.id) == picked:
            return Cast(ballot, changed=False)
        ballot.version += 1
        ballot.cast_by_id, ballot.cast_at, ballot.channel = person.id, now, channel
        await session.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot.id))
    else:
        ballot = Ballot(vote_id=vote.id, owner_id=owner_id, channel=channel,
                        cast_by_id=person.id, cast_at=now, version=1)
        session.add(ballot)
    try:
        await session.flush()
        session.add_all([BallotChoice(ballot_id=ballot.id, vote_id=vote.id, matter=int(n),
                                      value=value) for n, text in picked.items()
                         for value in selections.row_values(text)])
        session.add(BallotVersion(ballot_id=ballot.id, version=ballot.version, choices=picked,
                                  cast_by_id=person.id, at=now))
        await session.flush()
    except IntegrityError:  # a co-owner's ballot (or this person's other press) came first
        await session.rollback()
        raise Conflict(N_("The ballot for these homes has just been cast. Open the vote again "
                          "to see it.")) from None
    audit.record(session, actor_id=person.id, action="vote.ballot", subject="vote",
                 subject_id=vote.id, owner=owner_id, version=ballot.version, channel=channel)
    for other in co_owners:
        enqueue(session, chat_id=other.telegram_id, person_id=other.id, kind=CO_OWNER_VOTED,
                payload={"vote_id": vote.id, "owner_id": owner_id, "by": person.id},
                topic=vote.topic)
    await session.commit()
    return Cast(ballot, changed)


async def co_owners_of(session: AsyncSession, owner_id: int, voter: Person) -> list[Person]:
    """The owner's other co-owners who can be told that the ballot has been cast."""
    return list(await session.scalars(
        select(Person).join(Membership, Membership.person_id == Person.id)
        .join(RollHousehold, RollHousehold.household_id == Membership.household_id)
        .where(RollHousehold.owner_id == owner_id, Membership.status ==
               MembershipStatus.APPROVED, Membership.relation == Relation.OWNER,
               Person.id != voter.id, Person.consent_at.is_not(None),
               Person.unreachable_at.is_(None)).distinct()))


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
