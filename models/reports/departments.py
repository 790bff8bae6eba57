"""Departments (责任部门): a community's repair team, property company, water utility — a
name, members, the categories and places they handle. Staff of the community make them; a
dispatch card offers the departments that handle the report's category and place first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.errors import N_, Invalid, NotFound
from models.people import Person, Role
from models.permissions import require_role
from models.places import Place, get_place
from models.reports.tables import (
    Department,
    DepartmentCategory,
    DepartmentMember,
    DepartmentPlace,
    Report,
)


async def create(session: AsyncSession, *, community: Place, by: Person | None, name: str,
                 members: Sequence[int] = (), categories: Sequence[int] = (),
                 places: Sequence[int] = ()) -> Department:
    """A department of `community` (staff there only), with its members (person ids), the
    categories and places it handles (none: all). `by` None: the command line, trusted."""
    if by is not None:
        await require_role(session, person_id=by.id, place=community, roles=(Role.STAFF,))
    name = " ".join(name.split())
    if not name or len(name) > 60:
        raise Invalid(N_("A department's name is 1 to 60 characters."))
    if await session.scalar(select(Department.id).where(Department.community_id == community.id,
                                                        Department.name == name)):
        raise Invalid(N_("There is a department “{name}” already."), name=name)
    department = Department(community_id=community.id, name=name)
    session.add(department)
    await session.flush()
    for pid in members:
        session.add(DepartmentMember(department_id=department.id, person_id=pid))
    for cid in categories:
        session.add(DepartmentCategory(department_id=department.id, category_id=cid))
    for place_id in places:
        place = await get_place(session, place_id)
        if not place.path.startswith(community.path):
            raise Invalid(N_("A department handles places of its own community only."))
        session.add(DepartmentPlace(department_id=department.id, place_id=place_id))
    audit.record(session, actor_id=by.id if by else None, action="department.create",
                 subject="department", subject_id=department.id, place_id=community.id,
                 members=len(members))
    await session.commit()
    return department


async def get(session: AsyncSession, department_id: int) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFound(N_("That department no longer exists."))
    return department


async def members(session: AsyncSession, department_id: int) -> list[Person]:
    return list(await session.scalars(select(Person).join(
        DepartmentMember, DepartmentMember.person_id == Person.id).where(
        DepartmentMember.department_id == department_id).order_by(Person.id)))


async def handles(session: AsyncSession, department: Department, report: Report,
                  place: Place) -> bool:
    """Whether the department handles this report's category and place (none listed: all)."""
    cats = set(await session.scalars(select(DepartmentCategory.category_id).where(
        DepartmentCategory.department_id == department.id)))
    if cats and report.category_id not in cats:
        return False
    paths = list(await session.scalars(select(Place.path).join(
        DepartmentPlace, DepartmentPlace.place_id == Place.id).where(
        DepartmentPlace.department_id == department.id)))
    return not paths or any(place.path.startswith(p) for p in paths)


async def for_report(session: AsyncSession, report: Report, place: Place,
                     community: Place) -> list[Department]:
    """The community's departments, those that handle this report first."""
    all_ = list(await session.scalars(select(Department).where(
        Department.community_id == community.id).order_by(Department.name)))
    first = [d for d in all_ if await handles(session, d, report, place)]
    return first + [d for d in all_ if d not in first]


async def in_community(session: AsyncSession, community: Place
                       ) -> list[tuple[Department, list[Person]]]:
    """The community's departments with their members, by name."""
    found = list(await session.scalars(select(Department).where(
        Department.community_id == community.id).order_by(Department.name)))
    return [(d, await members(session, d.id)) for d in found]
