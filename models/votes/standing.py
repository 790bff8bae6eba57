"""Where one person stands on one vote, as an owner's press needs it, read in one statement:
the vote (its status and dates, its title, the estate's and the building's names), every roll
owner the person may vote for now — they are an approved owner of one of its households at
this moment — with its area, the names of all its homes and its ballot so far, and whether
the owner has other co-owners to tell once it is cast. The rules deciding from it (open? may
they vote for this owner?) are the functions below, so a ballot press reads the database
once, like a pledge's (models/pledges/signatures.py). Households are three levels of the
place tree (household → unit → building), joined by primary key.

Nothing here is kept between presses: who may vote, the vote's status and what has been cast
change at any moment, and are read again every time (what never changes is in `fixed`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.errors import N_, Conflict, NotAllowed, NotFound
from models.estates import Estate
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, PlaceKind, name_in
from models.votes.tables import (
    Ballot,
    RollHousehold,
    RollOwner,
    SecretVoter,
    Vote,
    VoteStatus,
)

NOT_ON_ROLL = N_("Only owners on this vote's roll can vote. If you own a home here, ask the "
                 "community office to confirm you as its owner.")
PENDING = N_("Your request to join as an owner is still waiting for the community office. "
             "You can vote once it is approved.")
NAMED = (PlaceKind.BUILDING, PlaceKind.UNIT, PlaceKind.HOUSEHOLD)  # what a home's name shows


@dataclass(frozen=True)
class VoteBrief:
    """A vote as an owner's press reads it: a few columns, not the whole row."""

    id: int
    estate_id: int
    building_id: int | None
    title: str
    title_en: str | None
    status: VoteStatus
    changeable: bool
    secret: bool  # a secret ballot (models/votes/secret.py): no ballot is read here
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None

    @property
    def topic(self) -> str:
        return f"vote:{self.id}"

    def title_for(self, language: str) -> str:
        return (self.title_en or self.title) if language == "en" else self.title


@dataclass(frozen=True)
class BallotBrief:
    id: int
    version: int
    cast_at: dt.datetime
    channel: str  # online, or paper / on-site as an officer entered it


@dataclass(frozen=True)
class OwnerBrief:
    """A roll owner the person may vote for now."""

    id: int
    area: int  # hundredths of a m²
    homes: tuple[str, ...]  # "1栋 1单元 101", by the place tree's order
    ballot: BallotBrief | None  # its named ballot
    voted: bool  # a ballot has been cast for it, named or secret (the roll's mark)
    co_owners: bool  # others who may vote for it and can be told it has been cast


@dataclass(frozen=True)
class Standing:
    vote: VoteBrief
    where: str  # the estate's name, and the building's where the vote is one building's
    owners: tuple[OwnerBrief, ...]  # by id


_HOME = [aliased(Place, name=f"vh{i}") for i in range(3)]  # a household, its unit, building
_BUILDING = aliased(Place, name="vb")
_OTHER, _OTHER_HOME, _OTHER_PERSON = aliased(Membership), aliased(RollHousehold), aliased(Person)
_APPROVED_OWNER = (Membership.status == MembershipStatus.APPROVED,
                   Membership.relation == Relation.OWNER)
# the roll owners of the vote the person is an approved owner of a household of, now: a
# table of their own that the rest joins from (an IN in the join's condition would have
# PostgreSQL filter every roll owner of the vote through it)
_MINE = (select(RollHousehold.owner_id)
         .join(Membership, Membership.household_id == RollHousehold.household_id)
         .where(RollHousehold.vote_id == bindparam("vote_id"),
                Membership.person_id == bindparam("person_id"), *_APPROVED_OWNER)
         .distinct().subquery("mine"))


def co_owners(owner_id: Any, voter_id: Any) -> Select[int, int]:
    """(telegram id, person id) of the roll owner's other co-owners who can be told that its
    ballot has been cast: the approved owners of its households but the voter, reachable.
    (Of aliases: it is also a subquery of `STANDING`, correlated by the owner.)"""
    return (select(_OTHER_PERSON.telegram_id, _OTHER_PERSON.id)
            .join(_OTHER, _OTHER.person_id == _OTHER_PERSON.id)
            .join(_OTHER_HOME, _OTHER_HOME.household_id == _OTHER.household_id)
            .where(_OTHER_HOME.owner_id == owner_id, _OTHER.status == MembershipStatus.APPROVED,
                   _OTHER.relation == Relation.OWNER, _OTHER_PERSON.id != voter_id,
                   _OTHER_PERSON.consent_at.is_not(None), _OTHER_PERSON.unreachable_at.is_(None))
            .distinct())


_CO_OWNERS = co_owners(RollOwner.id, bindparam("person_id")).exists()


def _standing_query() -> Any:
    """The one statement of `stand` (built once; parameters vote_id, person_id)."""
    names = [c for i, p in enumerate(_HOME)
             for c in (p.kind.label(f"h{i}_kind"), p.name.label(f"h{i}_name"),
                       p.name_en.label(f"h{i}_en"))]
    query = (
        select(Vote.id, Vote.estate_id, Vote.building_id, Vote.title, Vote.title_en,
               Vote.status, Vote.changeable, Vote.secret, Vote.opens_at, Vote.closes_at,
               Estate.name.label("estate_name"), Estate.name_en.label("estate_en"),
               _BUILDING.name.label("building_name"), _BUILDING.name_en.label("building_en"),
               RollOwner.id.label("owner_id"), RollOwner.area.label("owner_area"), *names,
               Ballot.id.label("ballot_id"), Ballot.version.label("ballot_version"),
               Ballot.cast_at.label("cast_at"), Ballot.channel.label("channel"),
               SecretVoter.owner_id.label("secret_voted"),
               _CO_OWNERS.label("co_owners"))
        .select_from(Vote)
        .outerjoin(Estate, Estate.id == Vote.estate_id)
        .outerjoin(_BUILDING, _BUILDING.id == Vote.building_id)
        .outerjoin(_MINE, true())
        .outerjoin(RollOwner, and_(RollOwner.id == _MINE.c.owner_id,
                                   RollOwner.vote_id == Vote.id))
        .outerjoin(RollHousehold, RollHousehold.owner_id == RollOwner.id)
        .outerjoin(_HOME[0], _HOME[0].id == RollHousehold.household_id))
    for child, parent in zip(_HOME, _HOME[1:], strict=False):
        query = query.outerjoin(parent, parent.id == child.parent_id)
    return (query.outerjoin(Ballot, and_(Ballot.vote_id == Vote.id,
                                         Ballot.owner_id == RollOwner.id))
            .outerjoin(SecretVoter, and_(SecretVoter.vote_id == Vote.id,
                                         SecretVoter.owner_id == RollOwner.id))
            .where(Vote.id == bindparam("vote_id"))
            .order_by(RollOwner.id, _HOME[0].path))


STANDING = _standing_query()


def _home(row: Row[Any], language: str) -> str:
    chain = [(getattr(row, f"h{i}_kind"), getattr(row, f"h{i}_name"), getattr(row, f"h{i}_en"))
             for i in reversed(range(len(_HOME)))]
    return " ".join(name_in(name, name_en, language) for kind, name, name_en in chain
                    if kind in NAMED)


def where_of(estate: tuple[str | None, str | None], building: tuple[str | None, str | None],
             language: str) -> str:
    """The estate's name, and the building's where there is one."""
    name = name_in(estate[0], estate[1], language) if estate[0] is not None else ""
    if building[0] is None:
        return name
    return f"{name} {name_in(building[0], building[1], language)}".strip()


async def stand(session: AsyncSession, *, vote_id: int, person: Person,
                language: str) -> Standing:
    """The vote (NotFound if there is none) and the roll owners `person` may vote for in it,
    their homes named for a reader of `language`."""
    rows = (await session.execute(STANDING, {"vote_id": vote_id,
                                             "person_id": person.id})).all()
    if not rows:
        raise NotFound(N_("That vote no longer exists."))
    first = rows[0]
    vote = VoteBrief(first.id, first.estate_id, first.building_id, first.title,
                     first.title_en, VoteStatus(first.status), bool(first.changeable),
                     bool(first.secret), first.opens_at, first.closes_at)
    homes: dict[int, list[str]] = {}
    heads: dict[int, Row[Any]] = {}
    for row in rows:
        if row.owner_id is None:
            continue
        heads.setdefault(row.owner_id, row)
        if row.h0_name is not None:
            homes.setdefault(row.owner_id, []).append(_home(row, language))
    owners = tuple(
        OwnerBrief(owner_id, row.owner_area, tuple(homes.get(owner_id, ())),
                   None if row.ballot_id is None else BallotBrief(
                       row.ballot_id, row.ballot_version, row.cast_at, row.channel),
                   row.ballot_id is not None or row.secret_voted is not None,
                   bool(row.co_owners))
        for owner_id, row in heads.items())
    where = where_of((first.estate_name, first.estate_en),
                     (first.building_name, first.building_en), language)
    return Standing(vote, where, owners)


def require_open(vote: Vote | VoteBrief, now: dt.datetime) -> None:
    """Voting on the vote is open now (Conflict: not yet, or no longer)."""
    if vote.status == VoteStatus.ANNOUNCED:
        raise Conflict(N_("Voting has not opened yet: it opens on {day}."), day=vote.opens_at)
    if vote.status != VoteStatus.OPEN or (vote.closes_at is not None and now >= vote.closes_at):
        raise Conflict(N_("Voting on this matter has closed."))


async def voters(session: AsyncSession, standing: Standing, person: Person,
                 now: dt.datetime) -> tuple[OwnerBrief, ...]:
    """The roll owners the person may vote for now, voting being open (else Conflict; none:
    NotAllowed with the reason, which costs a statement more)."""
    require_open(standing.vote, now)
    if not standing.owners:
        raise await refusal(session, person)
    return standing.owners


async def refusal(session: AsyncSession, person: Person) -> NotAllowed:
    """Why someone on none of the vote's roll owners may not vote: not an owner there, or
    their request to join as one is still waiting."""
    pending = await session.scalar(select(Membership.id).where(
        Membership.person_id == person.id, Membership.status == MembershipStatus.PENDING,
        Membership.relation == Relation.OWNER).limit(1))
    return NotAllowed(PENDING if pending is not None else NOT_ON_ROLL)


async def voter_for(session: AsyncSession, standing: Standing, person: Person, owner_id: int,
                    now: dt.datetime) -> OwnerBrief:
    """The roll owner `owner_id`, if the person may vote for it now (else as `voters`, or
    NotAllowed: not one of theirs — a forged or stale button, another vote's owner)."""
    owner = next((o for o in await voters(session, standing, person, now)
                  if o.id == owner_id), None)
    if owner is None:
        raise NotAllowed(NOT_ON_ROLL)
    return owner
