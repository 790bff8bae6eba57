"""Import and export of the place tree as CSV, one household per row.

Columns (UTF-8, header row required; a UTF-8 BOM from Excel is fine):
    street, community, grid, building, unit, room, floor_area_m2,
    street_en, community_en, grid_en, building_en, unit_en, room_en,
    estate, estate_en, owner_ref, developer
Every column but `floor_area_m2` and the English names (`*_en`) is required. A place is known by
its name under its parent, so importing the same file again changes nothing; an edited floor area
or English name updates in place (an empty English cell leaves the name as it is). The whole file
is checked first: any bad row is reported with its line number and nothing is written.

The optional columns for owners' decisions (Civil Code art. 278, models/estates.py): `estate`
names the building's property management area (物业管理区域) within its community, created on
first use, with its English name in `estate_en`; every row of one building that names an estate
names the same one, and rows without it leave the building's estate as it is. `owner_ref` is the
owner's reference in the property register (households with the same reference in one estate are
one owner) and `developer` (yes/no, 1/0, true/false; empty: no) marks a developer's unit; where
the file has these two columns, they are the truth for its households (an empty `owner_ref`
clears it), where it has not, households keep theirs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import N_, DomainError
from models.estates import Estate
from models.places import JOINABLE, LEVELS, Place, PlaceKind, natural_key, new_join_code

NAME_COLUMNS = ("street", "community", "grid", "building", "unit", "room")
ENGLISH_COLUMNS = tuple(f"{c}_en" for c in NAME_COLUMNS)
ESTATE_COLUMNS = ("estate", "estate_en")
OWNER_COLUMNS = ("owner_ref", "developer")
COLUMNS = (*NAME_COLUMNS, "floor_area_m2", *ENGLISH_COLUMNS, *ESTATE_COLUMNS, *OWNER_COLUMNS)
MAX_NAME = 100
MAX_OWNER_REF = 64
FLAGS = {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False,
         "": False}
BUILDING = LEVELS.index(PlaceKind.BUILDING) + 1  # a row's names[:BUILDING] name its building

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Row:
    line: int
    names: tuple[str, ...]  # street … room
    floor_area: Decimal | None
    names_en: tuple[str, ...] = ("",) * len(NAME_COLUMNS)  # "": none given in this row
    estate: str = ""  # "": this row leaves its building's estate as it is
    estate_en: str = ""
    owner_ref: str | None = None  # None: the file has no such column ("": none)
    developer: bool | None = None  # None: the file has no such column


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
    updated: int = 0  # households whose floor area, owner reference or developer flag changed
    renamed: int = 0  # places and estates whose English name was given or changed
    unchanged: int = 0
    rows: int = 0
    estates: int = 0  # estates created
    assigned: int = 0  # buildings given an estate (new ones included) or moved to another


def parse_csv(text: str) -> list[Row]:
    """Check a whole CSV file; raise ImportFailed listing every bad line."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in NAME_COLUMNS if c not in header]
    if missing:
        raise ImportFailed([ImportProblem(1, f"missing column(s): {', '.join(missing)}; "
                                             f"expected: {', '.join(COLUMNS[:7])} (and "
                                             f"optionally {', '.join(COLUMNS[7:])})")])
    reader.fieldnames = header
    rows: list[Row] = []
    problems: list[ImportProblem] = []
    seen: dict[tuple[str, ...], int] = {}
    english: dict[tuple[str, ...], tuple[str, int]] = {}  # a place's names → (English, line)
    for raw in reader:
        line = reader.line_num
        cell = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        names = tuple(cell[c] for c in NAME_COLUMNS)
        names_en = tuple(cell[c] for c in ENGLISH_COLUMNS)
        empty = [c for c, v in zip(NAME_COLUMNS, names, strict=True) if not v]
        if empty:
            problems.append(ImportProblem(line, f"empty {', '.join(empty)}"))
            continue
        too_long = [c for c in (*COLUMNS[:6], *ENGLISH_COLUMNS, *ESTATE_COLUMNS)
                    if len(cell[c]) > MAX_NAME]
        if too_long:
            problems.append(ImportProblem(line, f"{', '.join(too_long)} longer than "
                                                f"{MAX_NAME} characters"))
            continue
        if len(cell["owner_ref"]) > MAX_OWNER_REF:
            problems.append(ImportProblem(line, f"owner_ref longer than {MAX_OWNER_REF} "
                                                "characters"))
            continue
        area_text = cell["floor_area_m2"]
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
        developer = FLAGS.get(cell["developer"].lower()) if "developer" in header else None
        if "developer" in header and developer is None:
            problems.append(ImportProblem(line, f"developer {cell['developer']!r} must be yes "
                                                "or no (or empty: no)"))
            continue
        if names in seen:
            problems.append(ImportProblem(line, f"duplicate room {'/'.join(names)} "
                                                f"(first on line {seen[names]})"))
            continue
        clash = (_english_clash(english, names, names_en, line)
                 or _estate_clash(english, names, cell["estate"], cell["estate_en"], line))
        if clash:
            problems.append(ImportProblem(line, clash))
            continue
        seen[names] = line
        rows.append(Row(line, names, area, names_en, cell["estate"], cell["estate_en"],
                        cell["owner_ref"] if "owner_ref" in header else None, developer))
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


def _estate_clash(seen: dict[tuple[str, ...], tuple[str, int]], names: tuple[str, ...],
                  estate: str, estate_en: str, line: int) -> str | None:
    """Remember each building's estate and each estate's English name (in `seen`, under keys
    no place's names can be); say so when a row disagrees with an earlier one."""
    if not estate:
        return f"estate_en {estate_en!r} given without an estate" if estate_en else None
    building = names[:BUILDING]
    given, first = seen.setdefault(("estate of", *building), (estate, line))
    if given != estate:
        return (f"estate {estate!r} differs from {given!r} on line {first} for building "
                f"{'/'.join(building)}")
    if estate_en:
        given, first = seen.setdefault(("estate", *names[:2], estate), (estate_en, line))
        if given != estate_en:
            return (f"estate_en {estate_en!r} differs from {given!r} on line {first} for "
                    f"estate {estate}")
    return None


Key = tuple[int | None, str, str]  # (parent id, kind, name): a place as the file names it
Known = dict[Key, tuple[int, str, Decimal | None, str | None]]  # → id, path, area, English
Wanted = dict[Key, tuple[str, str | None, dict[str, Any]]]  # → parent path, English, columns
Owners = dict[int, tuple[int | None, str | None, bool]]  # id → estate, owner ref, developer


async def import_rows(
    session: AsyncSession, rows: list[Row], progress: Progress | None = None
) -> ImportResult:
    """Create missing places level by level, update floor areas, English names, estates and
    owners; commit once at the end."""
    result = ImportResult(rows=len(rows))
    known: Known = {}
    owners: Owners = {}
    for pid, parent, kind, name, path, area, name_en, estate_id, owner_ref, developer in (
            await session.execute(select(
                Place.id, Place.parent_id, Place.kind, Place.name, Place.path, Place.floor_area,
                Place.name_en, Place.estate_id, Place.owner_ref, Place.developer))):
        known[(parent, kind, name)] = (pid, path, area, name_en)
        owners[pid] = (estate_id, owner_ref, developer)
    total = len(rows) * len(LEVELS)
    # each row's node at the level being filled: (id, path), top-down from the root
    node: list[tuple[int | None, str]] = [(None, "/")] * len(rows)
    estate_of: list[int | None] = [None] * len(rows)  # each row's estate, once known
    for depth, kind in enumerate(LEVELS):
        wanted: Wanted = {}
        for i, row in enumerate(rows):
            parent_id, parent_path = node[i]
            key = (parent_id, kind.value, row.names[depth])
            if key not in known:
                wanted.setdefault(key, (parent_path, row.names_en[depth] or None,
                                        _columns(kind, row, estate_of[i], None)))
        if wanted:
            await _create(session, kind, wanted, known)
            result.created[kind.value] = len(wanted)
            result.renamed += sum(1 for _, name_en, _ in wanted.values() if name_en)
            result.assigned += sum(1 for *_, c in wanted.values() if c.get("estate_id"))
        renames: dict[int, str] = {}
        changes: dict[int, dict[str, Any]] = {}
        for i, row in enumerate(rows):
            key = (node[i][0], kind.value, row.names[depth])
            pid, path, area, name_en = known[key]
            if key not in wanted:
                if kind in (PlaceKind.BUILDING, PlaceKind.HOUSEHOLD):
                    now = {"floor_area": area, **dict(zip(
                        ("estate_id", "owner_ref", "developer"), owners[pid], strict=True))}
                    columns = _columns(kind, row, estate_of[i], now)
                    if any(now[c] != v for c, v in columns.items()):
                        changes[pid] = {"id": pid, **columns}
                if row.names_en[depth] not in ("", name_en):
                    renames[pid] = row.names_en[depth]
            node[i] = (pid, path)
        if renames:
            await session.execute(update(Place), [{"id": pid, "name_en": name_en}
                                                  for pid, name_en in renames.items()])
            result.renamed += len(renames)
        if changes:
            await session.execute(update(Place), list(changes.values()))
            if kind == PlaceKind.HOUSEHOLD:
                result.updated += len(changes)
            else:
                result.assigned += len(changes)
        if kind == PlaceKind.COMMUNITY:
            estate_of = await _estates(session, rows, [pid for pid, _ in node], result)
        if progress:
            progress((depth + 1) * len(rows), total)
    result.unchanged = len(rows) - result.updated - result.created.get("household", 0)
    await session.commit()
    return result


def _columns(kind: PlaceKind, row: Row, estate_id: int | None,
             now: dict[str, Any] | None) -> dict[str, Any]:
    """The columns a row sets on its place of `kind` beyond its names: a building's estate,
    a household's area and owners. `now`: the place's current values (None: a new place),
    kept where the row leaves them."""
    if kind == PlaceKind.BUILDING:
        if estate_id is None:
            return {} if now is not None else {"estate_id": None}
        return {"estate_id": estate_id}
    if kind != PlaceKind.HOUSEHOLD:
        return {}
    keep = now or {"owner_ref": None, "developer": False}
    return {"floor_area": row.floor_area,
            "owner_ref": keep["owner_ref"] if row.owner_ref is None else row.owner_ref or None,
            "developer": keep["developer"] if row.developer is None else row.developer}


async def _estates(session: AsyncSession, rows: list[Row], communities: list[int | None],
                   result: ImportResult) -> list[int | None]:
    """Each row's estate id (None: the row names none), creating the estates the file names
    that its community does not have yet and updating their English names."""
    known = {(community_id, name): (eid, name_en) for eid, community_id, name, name_en in
             await session.execute(select(Estate.id, Estate.community_id, Estate.name,
                                          Estate.name_en))}
    # a building's estate, from whichever of its rows names it (they agree: parse_csv)
    of_building = {row.names[:BUILDING]: row.estate for row in rows if row.estate}
    estate_names = [of_building.get(row.names[:BUILDING], "") for row in rows]
    named: dict[tuple[int, str], str] = {}  # (community, estate) → English name in the file
    for row, community, estate in zip(rows, communities, estate_names, strict=True):
        if estate and community is not None:
            key = (community, estate)
            named[key] = named.get(key) or (row.estate_en if row.estate == estate else "")
    new = [key for key in named if key not in known]
    if new:
        ids = (await session.execute(
            insert(Estate).returning(Estate.id, sort_by_parameter_order=True),
            [{"community_id": c, "name": n, "name_en": named[(c, n)] or None} for c, n in new],
        )).scalars().all()
        known |= {key: (eid, named[key] or None) for key, eid in zip(new, ids, strict=True)}
        result.estates += len(new)
        result.renamed += sum(1 for key in new if named[key])
    renames = [{"id": known[key][0], "name_en": name_en} for key, name_en in named.items()
               if name_en and key not in new and known[key][1] != name_en]
    if renames:
        await session.execute(update(Estate), renames)
        result.renamed += len(renames)
    return [known[(c, estate)][0] if estate and c is not None else None
            for estate, c in zip(estate_names, communities, strict=True)]


async def _create(session: AsyncSession, kind: PlaceKind, wanted: Wanted, known: Known) -> None:
    """Insert new places of one level in bulk, then give each its materialised path."""
    keys = list(wanted)
    params = [
        {"parent_id": parent, "kind": kind.value, "name": name, "path": "",
         "join_code": new_join_code() if kind in JOINABLE else None, "floor_area": None,
         "name_en": wanted[(parent, k, name)][1], **wanted[(parent, k, name)][2]}
        for parent, k, name in keys
    ]
    ids = (await session.execute(
        insert(Place).returning(Place.id, sort_by_parameter_order=True), params
    )).scalars().all()
    paths = []
    for key, pid in zip(keys, ids, strict=True):
        parent_path, name_en, columns = wanted[key]
        path = f"{parent_path}{pid}/"
        known[key] = (pid, path, columns.get("floor_area"), name_en)
        paths.append({"id": pid, "path": path})
    await session.execute(update(Place), paths)


async def import_csv(
    session: AsyncSession, text: str, progress: Progress | None = None
) -> ImportResult:
    return await import_rows(session, parse_csv(text), progress)


async def export_rows(session: AsyncSession) -> list[tuple[str, ...]]:
    """Every household as a CSV row (header first), in natural order; imports back unchanged.
    The English columns are there when any place has an English name, the estate columns when
    any building has an estate, the owner columns when any household has an owner reference
    or is a developer's."""
    places = {
        pid: (parent, name, name_en, area, estate_id)
        for pid, parent, name, name_en, area, estate_id in (await session.execute(
            select(Place.id, Place.parent_id, Place.name, Place.name_en, Place.floor_area,
                   Place.estate_id)
        ))
    }
    estates = {eid: (name, name_en or "") for eid, name, name_en in
               await session.execute(select(Estate.id, Estate.name, Estate.name_en))}
    households = await session.execute(
        select(Place.id, Place.owner_ref, Place.developer)
        .where(Place.kind == PlaceKind.HOUSEHOLD))
    out: list[tuple[str, ...]] = []
    in_estates = owned = False
    for hid, owner_ref, developer in households:
        chain: list[tuple[str, str]] = []
        estate: tuple[str, str] = ("", "")
        cursor: int | None = hid
        while cursor is not None:
            parent, name, name_en, _, estate_id = places[cursor]
            chain.append((name, name_en or ""))
            if estate_id is not None:
                estate = estates[estate_id]
            cursor = parent
        chain.reverse()
        area = places[hid][3]
        in_estates = in_estates or bool(estate[0])
        owned = owned or bool(owner_ref) or developer
        out.append((*(name for name, _ in chain), "" if area is None else f"{area:.2f}",
                    *(name_en for _, name_en in chain), *estate, owner_ref or "",
                    "yes" if developer else ""))
    out.sort(key=lambda r: tuple(natural_key(x) for x in r[:6]))
    english = any(name_en for _, _, name_en, _, _ in places.values())
    wanted = [i for i, c in enumerate(COLUMNS) if i < 7 or (english and c in ENGLISH_COLUMNS)
              or (in_estates and c in ESTATE_COLUMNS) or (owned and c in OWNER_COLUMNS)]
    return [tuple(COLUMNS[i] for i in wanted), *(tuple(r[i] for i in wanted) for r in out)]
