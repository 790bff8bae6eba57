"""Door-knocking (上门) for an open vote: what a grid worker or a staff member found at the door
of an owner who has not voted — not reached, refused, will vote online, will vote on paper, or
none — set by a button from the not-voted list of a building, shown in the per-building lists
and exported with the list (who set it, when). Each press is audited; an owner who votes drops
out of the list as before (the list is the participation parts' `not_acted`), the state stays
with the roll owner.

Whom one may knock for: the community office (staff and grid workers, `MANAGERS`), each in
the part of the vote's estate their roles cover — re-checked on the server at every press,
against the owner's own homes (`require_over_home`), whatever the button said.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, NotAllowed, StaleButton
from models.participation import under
from models.people import Membership, MembershipStatus, Person, Relation
from models.permissions import MANAGERS, places_with_role, roles_at
from models.places import Place, PlaceKind, get_place, name_column
from models.votes import following
from models.votes.core import get_vote, vote_paths
from models.votes.paper import Entry, owner_entry
from models.votes.roll import voted_owners
from models.votes.tables import DoorKnock, RollHousehold, RollOwner, Vote, VoteStatus

STATES = ("none", "not-reached", "refused", "online", "paper")
NOT_KNOCKER = N_("Only the community's staff and the grid workers of these homes can record "
                 "door-knocking for them.")
NOT_OPEN = N_("Door-knocking is recorded while voting is open.")


@dataclass(frozen=True)
class Knock:
    """A door-knock state as the lists show it: the state, who set it, when."""

    state: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class Missing:
    """An owner (registered here) who has not voted, or a home whose owner is not in linli,
    with the home's door-knock state."""

    person_id: int | None  # None: a home whose owner is not in linli (`unregistered`)
    name: str
    household_id: int | None
    room: str
    unit: str
    building: str
    owner_id: int | None
    knock: Knock | None


def _narrowed(vote_paths_: Sequence[str], grants: Sequence[str]) -> list[str]:
    """The parts of the vote's places a person's grants cover, as paths."""
    out = set()
    for path in vote_paths_:
        for grant in grants:
            if path.startswith(grant):
                out.add(path)
            elif grant.startswith(path):
                out.add(grant)
    return sorted(p for p in out if not any(p != o and p.startswith(o) for o in out))


async def knock_paths(session: AsyncSession, vote: Vote, by: Person) -> list[str]:
    """The parts of the vote the person may knock in (NotAllowed if none)."""
    grants = [p.path for p in await places_with_role(session, person_id=by.id, roles=MANAGERS)]
    paths = _narrowed(await vote_paths(session, vote), grants)
    if not paths:
        raise NotAllowed(NOT_KNOCKER)
    return paths


async def may_knock_in(session: AsyncSession, vote: Vote, by: Person, path: str) -> bool:
    """Whether the person may knock on doors of the vote's place at `path` (a building)."""
    try:
        paths = await knock_paths(session, vote, by)
    except NotAllowed:
        return False
    return any(path.startswith(p) or p.startswith(path) for p in paths)


async def require_over_home(session: AsyncSession, by: Person, owner: RollOwner) -> None:
    """NotAllowed unless the person is staff or a grid worker over one of the owner's homes."""
    homes = await session.scalars(select(Place).join(
        RollHousehold, RollHousehold.household_id == Place.id).where(
        RollHousehold.owner_id == owner.id))
    for home in homes:
        if set(MANAGERS) & await roles_at(session, person_id=by.id, place=home):
            return
    raise NotAllowed(NOT_KNOCKER)


async def votes_to_knock(session: AsyncSession, by: Person) -> list[Vote]:
    """The open votes with a part the person may knock in, newest first."""
    grants = [p.path for p in await places_with_role(session, person_id=by.id, roles=MANAGERS)]
    if not grants:  # (an owner's /votes: one query, no more)
        return []
    votes = list(await session.scalars(select(Vote).where(Vote.status == VoteStatus.OPEN)
                                       .order_by(Vote.id.desc())))
    return [v for v in votes if _narrowed(await vote_paths(session, v), grants)]


async def buildings(session: AsyncSession, *, vote_id: int, by: Person,
                    language: str = "zh_CN") -> tuple[Vote, list[following.BuildingRow]]:
    """The vote's buildings in the person's part, households and how many voted."""
    vote = await _open(session, vote_id)
    paths = await knock_paths(session, vote, by)
    return vote, await following.by_building(session, vote, paths, language=language)


async def _open(session: AsyncSession, vote_id: int) -> Vote:
    vote = await get_vote(session, vote_id)
    if vote.status != VoteStatus.OPEN:
        raise Conflict(NOT_OPEN)
    return vote


async def missing(session: AsyncSession, vote: Vote, paths: Sequence[str], *,
                  limit: int | None = None, language: str = "zh_CN") -> list[Missing]:
    """Who has not voted under `paths` (following.not_voted's rows), with their home's
    door-knock state — for any viewer the caller has checked."""
    rows = await following.not_voted(session, vote, paths, limit=limit, language=language)
    return await with_knocks(session, vote, rows)


async def unregistered(session: AsyncSession, vote: Vote, paths: Sequence[str], *,
                       limit: int | None = None, language: str = "zh_CN") -> list[Missing]:
    """The roll's homes under `paths` whose owner has not voted and is in linli under none of
    their homes (no approved owner: an elderly owner living alone often is one) — the doors
    the not-voted list of people cannot show — in place order, with their door-knock state."""
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    other = aliased(RollHousehold)
    joined = (select(Membership.id).join(other, other.household_id == Membership.household_id)
              .where(other.owner_id == RollHousehold.owner_id, other.vote_id == vote.id,
                     Membership.status == MembershipStatus.APPROVED,
                     Membership.relation == Relation.OWNER))
    voted = voted_owners(vote).subquery()
    stmt = (select(RollHousehold.household_id, RollHousehold.owner_id,
                   name_column(household, language), name_column(unit, language),
                   name_column(building, language))
            .join(household, household.id == RollHousehold.household_id)
            .join(unit, unit.id == household.parent_id)
            .join(building, building.id == unit.parent_id)
            .where(RollHousehold.vote_id == vote.id, under(paths, household.path),
                   RollHousehold.owner_id.not_in(select(voted.c.owner_id)), ~joined.exists())
            .order_by(household.path))
    if limit is not None:
        stmt = stmt.limit(limit)
    knocks = await knocks_of(session, vote.id)
    return [Missing(None, "", int(h), str(room), str(u), str(b), int(o), knocks.get(int(o)))
            for h, o, room, u, b in await session.execute(stmt)]


async def with_knocks(session: AsyncSession, vote: Vote, rows: Sequence[Any]) -> list[Missing]:
    homes = {r.household_id for r in rows if r.household_id is not None}
    owners: dict[int, int] = {}
    for chunk in _chunks(sorted(homes)):
        owners |= dict((await session.execute(select(
            RollHousehold.household_id, RollHousehold.owner_id).where(
            RollHousehold.vote_id == vote.id, RollHousehold.household_id.in_(chunk)))).all())
    knocks = await knocks_of(session, vote.id)
    return [Missing(r.person_id, r.name, r.household_id, r.room or "", r.unit or "",
                    r.building or "", owners.get(r.household_id),
                    knocks.get(owners.get(r.household_id, 0))) for r in rows]


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


async def knocks_of(session: AsyncSession, vote_id: int) -> dict[int, Knock]:
    """Every door-knock state of the vote (but none), by roll owner."""
    rows = await session.execute(
        select(DoorKnock.owner_id, DoorKnock.state, Person.name, DoorKnock.set_at)
        .outerjoin(Person, Person.id == DoorKnock.set_by_id)
        .where(DoorKnock.vote_id == vote_id, DoorKnock.state != "none"))
    return {int(o): Knock(str(s), str(n or ""), at) for o, s, n, at in rows}


async def building_list(session: AsyncSession, *, vote_id: int, building_id: int, by: Person,
                        limit: int | None = None, language: str = "zh_CN"
                        ) -> tuple[Vote, Place | None, list[Missing]]:
    """The not-voted list of one building (0: all the person's part), in the person's part."""
    vote = await _open(session, vote_id)
    paths = await knock_paths(session, vote, by)
    building = None
    if building_id:
        building = await get_place(session, building_id)
        if building.kind != PlaceKind.BUILDING:
            raise StaleButton()
        paths = _narrowed(paths, [building.path])
        if not paths:
            raise NotAllowed(NOT_KNOCKER)
    rows = await missing(session, vote, paths, limit=limit, language=language)
    rows += await unregistered(session, vote, paths, limit=limit, language=language)
    return vote, building, rows


@dataclass(frozen=True)
class Door:
    """One home's door, as the person knocking sees it."""

    entry: Entry  # the owner, their homes and names
    household_id: int
    knock: Knock | None


async def door(session: AsyncSession, *, vote_id: int, household_id: int, by: Person,
               language: str = "zh_CN") -> Door:
    """The owner of a home of the vote's roll, for the person to record a knock or assist:
    re-checked (voting open, the person over the home, the owner not voted: refused with
    when and how the ballot was cast)."""
    vote = await _open(session, vote_id)
    owner = await session.scalar(
        select(RollOwner).join(RollHousehold, RollHousehold.owner_id == RollOwner.id)
        .where(RollHousehold.vote_id == vote.id, RollHousehold.household_id == household_id))
    if owner is None:
        raise StaleButton()
    await require_over_home(session, by, owner)
    return Door(await owner_entry(session, vote, owner, language), household_id,
                (await knocks_of(session, vote.id)).get(owner.id))


async def set_state(session: AsyncSession, *, vote_id: int, household_id: int, state: str,
                    by: Person, language: str = "zh_CN", now: dt.datetime | None = None
                    ) -> Door:
    """Record what knocking on the home's door found (audited); the door again."""
    now = now or utcnow()
    if state not in STATES:
        raise StaleButton()
    found = await door(session, vote_id=vote_id, household_id=household_id, by=by,
                       language=language)
    owner_id, by_id, name = found.entry.owner.id, by.id, by.name
    row = await session.scalar(select(DoorKnock).where(
        DoorKnock.vote_id == vote_id, DoorKnock.owner_id == owner_id))
    if row is None:
        session.add(DoorKnock(vote_id=vote_id, owner_id=owner_id, state=state,
                              set_by_id=by_id, set_at=now))
    else:
        row.state, row.set_by_id, row.set_at = state, by_id, now
    audit.record(session, actor_id=by_id, action="vote.door_knock", subject="vote",
                 subject_id=vote_id, owner=owner_id, state=state)
    try:
        await session.commit()
    except IntegrityError:  # (another knock on the same door came first)
        await session.rollback()
        raise Conflict(N_("Someone has just recorded this door: open it again.")) from None
    knock = None if state == "none" else Knock(state, name, now)
    return Door(found.entry, household_id, knock)


async def table(session: AsyncSession, *, vote_id: int, building_id: int, by: Person,
                language: str = "zh_CN") -> tuple[Vote, list[Missing]]:
    """The not-voted list with its door-knock states, for an export."""
    vote, _place, rows = await building_list(session, vote_id=vote_id,
                                             building_id=building_id, by=by, language=language)
    return vote, rows
