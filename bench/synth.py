"""A synthetic district for benchmarks: one street → communities → grids → buildings → units →
rooms with floor areas, one owner per household and a tenant in one household in ten, every
membership approved. Deterministic (a seeded generator) and sized by `households`, so a test can
make 600 and the benchmarks the real district's 156,000.

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

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database
from models.people import Membership, MembershipStatus, Person, Relation
from models.places import Place, PlaceKind

# Shaped like the district in DOMAIN.md: 156,000 households in about 6,500 stairwells.
ROOMS_PER_UNIT = 24  # 12 floors, 2 flats a floor
UNITS_PER_BUILDING = 3
BUILDINGS_PER_GRID = 45
GRIDS_PER_COMMUNITY = 4
TENANT_EVERY = 10  # one household in ten is rented out
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
    buildings: int = 0
    units: int = 0
    owner_of: dict[int, int] = field(default_factory=dict)  # household id → owner person id
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
    progress: Progress | None = None,
) -> SynthInfo:
    """Write the district into `db` (whose tables exist) and describe it."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    units = _ceil(households, ROOMS_PER_UNIT)
    buildings = _ceil(units, UNITS_PER_BUILDING)
    grids = _ceil(buildings, BUILDINGS_PER_GRID)
    communities = _ceil(grids, GRIDS_PER_COMMUNITY)
    async with db.engine.begin() as conn:
        next_place = await _next_id(conn, Place.id)
        next_person = await _next_id(conn, Person.id)
        places: list[dict[str, Any]] = []

        def add(parent: dict[str, Any] | None, kind: PlaceKind, name: str,
                area: Decimal | None = None) -> dict[str, Any]:
            nonlocal next_place
            pid = next_place
            next_place += 1
            path = f"{parent['path'] if parent else '/'}{pid}/"
            row = {"id": pid, "parent_id": parent["id"] if parent else None, "kind": kind.value,
                   "name": name, "path": path, "floor_area": area, "join_code": None}
            places.append(row)
            return row

        root = add(None, PlaceKind.STREET, street)
        info = SynthInfo(street_id=root["id"], street_path=root["path"], households=0,
                         persons=0, memberships=0)
        household_rows: list[dict[str, Any]] = []
        made = {"units": 0, "buildings": 0}
        for c in range(communities):
            community = add(root, PlaceKind.COMMUNITY, f"第{c + 1}社区")
            info.communities.append(community["id"])
            for g in range(GRIDS_PER_COMMUNITY):
                if made["units"] >= units:
                    break  # no empty grids at the end
                grid = add(community, PlaceKind.GRID, f"第{g + 1}网格")
                for b in range(BUILDINGS_PER_GRID):
                    if made["units"] >= units:
                        break
                    building = add(grid, PlaceKind.BUILDING, f"{b + 1}栋")
                    made["buildings"] += 1
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
        info.buildings, info.units = made["buildings"], made["units"]
        await _bulk(conn, Place.__table__, places, progress, "places")

        people: list[dict[str, Any]] = []
        memberships: list[dict[str, Any]] = []
        for n, household in enumerate(household_rows):
            relations = [Relation.OWNER]
            if rng.randrange(TENANT_EVERY) == 0:
                relations.append(Relation.TENANT)
            for relation in relations:
                person_id = next_person
                next_person += 1
                people.append({"id": person_id, "telegram_id": FIRST_TELEGRAM_ID + person_id,
                               "name": f"居民{person_id}", "language": "zh_CN",
                               "consent_at": now, "unreachable_at": None, "created_at": now})
                memberships.append({"person_id": person_id, "household_id": household["id"],
                                    "relation": relation.value,
                                    "status": MembershipStatus.APPROVED.value,
                                    "requested_at": now, "decided_at": now,
                                    "decided_by_id": None})
                if relation == Relation.OWNER:
                    info.owner_of[household["id"]] = person_id
            if progress is not None and n % 20_000 == 0:
                progress(f"synth: people for {n:,}/{len(household_rows):,} households")
        await _bulk(conn, Person.__table__, people, progress, "persons")
        await _bulk(conn, Membership.__table__, memberships, progress, "memberships")
    async with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            # ids were given explicitly: move the sequences past them for later inserts
            for table in ("place", "person"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))")
        await conn.exec_driver_sql("ANALYZE")  # fresh planner statistics, as in a live system
    info.households, info.persons, info.memberships = (len(household_rows), len(people),
                                                       len(memberships))
    info.seconds = time.perf_counter() - started
    return info
