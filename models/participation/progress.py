"""How far a duty has got — totals, per unit (单元) and per building, summed into a node's
children — and who has not acted, as rows and as a table for bot/exports.py.

Totals count each unit once (a person with homes in two buildings is one person); the rows per
unit and building count households, each in the one place it is, so that a report's rows add
up to a figure its totals state too (`headcount`: "7 people · 8 households"). A household is
done when everyone who must act there has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.participation.duty import (
    Duty,
    Query,
    counted,
    dialect_of,
    has_acted,
    homes,
    member_conditions,
    people_of,
)
from models.people import Membership, Person
from models.places import Place, name_column, natural_key


async def totals(session: AsyncSession, duty: Duty, acted: Query) -> tuple[int, int]:
    """(must act, have acted), each unit counted once — a person with homes in two buildings
    is one person, where the per-unit rows count them in each building."""
    rows = counted(duty, acted, dialect_of(session))
    row = (await session.execute(select(func.count(rows.c.key.distinct()),
                                        func.count(rows.c.acted_key.distinct())))).one()
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class Headcount:
    """A report's totals: the units that count (people, households or owners, each once), the
    households they live in under the duty's paths (what its rows add up to) and how many of
    those are done, and those who must act with no home there (explicit people only)."""

    expected: int
    acted: int
    households: int
    households_done: int
    elsewhere: int = 0
    elsewhere_acted: int = 0


def _households(rows: Any) -> tuple[Any, Any]:
    """(households, households done) over `counted` rows: done when none of its rows is
    still to act."""
    return (func.count(rows.c.household_id.distinct()),
            func.count(rows.c.household_id.distinct())
            - func.count(case((rows.c.acted_key.is_(None), rows.c.household_id)).distinct()))


async def headcount(session: AsyncSession, duty: Duty, acted: Query) -> Headcount:
    """The totals of a report whose rows count households (see `Headcount`), in one query."""
    rows = counted(duty, acted, dialect_of(session))
    homeless = rows.c.household_id.is_(None)
    row = (await session.execute(select(
        func.count(rows.c.key.distinct()), func.count(rows.c.acted_key.distinct()),
        *_households(rows),
        func.count(case((homeless, rows.c.key)).distinct()),
        func.count(case((homeless, rows.c.acted_key)).distinct())))).one()
    return Headcount(*(int(n) for n in row))


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
    households: int = 0  # of those who must act here
    households_done: int = 0  # where everyone who must act has


async def progress(session: AsyncSession, duty: Duty, acted: Query, *,
                   language: str = "zh_CN") -> list[UnitProgress]:
    """Per unit (单元) of each building: how many must act and how many have, and their
    households (all, done); the places named for a reader of `language`."""
    rows = counted(duty, acted, dialect_of(session))
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    stmt = (select(building.id, name_column(building, language), unit.id,
                   name_column(unit, language), unit.path,
                   func.count(rows.c.key.distinct()), func.count(rows.c.acted_key.distinct()),
                   *_households(rows))
            .select_from(rows)
            .join(household, household.id == rows.c.household_id)
            .join(unit, unit.id == household.parent_id)
            .join(building, building.id == unit.parent_id)
            .group_by(building.id, building.name, building.name_en, unit.id, unit.name,
                      unit.name_en, unit.path))
    # through the session's connection: plain Core rows, skipping the ORM's per-row loading
    connection = await session.connection()
    return [UnitProgress(*row) for row in (await connection.execute(stmt)).all()]


@dataclass(frozen=True)
class BuildingProgress:
    """Progress in one building: how many must act there and how many have, each counted once
    in it (a person with homes in two of its units once). `building_id` None: those who must
    act without a home under the duty's paths (explicit people: volunteers, staff …)."""

    building_id: int | None
    building: str | None
    expected: int
    acted: int
    households: int = 0  # of those who must act there (0 for those without a building)
    households_done: int = 0  # where everyone who must act has


async def by_building(session: AsyncSession, duty: Duty, acted: Query, *,
                      language: str = "zh_CN") -> list[BuildingProgress]:
    """Per building: how many must act and how many have, in natural order of the buildings'
    names (for a reader of `language`), those without a building last."""
    rows = counted(duty, acted, dialect_of(session))
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    stmt = (select(building.id, name_column(building, language),
                   func.count(rows.c.key.distinct()), func.count(rows.c.acted_key.distinct()),
                   *_households(rows))
            .select_from(rows)
            .outerjoin(household, household.id == rows.c.household_id)
            .outerjoin(unit, unit.id == household.parent_id)
            .outerjoin(building, building.id == unit.parent_id)
            .group_by(building.id, building.name, building.name_en))
    connection = await session.connection()
    out = [BuildingProgress(*row) for row in (await connection.execute(stmt)).all()]
    return sorted(out, key=lambda b: (b.building_id is None, natural_key(b.building or ""),
                                      b.building_id or 0))


@dataclass(frozen=True)
class Tally:
    """A line of a progress report: a place, how many must act, how many have (summed over
    its units: someone with homes in two of them counts in each), and its households (all,
    done: these add up across the lines)."""

    place_id: int
    name: str
    expected: int
    signed: int
    households: int = 0
    households_done: int = 0


async def tally_by_child(
    session: AsyncSession, units: Sequence[UnitProgress], node: Place, *,
    language: str = "zh_CN",
) -> list[Tally]:
    """Sum per-unit progress into the node's children (grids, buildings or units), named for
    a reader of `language`."""
    sums: dict[int, list[int]] = {}
    depth = node.path.count("/") - 1
    for row in units:
        if not row.unit_path.startswith(node.path):
            continue
        parts = row.unit_path.strip("/").split("/")
        child = int(parts[depth]) if len(parts) > depth else row.unit_id
        entry = sums.setdefault(child, [0, 0, 0, 0])
        entry[0] += row.expected
        entry[1] += row.signed
        entry[2] += row.households
        entry[3] += row.households_done
    names = dict((await session.execute(
        select(Place.id, name_column(Place, language)).where(Place.id.in_(list(sums))))).all())
    out = [Tally(pid, names.get(pid, "?"), *counts) for pid, counts in sums.items()]
    return sorted(out, key=lambda t: natural_key(t.name))


# --- who has not --------------------------------------------------------------------------------


def not_acted_query(duty: Duty, acted: Query, dialect: str, language: str = "zh_CN") -> Query:
    """Every (person, household) that must act and has not, in place order: person_id,
    name, chat_id, household_id, room, unit, building (places named for a reader of
    `language`). (With explicit people, someone without a home under the paths comes last,
    once, with NULL household and places.)"""
    if duty.people is not None:
        return _explicit_not_acted(duty, acted, language)
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    return (
        select(Membership.person_id, Person.name, Person.telegram_id.label("chat_id"),
               Membership.household_id, name_column(household, language).label("room"),
               name_column(unit, language).label("unit"),
               name_column(building, language).label("building"))
        .join(Person, Person.id == Membership.person_id)
        .join(household, household.id == Membership.household_id)
        .join(unit, unit.id == household.parent_id)
        .join(building, building.id == unit.parent_id)
        .where(*member_conditions(duty, household), ~has_acted(duty, acted, dialect))
        .order_by(household.path, Membership.id)
    )


def _explicit_not_acted(duty: Duty, acted: Query, language: str) -> Query:
    people, home, done = people_of(duty), homes(duty), acted.subquery()
    household, unit, building = aliased(Place), aliased(Place), aliased(Place)
    return (
        select(people.c.person_id, Person.name, Person.telegram_id.label("chat_id"),
               home.c.household_id, name_column(household, language).label("room"),
               name_column(unit, language).label("unit"),
               name_column(building, language).label("building"))
        .select_from(people)
        .join(Person, Person.id == people.c.person_id)
        .outerjoin(home, home.c.person_id == people.c.person_id)
        .outerjoin(household, household.id == home.c.household_id)
        .outerjoin(unit, unit.id == household.parent_id)
        .outerjoin(building, building.id == unit.parent_id)
        .where(~exists().where(done.c.person_id == people.c.person_id))
        # NULLs sort first on SQLite and last on PostgreSQL: say where they go
        .order_by(household.path.is_(None), household.path, home.c.id, people.c.person_id)
    )


async def not_acted(session: AsyncSession, duty: Duty, acted: Query, *,
                    limit: int | None = None, language: str = "zh_CN") -> Sequence[Row[Any]]:
    """Who has not acted, as rows (see `not_acted_query`): at district scale 60,000 of them,
    so rows, not ORM objects."""
    stmt = not_acted_query(duty, acted, dialect_of(session), language)
    if limit is not None:
        stmt = stmt.limit(limit)
    connection = await session.connection()
    return (await connection.execute(stmt)).all()


NOT_ACTED_HEADER = ("Building", "Unit", "Room", "Name")  # message ids (N_ in the handlers)


async def not_acted_table(session: AsyncSession, duty: Duty, acted: Query, *,
                          language: str = "zh_CN") -> list[tuple[str, str, str, str]]:
    """Who has not acted, as rows for bot/exports.py (building, unit, room, name; a place
    left empty for someone without a home under the paths)."""
    return [(r.building or "", r.unit or "", r.room or "", r.name)
            for r in await not_acted(session, duty, acted, language=language)]
