"""Participation: people in a place must act on an object (sign a pledge, confirm a notice,
vote, take a shift). One set of parts for all of them — who must act, who has, who has not
(per building and unit, within the viewer's scope), reminders, progress, export rows.

A feature describes its object with a `Duty` (where, who, and the counting unit) and gives the
actions taken so far as a SELECT of (person_id, household_id) rows — the signatures of a pledge,
the acknowledgements of a notice. Everything here is set-based Core over the place tree's path
index: a 156,000-household district is a range scan and an anti-join, never a loop over ORM
objects.

Who must act and who can be reached are kept apart: totals and the lists of who has not acted
count everyone who must act, whether they can be messaged or not; reminders and announcements
go only to the reachable (consent given, not blocked).

Counting units (`Unit`):
- PERSON: each approved member who must act counts once (a person with homes in two buildings
  is one person in the totals, and counts in each building's row).
- HOUSEHOLD (户): each household counts once; any of its members may act for it.
- OWNER: owners as art. 278 of the Civil Code counts them (业主人数). Every household under the
  place belongs to one unit: households whose approved owners are the same set of people form
  one unit (an owner of three flats, or the developer's unsold flats, count once), and a
  household without an approved owner is a unit of its own (its owner has not joined yet, but
  still counts). A unit has acted when an action names one of its households; its owners are
  who may act and who is reminded.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Row,
    Select,
    String,
    Subquery,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column
from sqlalchemy.sql import ColumnElement

from models.base import ID, Base, utcnow
from models.outbox import enqueue_select
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, PlaceKind, natural_key, subtree_filter

# a SELECT of any columns (SQLAlchemy 2.1 types a SELECT by the tuple of its columns)
Query = Select[*tuple[Any, ...]]
REMIND_EVERY = dt.timedelta(days=1)  # at most one reminder per person per object per day


class Reminder(Base):
    """A reminder sent to a person about an object: at most one per person per object per
    day. `by_id` is who pressed "remind" (None: the scheduler's automatic reminder)."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_subject_subject_id_person_id_reminded_at",
                            "subject", "subject_id", "person_id", "reminded_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    subject: Mapped[str] = mapped_column(String(24))  # pledge, notice, vote …
    subject_id: Mapped[int]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    reminded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Unit(enum.StrEnum):
    """What one "must act" counts (see the module's docstring)."""

    PERSON = "person"
    HOUSEHOLD = "household"
    OWNER = "owner"


@dataclass(frozen=True)
class Duty:
    """Who must act: approved members of households under `paths` — only of these
    `relations` (None: any), only of rented households (an approved tenant) if `rented` —
    counted by `unit`. With Unit.OWNER the members are the owners."""

    paths: tuple[str, ...]
    unit: Unit = Unit.PERSON
    relations: tuple[Relation, ...] | None = None
    rented: bool = False


def under(paths: Sequence[str], column: Any) -> ColumnElement[bool]:
    """Rows whose path lies under one of `paths`."""
    if len(paths) == 1:
        return subtree_filter(paths[0], column)
    return or_(*[subtree_filter(p, column) for p in paths])


def member_conditions(duty: Duty, household: Any) -> list[ColumnElement[bool]]:
    """Approved memberships (`Membership` joined to `household`) of people who must act."""
    conditions = [Membership.status == MembershipStatus.APPROVED,
                  household.kind == PlaceKind.HOUSEHOLD, under(duty.paths, household.path)]
    relations = (Relation.OWNER,) if duty.unit == Unit.OWNER else duty.relations
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
    """(household_id, key) of every household under the duty's paths."""
    household = aliased(Place)
    sets = _owner_sets(duty, dialect)
    return (select(household.id.label("household_id"),
                   _owner_key(household, sets).label("key"))
            .outerjoin(sets, sets.c.household_id == household.id)
            .where(household.kind == PlaceKind.HOUSEHOLD, under(duty.paths, household.path)))


# --- who must act, who has ------------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def counted(duty: Duty, acted: Query, dialect: str) -> Subquery:
    """One row per thing that counts: (household_id, key, acted_key) — the unit's key, and
    the same key when the unit has acted (else NULL). Count distinct keys to count units."""
    done = acted.subquery()
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


async def totals(session: AsyncSession, duty: Duty, acted: Query) -> tuple[int, int]:
    """(must act, have acted), each unit counted once — a person with homes in two buildings
    is one person, where the per-unit rows count them in each building."""
    rows = counted(duty, acted, _dialect(session))
    row = (await session.execute(select(func.count(rows.c.key.distinct()),
                                        func.count(rows.c.acted_key.distinct())))).one()
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class UnitProgress:
    """Progress in one unit (单元) of a building: how many must act, how many have."""

    building_id: int
    building: str
    unit_id: int
    unit: str
    unit_path: str
    expected: int
    signed: int  # (have acted; the name pledges gave it first)


async def progress(session: AsyncSession, duty: Duty, acted: Query) -> list[UnitProgress]:
    """Per unit (单元) of each building: how many must act and how many have."""
    rows = counted(duty, acted, _dialect(session))
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    stmt = (select(building.id, building.name, unit.id, unit.name, unit.path,
                   func.count(rows.c.key.distinct()), func.count(rows.c.acted_key.distinct()))
            .select_from(rows)
            .join(household, household.id == rows.c.household_id)
            .join(unit, unit.id == household.parent_id)
            .join(building, building.id == unit.parent_id)
            .group_by(building.id, building.name, unit.id, unit.name, unit.path))
    # through the session's connection: plain Core rows, skipping the ORM's per-row loading
    connection = await session.connection()
    return [UnitProgress(*row) for row in (await connection.execute(stmt)).all()]


@dataclass(frozen=True)
class Tally:
    """A line of a progress report: a place, how many must act, how many have."""

    place_id: int
    name: str
    expected: int
    signed: int


async def tally_by_child(
    session: AsyncSession, units: Sequence[UnitProgress], node: Place
) -> list[Tally]:
    """Sum per-unit progress into the node's children (grids, buildings or units)."""
    sums: dict[int, list[int]] = {}
    depth = node.path.count("/") - 1
    for row in units:
        if not row.unit_path.startswith(node.path):
            continue
        parts = row.unit_path.strip("/").split("/")
        child = int(parts[depth]) if len(parts) > depth else row.unit_id
        entry = sums.setdefault(child, [0, 0])
        entry[0] += row.expected
        entry[1] += row.signed
    names = dict((await session.execute(
        select(Place.id, Place.name).where(Place.id.in_(list(sums))))).all())
    out = [Tally(pid, names.get(pid, "?"), e, s) for pid, (e, s) in sums.items()]
    return sorted(out, key=lambda t: natural_key(t.name))


# --- who has not --------------------------------------------------------------------------------


def not_acted_query(duty: Duty, acted: Query, dialect: str) -> Query:
    """Every (person, household) that must act and has not, in place order: person_id,
    name, chat_id, household_id, room, unit, building."""
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    return (
        select(Membership.person_id, Person.name, Person.telegram_id.label("chat_id"),
               Membership.household_id, household.name.label("room"),
               unit.name.label("unit"), building.name.label("building"))
        .join(Person, Person.id == Membership.person_id)
        .join(household, household.id == Membership.household_id)
        .join(unit, unit.id == household.parent_id)
        .join(building, building.id == unit.parent_id)
        .where(*member_conditions(duty, household), ~has_acted(duty, acted, dialect))
        .order_by(household.path, Membership.id)
    )


async def not_acted(session: AsyncSession, duty: Duty, acted: Query, *,
                    limit: int | None = None) -> Sequence[Row[Any]]:
    """Who has not acted, as rows (see `not_acted_query`): at district scale 60,000 of them,
    so rows, not ORM objects."""
    stmt = not_acted_query(duty, acted, _dialect(session))
    if limit is not None:
        stmt = stmt.limit(limit)
    connection = await session.connection()
    return (await connection.execute(stmt)).all()


NOT_ACTED_HEADER = ("Building", "Unit", "Room", "Name")  # message ids (N_ in the handlers)


async def not_acted_table(session: AsyncSession, duty: Duty,
                          acted: Query) -> list[tuple[str, str, str, str]]:
    """Who has not acted, as rows for bot/exports.py (building, unit, room, name)."""
    return [(r.building, r.unit, r.room, r.name)
            for r in await not_acted(session, duty, acted)]


# --- who can be reached, reminders --------------------------------------------------------------


def reachable(duty: Duty) -> Query:
    """Distinct (chat_id, person_id) of everyone who must act and can be messaged."""
    household = aliased(Place)
    return (select(Person.telegram_id.label("chat_id"), Person.id.label("person_id"))
            .join(Membership, Membership.person_id == Person.id)
            .join(household, household.id == Membership.household_id)
            .where(*member_conditions(duty, household), *reachable_conditions())
            .distinct())


async def reachable_count(session: AsyncSession, duty: Duty) -> int:
    """How many people an announcement to those who must act would reach."""
    return int(await session.scalar(select(func.count()).select_from(
        reachable(duty).subquery())) or 0)


def _to_remind(duty: Duty, acted: Query, subject: str, subject_id: int,
               now: dt.datetime, dialect: str) -> Query:
    household = aliased(Place)
    recently = exists().where(Reminder.subject == subject, Reminder.subject_id == subject_id,
                              Reminder.person_id == Person.id,
                              Reminder.reminded_at > now - REMIND_EVERY)
    return (select(Person.telegram_id, Person.id)
            .join(Membership, Membership.person_id == Person.id)
            .join(household, household.id == Membership.household_id)
            .where(*member_conditions(duty, household), ~has_acted(duty, acted, dialect),
                   *reachable_conditions(), ~recently)
            .distinct())


async def remind(
    session: AsyncSession, duty: Duty, acted: Query, *, subject: str, subject_id: int,
    kind: str, payload: dict[str, Any], by_id: int | None, now: dt.datetime,
    topic: str | None = None,
) -> int:
    """Queue a reminder (outbox `kind`) to everyone reachable who must act and has not,
    skipping those reminded about this object in the last day, and log each one; in the
    caller's transaction (an automatic reminder: the due item's, so it happens exactly once).
    Returns how many were queued."""
    dialect = _dialect(session)
    people = _to_remind(duty, acted, subject, subject_id, now, dialect).subquery()
    count = await enqueue_select(session, select(people.c.telegram_id, people.c.id),
                                 kind=kind, payload=payload, topic=topic, now=now)
    # the same candidates, logged: written after the outbox rows so the set is unchanged
    people = _to_remind(duty, acted, subject, subject_id, now, dialect).subquery()
    await session.execute(insert(Reminder).from_select(
        ["subject", "subject_id", "person_id", "reminded_at", "by_id"],
        select(literal(subject), literal(subject_id), people.c.id,
               literal(now, Reminder.reminded_at.type), literal(by_id, Reminder.by_id.type))))
    return count

