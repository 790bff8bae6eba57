"""Tags on people (人群标签): staff and grid workers mark residents as elderly living alone,
unemployed, a party member … so that a notice can go to just that group. Seeing or changing a
person's tags needs a manager role over one of their homes; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.errors import N_, NotAllowed
from models.people import Membership, MembershipStatus, Person, PersonTag, Tag
from models.permissions import MANAGERS, places_with_role, require_role, require_scope_over_person
from models.places import Place, PlaceKind, get_place


async def tagging_scopes(session: AsyncSession, by: Person) -> list[Place]:
    """Where `by` may tag people (NotAllowed, saying so, for anyone but managers)."""
    scopes = await places_with_role(session, person_id=by.id, roles=MANAGERS)
    if not scopes:
        raise NotAllowed(N_("Only staff and grid workers can manage groups of people."))
    return scopes


async def tag_person_check(session: AsyncSession, *, person_id: int, by: Person) -> None:
    """Raise NotAllowed unless `by` is staff or grid worker over one of the person's homes."""
    await require_scope_over_person(session, person_id=person_id, by=by, roles=MANAGERS)


async def tags_of(session: AsyncSession, person_id: int) -> set[Tag]:
    return {Tag(t) for t in await session.scalars(select(PersonTag.tag).where(
        PersonTag.person_id == person_id))}


async def tag_person(session: AsyncSession, *, person_id: int, tag: Tag, by: Person,
                     on: bool) -> bool:
    """Add or remove a tag (same scope rule as `tag_person_check`). Returns the new state."""
    await tag_person_check(session, person_id=person_id, by=by)
    existing = await session.scalar(select(PersonTag).where(PersonTag.person_id == person_id,
                                                           PersonTag.tag == tag))
    if on and existing is None:
        session.add(PersonTag(person_id=person_id, tag=tag, tagged_by_id=by.id))
    elif not on and existing is not None:
        await session.delete(existing)
    if (existing is None) == on:  # it changed
        # which tag stays out of the log: a tag (living alone, a disability …) is itself
        # sensitive personal data, and the log outlives the person
        audit.record(session, actor_id=by.id, action="tag.set" if on else "tag.unset",
                     subject="person", subject_id=person_id)
    await session.commit()
    return on


async def toggle_tag(session: AsyncSession, *, person_id: int, tag: Tag, by: Person) -> bool:
    """Tag the person if they are not, untag them if they are. Returns the new state."""
    await tagging_scopes(session, by)
    return await tag_person(session, person_id=person_id, tag=tag, by=by,
                            on=tag not in await tags_of(session, person_id))


@dataclass(frozen=True)
class Member:
    person_id: int
    name: str


async def area_to_tag(session: AsyncSession, *, place_id: int | None, by: Person) -> Place:
    """The place a tagger looks at (their first area when none is given); a household only
    for someone responsible for it, since it lists its members' names."""
    scopes = await tagging_scopes(session, by)
    place = await get_place(session, scopes[0].id if place_id is None else place_id)
    if place.kind == PlaceKind.HOUSEHOLD:
        await require_role(session, person_id=by.id, place=place, roles=MANAGERS)
    return place


async def household_members(session: AsyncSession, household_id: int) -> list[Member]:
    """The approved members of a household (check the viewer with `area_to_tag` first)."""
    rows = await session.execute(
        select(Person.id, Person.name).join(Membership, Membership.person_id == Person.id)
        .where(Membership.household_id == household_id,
               Membership.status == MembershipStatus.APPROVED).order_by(Person.id))
    return [Member(pid, name) for pid, name in rows]


async def member_tags(session: AsyncSession, *, person_id: int,
                      by: Person) -> tuple[Person, set[Tag]]:
    """A person and their tags, for someone who may change them."""
    await tagging_scopes(session, by)
    await tag_person_check(session, person_id=person_id, by=by)
    return await session.get_one(Person, person_id), await tags_of(session, person_id)
