"""Import and export of the place tree as CSV, one household per row.

Columns (UTF-8, header row required; a UTF-8 BOM from Excel is fine):
    street, community, grid, building, unit, room, floor_area_m2,
    street_en, community_en, grid_en, building_en, unit_en, room_en
Every column but `floor_area_m2` and the English names (`*_en`) is required. A place is known by
its name under its parent, so importing the same file again changes nothing; an edited floor area
or English name updates in place (an empty English cell leaves the name as it is). The whole file
is checked first: any bad row is reported with its line number and nothing is written.
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

NAME_COLUMNS = ("street", "community", "grid", "building", "unit", "room")
ENGLISH_COLUMNS = tuple(f"{c}_en" for c in NAME_COLUMNS)
COLUMNS = (*NAME_COLUMNS, "floor_area_m2", *ENGLISH_COLUMNS)
MAX_NAME = 100

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Row:
    line: int
    names: tuple[str, ...]  # street … room
    floor_area: Decimal | None
    names_en: tuple[str, ...] = ("",) * len(NAME_COLUMNS)  # "": none given in this row


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
    renamed: int = 0  # places whose English name was given or changed
    unchanged: int = 0
    rows: int = 0


def parse_csv(text: str) -> list[Row]:
    """Check a whole CSV file; raise ImportFailed listing every bad line."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in NAME_COLUMNS if c not in header]
    if missing:
        raise ImportFailed([ImportProblem(1, f"missing column(s): {', '.join(missing)}; "
                                             f"expected: {', '.join(COLUMNS[:7])} (and "
                                             f"optionally {', '.join(ENGLISH_COLUMNS)})")])
    reader.fieldnames = header
    rows: list[Row] = []
    problems: list[ImportProblem] = []
    seen: dict[tuple[str, ...], int] = {}
    english: dict[tuple[str, ...], tuple[str, int]] = {}  # a place's names → (English, line)
    for raw in reader:
        line = reader.line_num
        names = tuple((raw.get(c) or "").strip() for c in NAME_COLUMNS)
        names_en = tuple((raw.get(c) or "").strip() for c in ENGLISH_COLUMNS)
        empty = [c for c, v in zip(NAME_COLUMNS, names, strict=True) if not v]
        if empty:
            problems.append(ImportProblem(line, f"empty {', '.join(empty)}"))
            continue
        too_long = [c for c, v in zip(COLUMNS[:6] + ENGLISH_COLUMNS, names + names_en,
                                      strict=True) if len(v) > MAX_NAME]
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
        clash = _english_clash(english, names, names_en, line)
        if clash:
            problems.append(ImportProblem(line, clash))
            continue
        seen[names] = line
        rows.append(Row(line, names, area, names_en))
    if problems:
        raise ImportFailed(problems)
    if not rows:
        raise ImportFailed([ImportProblem(1, "the file has no rows")])
    return rows


def _english_clash(english: dict[tuple[str, ...], tuple[str, int]], names: tuple[str, ...],
                   names_en: tuple[str, ...], line: int) -> str | None:
    """Remember each place's English name; say so when a row gives one place another."""
    for depth, name_en in enumerate(names_en):
        if not name_en:
            continue
        given, first = english.setdefault(names[:depth + 1], (name_en, line))
        if given != name_en:
            return (f"{ENGLISH_COLUMNS[depth]} {name_en!r} differs from {given!r} on line "
                    f"{first} for {'/'.join(names[:depth + 1])}")
    return None


Key = tuple[int | None, str, str]  # (parent id, kind, name): a place as the file names it
Known = dict[Key, tuple[int, str, Decimal | None, str | None]]  # → id, path, area, English


async def import_rows(
    session: AsyncSession, rows: list[Row], progress: Progress | None = None
) -> ImportResult:
    """Create missing places level by level, update floor areas and English names; commit
    once at the end."""
    result = ImportResult(rows=len(rows))
    existing = await session.execute(
        select(Place.id, Place.parent_id, Place.kind, Place.name, Place.path, Place.floor_area,
               Place.name_en)
    )
    known: Known = {
        (parent, kind, name): (pid, path, area, name_en)
        for pid, parent, kind, name, path, area, name_en in existing
    }
    total = len(rows) * len(LEVELS)
    # each row's node at the level being filled: (id, path), top-down from the root
    node: list[tuple[int | None, str]] = [(None, "/")] * len(rows)
    for depth, kind in enumerate(LEVELS):
        wanted: dict[Key, tuple[str, Decimal | None, str | None]] = {}
        for i, row in enumerate(rows):
            parent_id, parent_path = node[i]
            key = (parent_id, kind.value, row.names[depth])
            if key not in known:
                area = row.floor_area if kind == PlaceKind.HOUSEHOLD else None
                wanted.setdefault(key, (parent_path, area, row.names_en[depth] or None))
        if wanted:
            await _create(session, kind, wanted, known)
            result.created[kind.value] = len(wanted)
            result.renamed += sum(1 for *_, name_en in wanted.values() if name_en)
        renames: dict[int, str] = {}
        for i, row in enumerate(rows):
            key = (node[i][0], kind.value, row.names[depth])
            pid, path, area, name_en = known[key]
            if kind == PlaceKind.HOUSEHOLD and key not in wanted and area != row.floor_area:
                await session.execute(
                    update(Place).where(Place.id == pid).values(floor_area=row.floor_area)
                )
                result.updated += 1
            if key not in wanted and row.names_en[depth] not in ("", name_en):
                renames[pid] = row.names_en[depth]
            node[i] = (pid, path)
        if renames:
            await session.execute(update(Place), [{"id": pid, "name_en": name_en}
                                                  for pid, name_en in renames.items()])
            result.renamed += len(renames)
        if progress:
            progress((depth + 1) * len(rows), total)
    result.unchanged = len(rows) - result.updated - result.created.get("household", 0)
    await session.commit()
    return result


async def _create(
    session: AsyncSession, kind: PlaceKind,
    wanted: dict[Key, tuple[str, Decimal | None, str | None]], known: Known,
) -> None:
    """Insert new places of one level in bulk, then give each its materialised path."""
    keys = list(wanted)
    params = [
        {"parent_id": parent, "kind": kind.value, "name": name, "path": "",
         "join_code": new_join_code() if kind in JOINABLE else None,
         "floor_area": wanted[(parent, k, name)][1], "name_en": wanted[(parent, k, name)][2]}
        for parent, k, name in keys
    ]
    ids = (await session.execute(
        insert(Place).returning(Place.id, sort_by_parameter_order=True), params
    )).scalars().all()
    paths = []
    for key, pid in zip(keys, ids, strict=True):
        parent_path, area, name_en = wanted[key]
        path = f"{parent_path}{pid}/"
        known[key] = (pid, path, area, name_en)
        paths.append({"id": pid, "path": path})
    await session.execute(update(Place), paths)


async def import_csv(
    session: AsyncSession, text: str, progress: Progress | None = None
) -> ImportResult:
    return await import_rows(session, parse_csv(text), progress)


async def export_rows(session: AsyncSession) -> list[tuple[str, ...]]:
    """Every household as a CSV row (header first), in natural order; imports back unchanged.
    The English columns are there when any place has an English name."""
    places = {
        pid: (parent, name, name_en, area)
        for pid, parent, name, name_en, area in (await session.execute(
            select(Place.id, Place.parent_id, Place.name, Place.name_en, Place.floor_area)
        ))
    }
    households = await session.scalars(
        select(Place.id).where(Place.kind == PlaceKind.HOUSEHOLD)
    )
    out: list[tuple[str, ...]] = []
    for hid in households:
        chain: list[tuple[str, str]] = []
        cursor: int | None = hid
        while cursor is not None:
            parent, name, name_en, _ = places[cursor]
            chain.append((name, name_en or ""))
            cursor = parent
        chain.reverse()
        area = places[hid][3]
        out.append((*(name for name, _ in chain), "" if area is None else f"{area:.2f}",
                    *(name_en for _, name_en in chain)))
    out.sort(key=lambda r: tuple(natural_key(x) for x in r[:6]))
    if not any(name_en for _, _, name_en, _ in places.values()):
        return [COLUMNS[:7], *(r[:7] for r in out)]  # no English names: the plain format
    return [COLUMNS, *out]
