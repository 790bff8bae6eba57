"""Import and export of the place tree as CSV, one household per row.

Columns (UTF-8, header row required; a UTF-8 BOM from Excel is fine):
    street, community, grid, building, unit, room, floor_area_m2
Every column but `floor_area_m2` is required. A place is known by its name under its parent, so
importing the same file again changes nothing and an edited floor area updates in place. The
whole file is checked first: any bad row is reported with its line number and nothing is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import N_, DomainError
from models.places import JOINABLE, LEVELS, Place, PlaceKind, natural_key, new_join_code

COLUMNS = ("street", "community", "grid", "building", "unit", "room", "floor_area_m2")
NAME_COLUMNS = COLUMNS[:6]
MAX_NAME = 100

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Row:
    line: int
    names: tuple[str, ...]  # street … room
    floor_area: Decimal | None


@dataclass
class ImportProblem:
    line: int
    message: str


class ImportFailed(DomainError):
    message = N_("The file has errors; nothing was imported.")

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__()
        self.problems = problems


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: int = 0
    unchanged: int = 0
    rows: int = 0


def parse_csv(text: str) -> list[Row]:
    """Check a whole CSV file; raise ImportFailed listing every bad line."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS[:6] if c not in header]
    if missing:
        raise ImportFailed([ImportProblem(1, f"missing column(s): {', '.join(missing)}; "
                                             f"expected: {', '.join(COLUMNS)}")])
    reader.fieldnames = header
    rows: list[Row] = []
    problems: list[ImportProblem] = []
    seen: dict[tuple[str, ...], int] = {}
    for raw in reader:
        line = reader.line_num
        names = tuple((raw.get(c) or "").strip() for c in NAME_COLUMNS)
        empty = [c for c, v in zip(NAME_COLUMNS, names, strict=True) if not v]
        if empty:
            problems.append(ImportProblem(line, f"empty {', '.join(empty)}"))
            continue
        too_long = [c for c, v in zip(NAME_COLUMNS, names, strict=True) if len(v) > MAX_NAME]
        if too_long:
            problems.append(ImportProblem(line, f"{', '.join(too_long)} longer than "
                                                f"{MAX_NAME} characters"))
            continue
        area_text = (raw.get("floor_area_m2") or "").strip()
        area: Decimal | None = None
        if area_text:
            try:
                area = Decimal(area_text)
            except InvalidOperation:
                problems.append(ImportProblem(line, f"floor_area_m2 {area_text!r} is not a "
                                                    "number"))
                continue
            if not area.is_finite() or area < 0 or area >= Decimal("100000000"):
                problems.append(ImportProblem(line, f"floor_area_m2 {area_text} must be a "
                                                    "number from 0 to 99999999"))
                continue
            area = area.quantize(Decimal("0.01"))
        if names in seen:
            problems.append(ImportProblem(line, f"duplicate room {'/'.join(names)} "
                                                f"(first on line {seen[names]})"))
            continue
        seen[names] = line
        rows.append(Row(line, names, area))
    if problems:
        raise ImportFailed(problems)
    if not rows:
        raise ImportFailed([ImportProblem(1, "the file has no rows")])
    return rows


Known = dict[tuple[int | None, str, str], tuple[int, str, Decimal | None]]


async def import_rows(
    session: AsyncSession, rows: list[Row], progress: Progress | None = None
) -> ImportResult:
    """Create missing places level by level, update floor areas; commit once at the end."""
    result = ImportResult(rows=len(rows))
    existing = await session.execute(
        select(Place.id, Place.parent_id, Place.kind, Place.name, Place.path, Place.floor_area)
    )
    known: Known = {
        (parent, kind, name): (pid, path, area)
        for pid, parent, kind, name, path, area in existing
    }
    total = len(rows) * len(LEVELS)
    # each row's node at the level being filled: (id, path), top-down from the root
    node: list[tuple[int | None, str]] = [(None, "/")] * len(rows)
    for depth, kind in enumerate(LEVELS):
        wanted: dict[tuple[int | None, str, str], tuple[str, Decimal | None]] = {}
        for i, row in enumerate(rows):
            parent_id, parent_path = node[i]
            key = (parent_id, kind.value, row.names[depth])
            if key not in known:
                area = row.floor_area if kind == PlaceKind.HOUSEHOLD else None
                wanted.setdefault(key, (parent_path, area))
        if wanted:
            await _create(session, kind, wanted, known)
            result.created[kind.value] = len(wanted)
        for i, row in enumerate(rows):
            pid, path, _ = known[(node[i][0], kind.value, row.names[depth])]
            if kind == PlaceKind.HOUSEHOLD:
                key = (node[i][0], kind.value, row.names[depth])
                if key not in wanted and known[key][2] != row.floor_area:
                    await session.execute(
                        update(Place).where(Place.id == pid).values(floor_area=row.floor_area)
                    )
                    result.updated += 1
            node[i] = (pid, path)
        if progress:
            progress((depth + 1) * len(rows), total)
    result.unchanged = len(rows) - result.updated - result.created.get("household", 0)
    await session.commit()
    return result


async def _create(
    session: AsyncSession, kind: PlaceKind,
    wanted: dict[tuple[int | None, str, str], tuple[str, Decimal | None]], known: Known,
) -> None:
    """Insert new places of one level in bulk, then give each its materialised path."""
    keys = list(wanted)
    params = [
        {"parent_id": parent, "kind": kind.value, "name": name, "path": "",
         "join_code": new_join_code() if kind in JOINABLE else None,
         "floor_area": wanted[(parent, k, name)][1]}
        for parent, k, name in keys
    ]
    ids = (await session.execute(
        insert(Place).returning(Place.id, sort_by_parameter_order=True), params
    )).scalars().all()
    paths = []
    for key, pid in zip(keys, ids, strict=True):
        path = f"{wanted[key][0]}{pid}/"
        known[key] = (pid, path, wanted[key][1])
        paths.append({"id": pid, "path": path})
    await session.execute(update(Place), paths)


async def import_csv(
    session: AsyncSession, text: str, progress: Progress | None = None
) -> ImportResult:
    return await import_rows(session, parse_csv(text), progress)


async def export_rows(session: AsyncSession) -> list[tuple[str, ...]]:
    """Every household as a CSV row (header first), in natural order; imports back unchanged."""
    places = {
        pid: (parent, name, area)
        for pid, parent, name, area in (await session.execute(
            select(Place.id, Place.parent_id, Place.name, Place.floor_area)
        ))
    }
    households = await session.scalars(
        select(Place.id).where(Place.kind == PlaceKind.HOUSEHOLD)
    )
    out: list[tuple[str, ...]] = []
    for hid in households:
        chain: list[str] = []
        cursor: int | None = hid
        while cursor is not None:
            parent, name, _ = places[cursor]
            chain.append(name)
            cursor = parent
        area = places[hid][2]
        out.append((*reversed(chain), "" if area is None else f"{area:.2f}"))
    out.sort(key=lambda r: tuple(natural_key(x) for x in r[:6]))
    return [COLUMNS, *out]
