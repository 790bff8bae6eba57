"""A synthetic district for benchmarks: one street → communities → grids → buildings → units →
rooms with floor areas, one owner per household and a tenant in one household in ten, every
membership approved. Its buildings are grouped into estates (物业管理区域) of a few buildings
within each community; as art. 278 counts owners, a few percent of the owners own a second
(rarely a third) unit of their estate, sharing an owner reference and one person, and one unit
in fifty is the developer's, unsold (no owner, no tenant). Deterministic (seeded generators)
and sized by `households`, so a test can make 600 and the benchmarks the real district's
156,000.

    info = await generate(db, households=156_000, progress=print_progress)

It writes with Core bulk INSERTs in chunks (executemany) on SQLite or PostgreSQL, with ids and
materialised paths computed here, so 156,000 households take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database
from models.estates import Estate
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, PlaceKind

# Shaped like the district in DOMAIN.md: 156,000 households in about 6,500 stairwells.
ROOMS_PER_UNIT = 24  # 12 floors, 2 flats a floor
UNITS_PER_BUILDING = 3
BUILDINGS_PER_GRID = 45
GRIDS_PER_COMMUNITY = 4
TENANT_EVERY = 10  # one household in ten is rented out
BUILDINGS_PER_ESTATE = 15  # an estate of about a thousand households
DEVELOPER_SHARE = 0.02  # units the developer has not sold
SECOND_UNIT_SHARE = 0.03  # units bought by the owner of the unit before them in the estate
FIRST_TELEGRAM_ID = 10_000_000
CHUNK = 5_000

Progress = Callable[[str], None]


@dataclass
class SynthInfo:
    """What was generated, for the benchmark to aim at."""

    street_id: int
    street_path: str
    households: int
    persons: int
    memberships: int
    communities: list[int] = field(default_factory=list)
    estates: list[int] = field(default_factory=list)
    buildings: int = 0
    units: int = 0
    # household id → owner person id (several households of one buyer: one person; the
    # developer's unsold units have none)
    owner_of: dict[int, int] = field(default_factory=dict)
    developer_units: int = 0
    shared_owners: int = 0  # owners of more than one unit
    seconds: float = 0.0


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


async def _next_id(conn: AsyncConnection, column: Any) -> int:
    return int(await conn.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


async def _bulk(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]],
                progress: Progress | None, label: str) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[start:start + CHUNK])
        if progress is not None:
            progress(f"synth: {label} {min(start + CHUNK, len(rows)):,}/{len(rows):,}")


def _rooms() -> Iterator[str]:
    for floor in range(1, ROOMS_PER_UNIT // 2 + 1):
        for flat in (1, 2):
            yield f"{floor}{flat:02d}"


async def generate(
    db: Database, *, households: int = 156_000, seed: int = 1, street: str = "合成街道",
    progress: Progress | None = None, buildings_per_estate: int = BUILDINGS_PER_ESTATE,
) -> SynthInfo:
    """Write the district into `db` (whose tables exist) and describe it. Estates hold
    `buildings_per_estate` buildings of one community (a large number: one estate per
    community)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    owners_rng = random.Random(f"{seed}:owners")  # its own stream: areas and tenants as before
    now = dt.datetime.now(dt.UTC)
    units = _ceil(households, ROOMS_PER_UNIT)
    buildings = _ceil(units, UNITS_PER_BUILDING)
    grids = _ceil(buildings, BUILDINGS_PER_GRID)
    communities = _ceil(grids, GRIDS_PER_COMMUNITY)
    async with db.engine.begin() as conn:
        next_place = await _next_id(conn, Place.id)
        next_person = await _next_id(conn, Person.id)
        next_estate = await _next_id(conn, Estate.id)
        places: list[dict[str, Any]] = []
        estates: list[dict[str, Any]] = []
        in_estate: list[dict[str, Any]] = []  # {"id": building, "estate_id": …}

        def add(parent: dict[str, Any] | None, kind: PlaceKind, name: str,
                area: Decimal | None = None) -> dict[str, Any]:
            nonlocal next_place
            pid = next_place
            next_place += 1
            path = f"{parent['path'] if parent else '/'}{pid}/"
            row = {"id": pid, "parent_id": parent["id"] if parent else None, "kind": kind.value,
                   "name": name, "path": path, "floor_area": area, "join_code": None,
                   "estate_id": None, "owner_ref": None, "developer": False}
            places.append(row)
            return row

        root = add(None, PlaceKind.STREET, street)
        info = SynthInfo(street_id=root["id"], street_path=root["path"], households=0,
                         persons=0, memberships=0)
        household_rows: list[dict[str, Any]] = []
        estate_of: list[int] = []  # each household's estate
        made = {"units": 0, "buildings": 0}
        for c in range(communities):
            community = add(root, PlaceKind.COMMUNITY, f"第{c + 1}社区")
            info.communities.append(community["id"])
            in_community = 0
            for g in range(GRIDS_PER_COMMUNITY):
                if made["units"] >= units:
                    break  # no empty grids at the end
                grid = add(community, PlaceKind.GRID, f"第{g + 1}网格")
                for b in range(BUILDINGS_PER_GRID):
                    if made["units"] >= units:
                        break
                    building = add(grid, PlaceKind.BUILDING, f"{b + 1}栋")
                    made["buildings"] += 1
                    if in_community % buildings_per_estate == 0:
                        estates.append({"id": next_estate, "community_id": community["id"],
                                        "name": f"第{in_community // buildings_per_estate + 1}"
                                                "小区", "name_en": None})
                        next_estate += 1
                    in_community += 1
                    in_estate.append({"id": building["id"], "estate_id": estates[-1]["id"]})
                    for u in range(UNITS_PER_BUILDING):
                        if made["units"] >= units:
                            break
                        unit = add(building, PlaceKind.UNIT, f"{u + 1}单元")
                        made["units"] += 1
                        for room in _rooms():
                            if len(household_rows) >= households:
                                break
                            area = Decimal(rng.choice((68.5, 75.2, 89.0, 96.4, 112.8, 120.0)))
                            household_rows.append(add(unit, PlaceKind.HOUSEHOLD, room,
                                                      area.quantize(Decimal("0.01"))))
                            estate_of.append(estates[-1]["id"])
        info.buildings, info.units = made["buildings"], made["units"]
        info.estates = [e["id"] for e in estates]

        people: list[dict[str, Any]] = []
        memberships: list[dict[str, Any]] = []
        previous: dict[str, Any] | None = None  # the last household with an owner
        for n, household in enumerate(household_rows):
            relations = [Relation.OWNER]
            if rng.randrange(TENANT_EVERY) == 0:
                relations.append(Relation.TENANT)
            draw = owners_rng.random()
            if draw < DEVELOPER_SHARE:  # unsold: nobody lives there yet
                household["developer"] = True
                info.developer_units += 1
                continue
            buyer: int | None = None  # the owner of the unit before, buying this one too
            if (draw < DEVELOPER_SHARE + SECOND_UNIT_SHARE and previous is not None
                    and estate_of[n] == estate_of[previous["n"]]):
                if previous["row"]["owner_ref"] is None:
                    previous["row"]["owner_ref"] = f"产权{previous['row']['id']}"
                    info.shared_owners += 1
                household["owner_ref"] = previous["row"]["owner_ref"]
                buyer = info.owner_of[previous["row"]["id"]]
            for relation in relations:
                person_id = buyer if relation == Relation.OWNER and buyer else next_person
                if person_id == next_person:
                    next_person += 1
                    people.append({"id": person_id,
                                   "telegram_id": FIRST_TELEGRAM_ID + person_id,
                                   "name": f"居民{person_id}", "language": "zh_CN",
                                   "consent_at": now, "unreachable_at": None,
                                   "created_at": now})
                memberships.append({"person_id": person_id, "household_id": household["id"],
                                    "relation": relation.value,
                                    "status": MembershipStatus.APPROVED.value,
                                    "requested_at": now, "decided_at": now,
                                    "decided_by_id": None})
                if relation == Relation.OWNER:
                    info.owner_of[household["id"]] = person_id
            previous = {"n": n, "row": household}
            if progress is not None and n % 20_000 == 0:
                progress(f"synth: people for {n:,}/{len(household_rows):,} households")
        # places, then their estates, then the buildings' estates: the two point at each other
        await _bulk(conn, Place.__table__, places, progress, "places")
        await _bulk(conn, Estate.__table__, estates, progress, "estates")
        await conn.execute(update(Place.__table__).where(
            Place.__table__.c.id == bindparam("b_id")).values(estate_id=bindparam("b_estate")),
            [{"b_id": r["id"], "b_estate": r["estate_id"]} for r in in_estate])
        await _bulk(conn, Person.__table__, people, progress, "persons")
        await _bulk(conn, Membership.__table__, memberships, progress, "memberships")
    async with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            # ids were given explicitly: move the sequences past them for later inserts
            for table in ("place", "person", "estate"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))")
        await conn.exec_driver_sql("ANALYZE")  # fresh planner statistics, as in a live system
    info.households, info.persons, info.memberships = (len(household_rows), len(people),
                                                       len(memberships))
    info.seconds = time.perf_counter() - started
    return info
