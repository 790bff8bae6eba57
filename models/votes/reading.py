"""What owners and convenors of a vote read in the chat: the votes of my homes, whom I may
vote for and my ballot (re-checked at every press: open, and an approved owner of one of the
roll owner's homes), my own record of what I cast, the count and the published result, and
the names a screen shows; and, for the outbox, who needs a reminder no more (their home has
voted since it was queued). Read-only: the verbs that write are in lifecycle, ballots,
closing and dialogs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow
from models.errors import N_, NotAllowed, NotFound
from models.estates import (
    Estate,
    estate_of,
    is_convenor,
)
from models.outbox_owed import by_object, declare_done_check
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, ancestor_ids, ancestors, get_place, name_in
from models.votes import ballots, fixed, standing, tally
from models.votes.core import REMINDER, get_vote, matters_of, require_result_viewer
from models.votes.export import tally_inputs
from models.votes.fixed import BallotMatter, CandidateBrief
from models.votes.roll import households_of, owners_for, voted_owners
from models.votes.standing import OwnerBrief, VoteBrief
from models.votes.tables import RollHousehold, RollOwner, Vote, VoteMatter, VoteStatus

# what an owner's list shows: announced, running, and counted or published
SHOWN = (VoteStatus.ANNOUNCED, VoteStatus.OPEN, VoteStatus.CLOSED, VoteStatus.COUNTED,
         VoteStatus.CONFIRMED, VoteStatus.PUBLISHED)


async def where(session: AsyncSession, vote: Vote, language: str) -> str:
    """The estate's name, and the building's where the vote is one building's."""
    estate = await session.get(Estate, vote.estate_id)
    building = await get_place(session, vote.building_id) if vote.building_id else None
    return standing.where_of((estate.name, estate.name_en) if estate else (None, None),
                             (building.name, building.name_en) if building else (None, None),
                             language)


# --- owners ----------------------------------------------------------------------------------


async def votes_of_my_homes(session: AsyncSession, person: Person) -> list[Vote]:
    """The announced or running votes (and the latest results) of the estates where the
    person is an approved owner of a home, newest first."""
    homes = list(await session.scalars(
        select(Place).join(Membership, Membership.household_id == Place.id)
        .where(Membership.person_id == person.id, Membership.status ==
               MembershipStatus.APPROVED, Membership.relation == Relation.OWNER)))
    found: dict[int, Vote] = {}
    for home in homes:
        estate = await estate_of(session, home)
        if estate is None:
            continue
        for vote in await session.scalars(select(Vote).where(
                Vote.estate_id == estate.id, Vote.status.in_(SHOWN))):
            if vote.building_id is None or vote.building_id in ancestor_ids(home.path):
                found[vote.id] = vote
    return sorted(found.values(), key=lambda v: -v.id)


@dataclass(frozen=True)
class VoteView:
    vote: Vote
    matters: tuple[BallotMatter, ...]
    where: str


async def owner_vote(session: AsyncSession, *, vote_id: int, person: Person,
                     language: str) -> VoteView:
    """A vote as its owners are told about it: for the owners of its homes and its
    convenors (a draft is nobody's business yet)."""
    vote = await get_vote(session, vote_id)
    if vote.status == VoteStatus.DRAFT:
        raise NotFound(N_("That vote no longer exists."))
    estate = await session.get(Estate, vote.estate_id)
    if all(v.id != vote.id for v in await votes_of_my_homes(session, person)) and (
            estate is None or not await is_convenor(session, person_id=person.id,
                                                    estate=estate)):
        if vote.status != VoteStatus.OPEN or not await ballots.voter_owners(
                session, vote_id=vote.id, person=person):  # (raises why not)
            raise NotAllowed(standing.NOT_ON_ROLL)
    return VoteView(vote, (await fixed.of_vote(session, vote.id)).matters,
                    await where(session, vote, language))


@dataclass(frozen=True)
class OwnerChoice:
    """One roll owner the person may vote for: their homes (named) and area."""

    owner: OwnerBrief
    homes: tuple[str, ...]
    voted: bool


async def home_names(session: AsyncSession, owner: RollOwner, language: str) -> list[str]:
    """The owner's homes as residents name them: "1栋 1单元 101"."""
    names = []
    for place, _area in await households_of(session, owner):
        chain = [p for p in await ancestors(session, place) if p.kind in standing.NAMED]
        names.append(" ".join(name_in(p.name, p.name_en, language) for p in chain))
    return names


async def open_standing(session: AsyncSession, *, vote_id: int, person: Person, language: str,
                        now: dt.datetime | None = None) -> standing.Standing | None:
    """Where the person stands on the vote if it is open (None: it is not, and `owner_vote`
    says what it is): one statement, checked — still open now, and they may vote for at
    least one roll owner (refused with the reason: not an owner on the roll, still waiting
    for approval)."""
    seen = await standing.stand(session, vote_id=vote_id, person=person, language=language)
    if seen.vote.status != VoteStatus.OPEN:
        return None
    await standing.voters(session, seen, person, now or utcnow())
    return seen


def voter_choices(seen: standing.Standing) -> list[OwnerChoice]:
    """Whom the person may vote for (`open_standing` checked it)."""
    return [OwnerChoice(o, o.homes, o.voted) for o in seen.owners]


@dataclass(frozen=True)
class BallotView:
    vote: VoteBrief
    where: str
    matters: tuple[BallotMatter, ...]
    candidates: dict[int, tuple[CandidateBrief, ...]]  # an election's, by its matter number
    owner: OwnerBrief
    cast: dict[str, str] | None  # the choices as cast, if the ballot has been (and was asked)

    @property
    def secret_cast(self) -> bool:
        """A secret ballot has been cast (nothing of it is shown)."""
        return self.vote.secret and self.owner.voted

    @property
    def homes(self) -> tuple[str, ...]:
        return self.owner.homes

    @property
    def cast_at(self) -> dt.datetime | None:
        return self.owner.ballot.cast_at if self.owner.ballot is not None else None


async def view_of(session: AsyncSession, seen: standing.Standing, owner: OwnerBrief, *,
                  cast: bool = False) -> BallotView:
    """The ballot for `owner` (one the person may vote for: `open_standing`); with `cast`,
    the choices as cast, if it has been."""
    kept = await fixed.of_vote(session, seen.vote.id)
    choices = (await ballots.choices_of(session, owner.ballot.id)
               if cast and owner.ballot is not None else None)
    return BallotView(seen.vote, seen.where, kept.matters, kept.candidates, owner, choices)


async def ballot_view(session: AsyncSession, *, vote_id: int, owner_id: int, person: Person,
                      language: str, cast: bool = False,
                      now: dt.datetime | None = None) -> BallotView:
    """The ballot the person may fill in for this roll owner, re-checked at every press:
    open (status and deadline), and an approved owner of one of the owner's homes now (a
    forged or stale button is refused). One statement, and the vote's matters once per
    process (`fixed`); with `cast`, the choices as cast, if it has been."""
    seen = await standing.stand(session, vote_id=vote_id, person=person, language=language)
    owner = await standing.voter_for(session, seen, person, owner_id, now or utcnow())
    return await view_of(session, seen, owner, cast=cast)


async def results(session: AsyncSession, *, vote_id: int,
                  viewer: Person) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]]:
    """The count: for the convenors once counted, for the owners on the roll once
    published."""
    vote = await get_vote(session, vote_id)
    await require_result_viewer(session, viewer, vote)
    return vote, await matters_of(session, vote.id), tally.tally(*await tally_inputs(session,
                                                                                     vote))


async def published_results(session: AsyncSession, vote_id: int
                            ) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]] | None:
    """The result as the outbox sends it to every owner (None: not published)."""
    return await _counted(session, vote_id, (VoteStatus.PUBLISHED,))


async def count_to_confirm(session: AsyncSession, vote_id: int
                           ) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]] | None:
    """The count as the outbox sends it to the convenors to confirm (None: not counted, or
    extended meanwhile)."""
    return await _counted(session, vote_id, (VoteStatus.COUNTED,))


async def _counted(session: AsyncSession, vote_id: int, statuses: tuple[VoteStatus, ...]
                   ) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]] | None:
    vote = await session.get(Vote, vote_id)
    if vote is None or vote.status not in statuses:
        return None
    return vote, await matters_of(session, vote.id), tally.tally(*await tally_inputs(session,
                                                                                     vote))


async def person_name(session: AsyncSession, person_id: int) -> str:
    person = await session.get(Person, person_id)
    return person.name if person is not None else ""


async def roll_owner(session: AsyncSession, owner_id: int) -> RollOwner | None:
    return await session.get(RollOwner, owner_id)


@dataclass(frozen=True)
class MyBallot:
    """A ballot cast for one of the person's roll owners: their own record of it (a secret
    ballot's: only that it was cast)."""

    homes: list[str]
    choices: dict[str, str] | None
    cast_at: dt.datetime | None


async def my_ballots(session: AsyncSession, *, vote: Vote, person: Person,
                     language: str) -> list[MyBallot]:
    """The ballots cast for the roll owners this person votes for (none before opening)."""
    mine = []
    for owner in await owners_for(session, vote, person.id):
        if vote.secret:
            if await ballots.has_voted(session, vote, owner.id):
                mine.append(MyBallot(await home_names(session, owner, language), None, None))
            continue
        ballot = await ballots.ballot_of(session, vote.id, owner.id)
        if ballot is not None:
            mine.append(MyBallot(await home_names(session, owner, language),
                                 await ballots.choices_of(session, ballot.id), ballot.cast_at))
    return mine


async def to_vote(session: AsyncSession, person: Person) -> list[Vote]:
    """The open votes where the person may still cast a ballot for one of their owners."""
    waiting = []
    for vote in await votes_of_my_homes(session, person):
        if vote.status != VoteStatus.OPEN:
            continue
        for owner in await owners_for(session, vote, person.id):
            if not await ballots.has_voted(session, vote, owner.id):
                waiting.append(vote)
                break
    return waiting


# --- reminders no longer owed ----------------------------------------------------------------


async def _voted(session: AsyncSession, rows: Sequence[tuple[int, dict[str, Any]]]) -> set[int]:
    """Of the people a batch of vote reminders is for, those with nothing left to vote: every
    roll owner they may vote for has a ballot now (cast by them or a co-owner since the
    reminder was queued, held by quiet hours, say)."""
    done: set[int] = set()
    for vote_id, people in by_object(rows, "vote_id").items():
        vote = await session.get(Vote, vote_id)
        if vote is None:  # (gone: nobody is owed a reminder of it)
            done |= people
            continue
        voted = voted_owners(vote)
        owed = set(await session.scalars(
            select(Membership.person_id)
            .join(RollHousehold, RollHousehold.household_id == Membership.household_id)
            .where(RollHousehold.vote_id == vote_id, Membership.person_id.in_(people),
                   Membership.status == MembershipStatus.APPROVED,
                   Membership.relation == Relation.OWNER,
                   RollHousehold.owner_id.not_in(voted)).distinct()))
        done |= people - owed
    return done


declare_done_check(REMINDER, _voted)
