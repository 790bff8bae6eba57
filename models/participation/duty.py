"""Who must act (a `Duty`) and who has: the units that count, as set-based Core over the place
tree's path index (see the package's docstring)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Subquery,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, PlaceKind, subtree_filter

# a SELECT of any columns (SQLAlchemy 2.1 types a SELECT by the tuple of its columns)
Query = Select[*tuple[Any, ...]]


class Unit(enum.StrEnum):
    """What one "must act" counts (see the package's docstring)."""

    PERSON = "person"
    HOUSEHOLD = "household"
    OWNER = "owner"


@dataclass(frozen=True)
class Duty:
    """Who must act: approved members of households under `paths` — only of these
    `relations` (None: any), only of rented households (an approved tenant) if `rented` —
    counted by `unit`. With Unit.OWNER the members are the owners.

    Or, when the object names its people itself (a notice: whoever it was sent to), `people`:
    a SELECT with a `person_id` column. Then everyone it selects must act, counted by person,
    wherever they live; `paths` only says where their homes are looked up for the rows per
    building and unit (someone without a home there is in the rows with no building)."""

    paths: tuple[str, ...]
    unit: Unit = Unit.PERSON
    relations: tuple[Relation, ...] | None = None
    rented: bool = False
    people: Query | None = None
    # Unit.OWNER with the owners given: a SELECT of (household_id, key), each household that
    # counts with its owner's key (a vote's frozen roll, models/votes/roll.py); only these
    # households count, and their approved owners are who may act
    units: Query | None = None

    def __post_init__(self) -> None:
        if self.people is not None and (self.unit != Unit.PERSON or self.relations is not None
                                        or self.rented):
            raise ValueError("a duty with explicit people counts persons, with no relations")
        if self.units is not None and self.unit != Unit.OWNER:
            raise ValueError("a duty with given owners counts owners")


def under(paths: Sequence[str], column: Any) -> ColumnElement[bool]:
    """Rows whose path lies under one of `paths`."""
    if len(paths) == 1:
        return subtree_filter(paths[0], column)
    return or_(*[subtree_filter(p, column) for p in paths])


def member_conditions(duty: Duty, household: Any) -> list[ColumnElement[bool]]:
    """Approved memberships (`Membership` joined to `household`) of people who must act
    (with explicit people: their homes under the duty's paths)."""
    conditions = [Membership.status == MembershipStatus.APPROVED,
                  household.kind == PlaceKind.HOUSEHOLD, under(duty.paths, household.path)]
    if duty.people is not None:
        return conditions
    relations = (Relation.OWNER,) if duty.unit == Unit.OWNER else duty.relations
    if duty.units is not None:
        given = duty.units.subquery()
        conditions.append(household.id.in_(select(given.c.household_id)))
    if relations is not None:
        conditions.append(Membership.relation.in_(relations))
    if duty.rented:
        tenant = aliased(Membership)
        conditions.append(exists().where(tenant.household_id == Membership.household_id,
                                         tenant.relation == Relation.TENANT,
                                         tenant.status == MembershipStatus.APPROVED))
    return conditions


def reachable_conditions() -> list[ColumnElement[bool]]:
    """People a message can reach: they agreed to hear from us and have not blocked the bot."""
    return [Person.consent_at.is_not(None), Person.unreachable_at.is_(None)]


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


# --- explicit people ----------------------------------------------------------------------------


def people_of(duty: Duty) -> Subquery:
    """(person_id) of each person a duty with explicit people names, once."""
    assert duty.people is not None
    given = duty.people.subquery()
    return (select(given.c.person_id).where(given.c.person_id.is_not(None))
            .distinct().subquery())


def homes(duty: Duty) -> Subquery:
    """(id, person_id, household_id): approved memberships in households under the paths."""
    household = aliased(Place)
    return (select(Membership.id, Membership.person_id, Membership.household_id)
            .join(household, household.id == Membership.household_id)
            .where(*member_conditions(duty, household)).subquery())


# --- the owner unit ---------------------------------------------------------------------------


def _owner_sets(duty: Duty, dialect: str) -> Subquery:
    """(household_id, owners): each household's approved owners as one sorted text key."""
    household = aliased(Place)
    owners = (select(Membership.household_id, Membership.person_id)
              .join(household, household.id == Membership.household_id)
              .where(Membership.status == MembershipStatus.APPROVED,
                     Membership.relation == Relation.OWNER, under(duty.paths, household.path))
              .order_by(Membership.household_id, Membership.person_id).subquery())
    person = cast(owners.c.person_id, String)
    if dialect == "postgresql":
        joined = func.string_agg(person, aggregate_order_by(literal_column("','"),
                                                            owners.c.person_id))
    else:
        # SQLite (before 3.44) has no ORDER BY inside group_concat; it concatenates in the
        # order the subquery's rows arrive, which is sorted above
        joined = func.group_concat(person, ",")
    return (select(owners.c.household_id, joined.label("owners"))
            .group_by(owners.c.household_id).subquery())


def _owner_key(household: Any, sets: Subquery) -> ColumnElement[str]:
    """The unit of a household: its owners' key, or the household itself without owners."""
    return case((sets.c.owners.is_not(None), literal("o:") + sets.c.owners),
                else_=literal("h:") + cast(household.id, String))


def _owner_units(duty: Duty, dialect: str) -> Query:
    """(household_id, key) of every household under the duty's paths (or the given ones)."""
    if duty.units is not None:
        return duty.units
    household = aliased(Place)
    sets = _owner_sets(duty, dialect)
    return (select(household.id.label("household_id"),
                   _owner_key(household, sets).label("key"))
            .outerjoin(sets, sets.c.household_id == household.id)
            .where(household.kind == PlaceKind.HOUSEHOLD, under(duty.paths, household.path)))


# --- who must act, who has ------------------------------------------------------------------


def counted(duty: Duty, acted: Query, dialect: str) -> Subquery:
    """One row per thing that counts: (household_id, key, acted_key) — the unit's key, and
    the same key when the unit has acted (else NULL). Count distinct keys to count units.
    (With explicit people, household_id is NULL for someone without a home under the paths.)"""
    done = acted.subquery()
    if duty.people is not None:
        people, home = people_of(duty), homes(duty)
        return (select(home.c.household_id, people.c.person_id.label("key"),
                       done.c.person_id.label("acted_key"))
                .select_from(people)
                .outerjoin(home, home.c.person_id == people.c.person_id)
                .outerjoin(done, done.c.person_id == people.c.person_id).subquery())
    if duty.unit == Unit.OWNER:
        units = _owner_units(duty, dialect).subquery()
        # a second copy of the units: the same one inside would correlate to the outer rows
        again = _owner_units(duty, dialect).subquery()
        acted_keys = select(again.c.key).join(done, done.c.household_id == again.c.household_id)
        return select(units.c.household_id, units.c.key,
                      case((units.c.key.in_(acted_keys), units.c.key)).label("acted_key")
                      ).subquery()
    household = aliased(Place)
    key, done_key = ((Membership.household_id, done.c.household_id)
                     if duty.unit == Unit.HOUSEHOLD
                     else (Membership.person_id, done.c.person_id))
    return (select(Membership.household_id, key.label("key"), done_key.label("acted_key"))
            .join(household, household.id == Membership.household_id)
            .outerjoin(done, done_key == key)
            .where(*member_conditions(duty, household)).subquery())


def has_acted(duty: Duty, acted: Query, dialect: str) -> ColumnElement[bool]:
    """On `Membership` rows: whether the member's unit has acted."""
    done = acted.subquery()
    if duty.unit == Unit.PERSON:
        return exists().where(done.c.person_id == Membership.person_id)
    if duty.unit == Unit.HOUSEHOLD:
        return exists().where(done.c.household_id == Membership.household_id)
    mine = _owner_units(duty, dialect).subquery()
    again = _owner_units(duty, dialect).subquery()  # (see `counted`)
    done_keys = select(again.c.key).join(done, done.c.household_id == again.c.household_id)
    return exists().where(mine.c.household_id == Membership.household_id,
                          mine.c.key.in_(done_keys))


def must_act(duty: Duty, acted: Query | None, dialect: str) -> Query:
    """(chat_id, person_id) rows of who must act — only those who have not, given `acted` —
    a row per membership that makes them (add `.distinct()` for people)."""
    columns = (Person.telegram_id.label("chat_id"), Person.id.label("person_id"))
    if duty.people is not None:
        people = people_of(duty)
        stmt = select(*columns).join(people, people.c.person_id == Person.id)
        if acted is None:
            return stmt
        done = acted.subquery()
        return stmt.where(~exists().where(done.c.person_id == Person.id))
    household = aliased(Place)
    stmt = (select(*columns).join(Membership, Membership.person_id == Person.id)
            .join(household, household.id == Membership.household_id)
            .where(*member_conditions(duty, household)))
    return stmt if acted is None else stmt.where(~has_acted(duty, acted, dialect))
