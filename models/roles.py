"""Granting and revoking roles by hand (`linli admin`): how the first staff member is made;
and the seats of an estate's owners' committee or preparatory group (`linli admin committee`).

Each verb finds the place by its names from the top, changes the grant and writes the audit
row in one transaction. The command line is trusted: its actor is nobody (`actor_id` None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, estates
from models.estates import Body, estate_by_names
from models.people import Person, Role, RoleGrant, ensure_person, grant_role, person_by_telegram
from models.people import revoke_role as _revoke
from models.places import Place, ancestors, find_by_names


async def grant(session: AsyncSession, *, telegram_id: int, place_names: Sequence[str],
                role: Role, name: str, language: str, actor_id: int | None = None) -> bool:
    """Grant `role` on the named place (creating the person if need be); False when they
    held it already."""
    place = await find_by_names(session, place_names)
    person = await ensure_person(session, telegram_id=telegram_id, name=name,
                                 language=language)
    _grant, created = await grant_role(session, person_id=person.id, place_id=place.id,
                                       role=role, granted_by_id=actor_id)
    if created:
        audit.record(session, actor_id=actor_id, action="role.grant", subject="person",
                     subject_id=person.id, place_id=place.id, role=role.value)
    await session.commit()
    return created


async def revoke(session: AsyncSession, *, telegram_id: int, place_names: Sequence[str],
                 role: Role, actor_id: int | None = None) -> bool:
    """Take `role` on the named place away; False when there was nothing to take."""
    place = await find_by_names(session, place_names)
    person = await person_by_telegram(session, telegram_id)
    if person is None or not await _revoke(session, person_id=person.id, place_id=place.id,
                                           role=role):
        return False
    audit.record(session, actor_id=actor_id, action="role.revoke", subject="person",
                 subject_id=person.id, place_id=place.id, role=role.value)
    await session.commit()
    return True


@dataclass(frozen=True)
class Holder:
    role: str
    telegram_id: int
    name: str
    place_names: list[str]  # from the top


async def role_holders(session: AsyncSession, role: Role | None = None) -> list[Holder]:
    """Every role granted, by role and person (or only `role`)."""
    rows = await session.execute(
        select(Person, RoleGrant, Place).join(RoleGrant, RoleGrant.person_id == Person.id)
        .join(Place, Place.id == RoleGrant.place_id).order_by(RoleGrant.role, Person.id))
    out = []
    for person, granted, place in rows:
        if role is not None and granted.role != role:
            continue
        chain = [p.name for p in await ancestors(session, place)]
        out.append(Holder(granted.role, person.telegram_id, person.name, chain))
    return out


# --- owners' committee seats (`linli admin committee`) ---------------------------------------


async def grant_seat(session: AsyncSession, *, telegram_id: int, estate_names: Sequence[str],
                     body: Body, name: str, language: str, actor_id: int | None = None) -> bool:
    """Seat the person on the named estate's committee or preparatory group (creating the
    person if need be); False when they held that seat already."""
    estate = await estate_by_names(session, estate_names)
    person = await ensure_person(session, telegram_id=telegram_id, name=name,
                                 language=language)
    _seat, changed = await estates.grant_seat(session, estate_id=estate.id,
                                              person_id=person.id, body=body, actor_id=actor_id)
    await session.commit()  # the person, when only just created
    return changed


async def revoke_seat(session: AsyncSession, *, telegram_id: int, estate_names: Sequence[str],
                      actor_id: int | None = None) -> bool:
    """Take the person's seat on the named estate away; False when they held none."""
    estate = await estate_by_names(session, estate_names)
    person = await person_by_telegram(session, telegram_id)
    return person is not None and await estates.revoke_seat(
        session, estate_id=estate.id, person_id=person.id, actor_id=actor_id)


@dataclass(frozen=True)
class SeatHolder:
    body: str
    telegram_id: int
    name: str
    estate_names: list[str]  # the community's names from the top, the estate's last


async def seat_holders(session: AsyncSession, estate_names: Sequence[str] | None = None,
                       ) -> list[SeatHolder]:
    """Every committee and preparatory group seat (or those of the named estate)."""
    estate_id = None if estate_names is None else (
        await estate_by_names(session, estate_names)).id
    out = []
    for seat, person, estate in await estates.seats_in(session, estate_id):
        community = await session.get(Place, estate.community_id)
        chain = [] if community is None else [p.name for p in await ancestors(session, community)]
        out.append(SeatHolder(seat.body, person.telegram_id, person.name, [*chain, estate.name]))
    return out
