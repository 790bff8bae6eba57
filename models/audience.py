"""Who a message is for: the people under a place, narrowed by relation, role or tag.

Every feature that reaches many people (notices, pledges, votes, reminders) describes its
audience with `Audience` and expands it here, set-based: a Core SELECT of (person id, Telegram
id) that can be counted for a preview or poured straight into the outbox with INSERT … SELECT,
never a loop over ORM objects — at 156,000 households that is the difference that matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.outbox import enqueue_select
from models.participation.duty import Duty, member_conditions, reachable_conditions
from models.people import (
    Membership,
    Person,
    PersonTag,
    Relation,
    Role,
    RoleGrant,
    Tag,
)
from models.places import Place, subtree_filter


@dataclass(frozen=True)
class Audience:
    """People under the place at `path`.

    relations: residents with an approved membership of these kinds (None: any kind);
    roles: also (or instead, with `residents=False`) people holding these roles on a place
    under `path` or above it; per_household: one person per household (an owner first);
    landlords: only owners of households that have an approved tenant.
    """

    path: str
    residents: bool = True
    relations: tuple[Relation, ...] | None = None
    roles: tuple[Role, ...] = ()
    per_household: bool = False
    landlords: bool = False
    tag: Tag | None = None  # only people with this tag
    person_ids: tuple[int, ...] = field(default=())  # only these people


def _residents(audience: Audience) -> Select[*tuple[Any, ...]]:
    household = aliased(Place)
    # who lives there is the participation parts' rule (one definition for every feature)
    relations = (Relation.OWNER,) if audience.landlords else audience.relations
    duty = Duty(paths=(audience.path,), relations=relations, rented=audience.landlords)
    conditions = [*member_conditions(duty, household), *reachable_conditions()]
    base = (select(Person.id.label("person_id"), Person.telegram_id.label("chat_id"),
                   Membership.household_id.label("household_id"))
            .join(Membership, Membership.person_id == Person.id)
            .join(household, household.id == Membership.household_id)
            .where(*conditions))
    if not audience.per_household:
        return base
    # one per household: owners before tenants before family, then the earliest to join
    rank = func.row_number().over(
        partition_by=Membership.household_id,
        order_by=[Membership.relation != Relation.OWNER,
                  Membership.relation != Relation.TENANT, Membership.id],
    ).label("rank")
    ranked = base.add_columns(rank).subquery()
    return select(ranked.c.person_id, ranked.c.chat_id, ranked.c.household_id).where(
        ranked.c.rank == 1)


def _role_holders(audience: Audience) -> Select[*tuple[Any, ...]]:
    granted = aliased(Place)
    # a grant on a place under `path` (a grid's volunteer) or above it (a district's staff)
    inside = subtree_filter(audience.path, granted.path)
    above = literal(audience.path).like(granted.path + "%")
    return (select(Person.id.label("person_id"), Person.telegram_id.label("chat_id"),
                   literal(None).label("household_id"))
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .join(granted, granted.id == RoleGrant.place_id)
            .where(RoleGrant.role.in_(audience.roles), inside | above, *reachable_conditions()))


def recipients(audience: Audience) -> Select[*tuple[Any, ...]]:
    """Distinct (person_id, chat_id) of everyone in the audience."""
    parts: list[Select[*tuple[Any, ...]]] = []
    if audience.residents:
        parts.append(_residents(audience))
    if audience.roles:
        parts.append(_role_holders(audience))
    if not parts:
        return select(Person.id.label("person_id"), Person.telegram_id.label("chat_id")).where(
            literal(False))
    combined = union(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    stmt = select(combined.c.person_id, combined.c.chat_id).distinct()
    if audience.person_ids:
        stmt = stmt.where(combined.c.person_id.in_(audience.person_ids))
    if audience.tag is not None:
        stmt = stmt.where(combined.c.person_id.in_(
            select(PersonTag.person_id).where(PersonTag.tag == audience.tag)))
    return stmt


async def count(session: AsyncSession, audience: Audience) -> int:
    """How many people would receive it (the preview's number)."""
    return int(await session.scalar(select(func.count()).select_from(
        recipients(audience).subquery())) or 0)


async def enqueue_all(
    session: AsyncSession, audience: Audience, *, kind: str, payload: dict[str, Any],
    topic: str | None = None, urgent: bool = False,
) -> int:
    """Put one outbox row per recipient, in the caller's transaction (`urgent`: also in quiet
    hours). Returns the count."""
    people = recipients(audience).subquery()
    return await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                kind=kind, payload=payload, topic=topic, urgent=urgent)
