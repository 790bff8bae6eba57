"""The place tree from and to CSV: `linli import places` and `linli export places`.

The tree itself (street → community → grid → building → unit → household) is set up here, by
the community office, before anyone can join; see models/place_import.py for the format.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from pathlib import Path
from typing import Any

from bot.cli import Fail, load_settings, progress_bar, with_db
from bot.db import Database
from bot.feature import CliCommand, Feature
from models.place_import import ImportFailed, export_rows, import_rows, parse_csv


def cmd_import_places(args: argparse.Namespace) -> None:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Fail(f"No such file: {path}") from None
    except UnicodeDecodeError:
        raise Fail(f"{path} is not UTF-8 text; save it as CSV UTF-8 and try again.") from None
    try:
        rows = parse_csv(text)
    except ImportFailed as failed:
        for problem in failed.problems[:50]:
            print(f"{path}:{problem.line}: {problem.message}", file=sys.stderr)
        more = len(failed.problems) - 50
        if more > 0:
            print(f"… and {more} more", file=sys.stderr)
        raise Fail(f"{len(failed.problems)} bad row(s); nothing was imported.") from None

    async def work(db: Database) -> Any:
        async with db.session() as session:
            return await import_rows(session, rows, progress_bar("Importing"))

    result = asyncio.run(with_db(load_settings(), work))
    created = ", ".join(f"{n} {kind}" for kind, n in result.created.items()) or "nothing new"
    print(f"Imported {result.rows} households: created {created}; "
          f"{result.updated} updated, {result.unchanged} unchanged; "
          f"{result.renamed} English name(s) set"
          + (f"; {result.estates} estate(s) created, {result.assigned} building(s) put in an "
             "estate." if result.estates or result.assigned else "."))


def cmd_export_places(args: argparse.Namespace) -> None:
    async def work(db: Database) -> list[tuple[str, ...]]:
        async with db.session() as session:
            return await export_rows(session)

    rows = asyncio.run(with_db(load_settings(), work))
    if args.file in (None, "-"):
        csv.writer(sys.stdout).writerows(rows)
    else:
        with open(args.file, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        print(f"Exported {len(rows) - 1} households to {args.file}.", file=sys.stderr)


def add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="import data", description="Import data from files.")
    imps = imp.add_subparsers(dest="what", required=True, metavar="WHAT")
    ip = imps.add_parser(
        "places", help="import the place tree from CSV",
        description="Import households from a UTF-8 CSV with the columns street, community, "
                    "grid, building, unit, room, floor_area_m2 (one household per row) and, "
                    "optionally, English names in street_en, community_en, grid_en, "
                    "building_en, unit_en, room_en; for owners' decisions, the building's "
                    "estate (物业管理区域) in estate and estate_en, the owner's reference from "
                    "the property register in owner_ref and a developer's unit in developer "
                    "(yes/no). Importing the same file again changes nothing; an edited floor "
                    "area, English name, estate or owner is updated in place; any bad row "
                    "stops the import and nothing is written.")
    ip.add_argument("file", help="CSV file, e.g. bot/data/sample_places.csv")
    ip.set_defaults(func=cmd_import_places)


def add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exp = sub.add_parser("export", help="export data", description="Export data to files.")
    exps = exp.add_subparsers(dest="what", required=True, metavar="WHAT")
    ep = exps.add_parser("places", help="export the place tree as CSV",
                         description="Export every household as CSV, in the import format.")
    ep.add_argument("file", nargs="?", help="output file (default: standard output)")
    ep.set_defaults(func=cmd_export_places)


FEATURE = Feature(name="places", cli=[CliCommand(add_import), CliCommand(add_export)])
