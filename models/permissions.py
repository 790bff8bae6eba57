"""Who may do what, where: the role sets by what they are for, the checks every verb makes,
and the part of a place a viewer may see.

Roles are granted on a place and cover everything under it (a grant on a community covers its
grids, buildings and households). A button or a command is only a hint: every verb checks here,
on the server, with the role set named for its use.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import NotAllowed
from models.people import Membership, MembershipStatus, Person, Role, RoleGrant
from models.places import Place

# The community office: staff and grid workers approve join requests, write and follow notices
# and pledges, tag people, and sign on a resident's behalf in their part of the tree.
MANAGERS: tuple[Role, ...] = (Role.STAFF, Role.GRID_WORKER)
# Staff only: bind a group chat to a place.
BINDERS: tuple[Role, ...] = (Role.STAFF,)
# Staff of an estate's community: grant its owners' committee seats (models/estates.py), and
# convene its owners' decisions together with the committee.
SEAT_GRANTERS: tuple[Role, ...] = (Role.STAFF,)
CONVENORS: tuple[Role, ...] = (Role.STAFF,)
# Resident polls: the community office, each within their own area. Not the owners' committee:
# a poll asks every resident of a place (tenants and family members too), not the owners.
POLLSTERS: tuple[Role, ...] = (Role.STAFF, Role.GRID_WORKER)


def _covers(place_path: str):  # type: ignore[no-untyped-def]
    """Grants whose place is `place_path` or one of its ancestors."""
    # literal(path) LIKE grant.path || '%': the grant's place is a prefix of the target's.
    return literal(place_path).like(Place.path + "%")


async def roles_at(session: AsyncSession, *, person_id: int, place: Place) -> set[Role]:
    """Every role the person holds that covers `place`."""
    rows = await session.scalars(
        select(RoleGrant.role)
        .join(Place, Place.id == RoleGrant.place_id)
        .where(RoleGrant.person_id == person_id, _covers(place.path))
    )
    return {Role(r) for r in rows}


async def require_role(
    session: AsyncSession, *, person_id: int, place: Place, roles: Sequence[Role]
) -> Role:
    """Raise NotAllowed unless the person holds one of `roles` over `place`."""
    held = await roles_at(session, person_id=person_id, place=place)
    for role in roles:
        if role in held:
            return role
    raise NotAllowed()


async def require_scope_over_person(
    session: AsyncSession, *, person_id: int, by: Person, roles: Sequence[Role]
) -> None:
    """Raise NotAllowed unless `by` holds one of `roles` over one of the person's approved
    households: the rule for seeing or acting on a resident's data (tags, assisted signing)."""
    households = await session.scalars(select(Place).join(
        Membership, Membership.household_id == Place.id).where(
        Membership.person_id == person_id, Membership.status == MembershipStatus.APPROVED))
    for household in households:
        if set(roles) & await roles_at(session, person_id=by.id, place=household):
            return
    raise NotAllowed()


async def places_with_role(
    session: AsyncSession, *, person_id: int, roles: Sequence[Role]
) -> list[Place]:
    """The places where the person holds one of `roles` (each covers its subtree)."""
    return list(await session.scalars(
        select(Place).join(RoleGrant, RoleGrant.place_id == Place.id)
        .where(RoleGrant.person_id == person_id, RoleGrant.role.in_(roles))
        .order_by(Place.path).distinct()))




async def holders(
    session: AsyncSession, *, place: Place, roles: Sequence[Role]
) -> list[Person]:
    """People holding one of `roles` on `place` or an ancestor — who is responsible here."""
    rows = await session.scalars(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .join(Place, Place.id == RoleGrant.place_id)
        .where(RoleGrant.role.in_(roles), _covers(place.path), Person.unreachable_at.is_(None))
        .distinct()
        .order_by(Person.id)
    )
    return list(rows)


async def staff_people(session: AsyncSession) -> list[Person]:
    """Everyone who holds a staff-like role somewhere (for their command menus)."""
    rows = await session.scalars(
        select(Person).join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role.in_(MANAGERS)).distinct()
    )
    return list(rows)


async def is_manager(session: AsyncSession, person_id: int) -> bool:
    """Whether the person holds a manager role anywhere (their menu shows the staff part)."""
    return bool(await places_with_role(session, person_id=person_id, roles=MANAGERS))


async def viewer_paths(session: AsyncSession, person: Person, place: Place,
                       roles: Sequence[Role] = MANAGERS) -> list[str]:
    """The parts of `place` this person may follow, as paths: the whole place when a grant
    covers it, else the places under it they hold a grant on (NotAllowed if none)."""
    grants = set(await session.scalars(
        select(Place.path).join(RoleGrant, RoleGrant.place_id == Place.id)
        .where(RoleGrant.person_id == person.id, RoleGrant.role.in_(roles))))
    if any(place.path.startswith(g) for g in grants):
        return [place.path]
    inner = sorted(g for g in grants if g.startswith(place.path))
    # a grant under another grant adds nothing
    paths = [g for g in inner if not any(g != o and g.startswith(o) for o in inner)]
    if not paths:
        raise NotAllowed()
    return paths
