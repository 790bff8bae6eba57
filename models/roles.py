"""Granting and revoking roles by hand (`linli admin`): how the first staff member is made.

Each verb finds the place by its names from the top, changes the grant and writes the audit
row in one transaction. The command line is trusted: its actor is nobody (`actor_id` None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
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
