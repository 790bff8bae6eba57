"""Estates (物业管理区域) and their owners' committees: the ground owners' decisions stand on.

An owners' decision under Civil Code art. 278 belongs to one property management area or one
building of it. The place tree has no estate level (a community may hold several estates, and
an estate's buildings may lie in different grids), so an estate is a row of its own, kept under
its community, and each building names its estate (`Place.estate_id`). The places CSV sets
both (models/place_import.py).

The owners' committee (业主委员会), or before it is elected the preparatory group (筹备组), of
an estate convenes its owners' decisions with the community's staff: a `CommitteeSeat` per
member, granted and revoked by staff (`linli admin committee`), each change audited.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

from sqlalchemy import ForeignKey, String, UniqueConstraint, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import audit
from models.base import ID, Base, utcnow
from models.errors import N_, NotAllowed, NotFound
from models.people import Person
from models.permissions import CONVENORS, SEAT_GRANTERS, require_role, roles_at
from models.places import (
    Place,
    PlaceKind,
    ancestor_ids,
    find_by_names,
    get_place,
    name_in,
    natural_key,
    subtree_filter,
)


class Estate(Base):
    """A property management area (物业管理区域) of a community: the buildings whose owners
    decide together."""

    __tablename__ = "estate"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # the name English readers see (optional: they see `name` where it is missing)
    name_en: Mapped[str | None] = mapped_column(String(100))


class Body(enum.StrEnum):
    """Which body of an estate's owners a seat is on."""

    COMMITTEE = "committee"  # 业主委员会, elected by the owners
    PREPARATORY = "preparatory"  # 筹备组, which prepares the first owners' assembly


class CommitteeSeat(Base):
    """A person's seat on an estate's owners' committee or preparatory group."""

    __tablename__ = "committee_seat"
    __table_args__ = (UniqueConstraint("estate_id", "person_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estate.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    body: Mapped[Body] = mapped_column(String(16))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )


# --- estates ----------------------------------------------------------------------------------


def estate_label(estate: Estate, language: str) -> str:
    """The estate's name for a reader of `language`, the Chinese name where it has none."""
    return name_in(estate.name, estate.name_en, language)


async def get_estate(session: AsyncSession, estate_id: int) -> Estate:
    estate = await session.get(Estate, estate_id)
    if estate is None:
        raise NotFound(N_("That estate no longer exists. Please start again."))
    return estate


async def estate_by_names(session: AsyncSession, names: Sequence[str]) -> Estate:
    """An estate by its community's names from the root and its own name last, e.g.
    ["城东街道", "阳光社区", "阳光花园"]."""
    if len(names) < 2:
        raise NotFound(N_("No estate named {name}."), name=" / ".join(names))
    community = await find_by_names(session, names[:-1])
    estate = await session.scalar(select(Estate).where(Estate.community_id == community.id,
                                                       Estate.name == names[-1]))
    if estate is None:
        raise NotFound(N_("No estate named {name}."), name=" / ".join(names))
    return estate


async def estate_of(session: AsyncSession, place: Place) -> Estate | None:
    """The estate of a building, or of the building above a unit or household (None above
    buildings, or where the building has no estate)."""
    if place.kind == PlaceKind.BUILDING:
        return None if place.estate_id is None else await session.get(Estate, place.estate_id)
    return await session.scalar(
        select(Estate).join(Place, Place.estate_id == Estate.id)
        .where(Place.id.in_(ancestor_ids(place.path)), Place.kind == PlaceKind.BUILDING))


async def estates_in(session: AsyncSession, place: Place) -> list[Estate]:
    """The estates under a place, naturally sorted: a community's own, those of a street's
    communities, those with a building in a grid; a building's, unit's or household's one."""
    if place.kind in (PlaceKind.BUILDING, PlaceKind.UNIT, PlaceKind.HOUSEHOLD):
        estate = await estate_of(session, place)
        return [] if estate is None else [estate]
    communities = select(Place.id).where(Place.kind == PlaceKind.COMMUNITY,
                                         subtree_filter(place.path))
    with_buildings = select(Place.estate_id).where(Place.kind == PlaceKind.BUILDING,
                                                   subtree_filter(place.path))
    condition = (Estate.id.in_(with_buildings) if place.kind == PlaceKind.GRID
                 else or_(Estate.community_id.in_(communities), Estate.id.in_(with_buildings)))
    rows = (await session.scalars(select(Estate).where(condition))).all()
    return sorted(rows, key=lambda e: (natural_key(e.name), e.id))


async def buildings_of(session: AsyncSession, estate_id: int) -> list[Place]:
    """The estate's buildings, naturally sorted by name."""
    rows = (await session.scalars(select(Place).where(Place.kind == PlaceKind.BUILDING,
                                                      Place.estate_id == estate_id))).all()
    return sorted(rows, key=lambda p: (natural_key(p.name), p.path))


async def estate_paths(session: AsyncSession, estate_id: int) -> list[str]:
    """The paths of the estate's buildings (what `participation.Duty.paths` takes)."""
    return [b.path for b in await buildings_of(session, estate_id)]


# --- committee seats -------------------------------------------------------------------------


async def _community_of(session: AsyncSession, estate: Estate) -> Place:
    return await get_place(session, estate.community_id)


async def _check_granter(session: AsyncSession, estate: Estate, actor_id: int | None) -> Place:
    """The estate's community, once the actor may grant its seats (None: the command line,
    which is trusted)."""
    community = await _community_of(session, estate)
    if actor_id is not None:
        await require_role(session, person_id=actor_id, place=community, roles=SEAT_GRANTERS)
    return community


async def grant_seat(session: AsyncSession, *, estate_id: int, person_id: int, body: Body,
                     actor_id: int | None) -> tuple[CommitteeSeat, bool]:
    """Give the person a seat on the estate's committee or preparatory group (moving them
    from one to the other if they sit on the other). Returns (seat, changed); granting the
    same seat again changes nothing."""
    estate = await get_estate(session, estate_id)
    community = await _check_granter(session, estate, actor_id)
    if await session.get(Person, person_id) is None:
        raise NotFound(N_("That person is not known here."))
    body = Body(body)
    seat = await session.scalar(select(CommitteeSeat).where(
        CommitteeSeat.estate_id == estate.id, CommitteeSeat.person_id == person_id))
    if seat is not None and seat.body == body:
        return seat, False
    if seat is None:
        seat = CommitteeSeat(estate_id=estate.id, person_id=person_id, body=body,
                             granted_at=utcnow(), granted_by_id=actor_id)
        session.add(seat)
    else:
        seat.body, seat.granted_at, seat.granted_by_id = body, utcnow(), actor_id
    await session.flush()
    audit.record(session, actor_id=actor_id, action="committee.grant", subject="person",
                 subject_id=person_id, place_id=community.id, estate_id=estate.id,
                 body=body.value)
    await session.commit()
    return seat, True


async def revoke_seat(session: AsyncSession, *, estate_id: int, person_id: int,
                      actor_id: int | None) -> bool:
    """Take the person's seat on the estate away; False when they held none."""
    estate = await get_estate(session, estate_id)
    community = await _check_granter(session, estate, actor_id)
    seat = await session.scalar(select(CommitteeSeat).where(
        CommitteeSeat.estate_id == estate.id, CommitteeSeat.person_id == person_id))
    if seat is None:
        return False
    body = seat.body
    await session.delete(seat)
    audit.record(session, actor_id=actor_id, action="committee.revoke", subject="person",
                 subject_id=person_id, place_id=community.id, estate_id=estate.id,
                 body=Body(body).value)
    await session.commit()
    return True


async def seats_of(session: AsyncSession, person_id: int) -> list[CommitteeSeat]:
    """The person's seats, oldest first."""
    return list(await session.scalars(select(CommitteeSeat).where(
        CommitteeSeat.person_id == person_id).order_by(CommitteeSeat.id)))


async def members_of(session: AsyncSession, estate_id: int) -> list[Person]:
    """The people holding a seat of the estate (committee or preparatory group), by seat."""
    return list(await session.scalars(
        select(Person).join(CommitteeSeat, CommitteeSeat.person_id == Person.id)
        .where(CommitteeSeat.estate_id == estate_id).order_by(CommitteeSeat.id)))


async def seats_in(session: AsyncSession, estate_id: int | None = None,
                   ) -> list[tuple[CommitteeSeat, Person, Estate]]:
    """Every seat (or those of one estate), by estate and seat: for `linli admin committee
    list`."""
    query = (select(CommitteeSeat, Person, Estate)
             .join(Person, Person.id == CommitteeSeat.person_id)
             .join(Estate, Estate.id == CommitteeSeat.estate_id)
             .order_by(Estate.id, CommitteeSeat.id))
    if estate_id is not None:
        query = query.where(CommitteeSeat.estate_id == estate_id)
    return [(seat, person, estate) for seat, person, estate in await session.execute(query)]


async def is_convenor(session: AsyncSession, *, person_id: int, estate: Estate) -> bool:
    """Whether the person may convene the estate's owners' decisions: a member of its
    committee or preparatory group, or staff whose grant covers its community."""
    if await session.scalar(select(CommitteeSeat.id).where(
            CommitteeSeat.estate_id == estate.id, CommitteeSeat.person_id == person_id)):
        return True
    community = await _community_of(session, estate)
    return bool(set(CONVENORS) & await roles_at(session, person_id=person_id, place=community))


async def require_convenor(session: AsyncSession, *, person_id: int, estate: Estate) -> None:
    """Raise NotAllowed unless the person may convene the estate's owners' decisions."""
    if not await is_convenor(session, person_id=person_id, estate=estate):
        raise NotAllowed(N_("Only the estate's owners' committee or preparatory group, or the "
                            "community's staff, can do that. Ask your community office."))

