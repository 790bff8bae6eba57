"""The `linli` command: run the bot, manage the database, import places, bootstrap staff.

Every subcommand has --help; every failure is one clear line on stderr and a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import ConfigError, Settings
from bot.db import Database, SchemaError
from models.errors import DomainError


class Fail(Exception):
    """End the command with this message and exit code 1."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"LINLI_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        raise Fail(f"Bad configuration: {problems}") from None


def _progress(label: str):  # type: ignore[no-untyped-def]
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{100 * done // max(total, 1):3d}%{end}")
        sys.stderr.flush()
    return show


async def _with_db(settings: Settings, work: Any) -> Any:
    db = Database(settings.database_url)
    try:
        await db.check()
        return await work(db)
    finally:
        await db.dispose()


# --- db -------------------------------------------------------------------------------------

def cmd_db_upgrade(args: argparse.Namespace) -> None:
    from bot.migrate import head_revision, upgrade

    settings = _settings()
    upgrade(settings.database_url)
    print(f"Database is at the latest schema ({head_revision()}).")


def cmd_db_current(args: argparse.Namespace) -> None:
    from bot.migrate import current_revision, head_revision

    async def work() -> str | None:
        db = Database(_settings().database_url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(current_revision)
        finally:
            await db.dispose()

    current = asyncio.run(work())
    head = head_revision()
    state = "up to date" if current == head else "out of date: run `linli db upgrade`"
    print(f"Database schema: {current or 'empty'} (code needs {head}) — {state}.")


# --- places ---------------------------------------------------------------------------------

def cmd_import_places(args: argparse.Namespace) -> None:
    from models.place_import import ImportFailed, import_rows, parse_csv

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
            return await import_rows(session, rows, _progress("Importing"))

    result = asyncio.run(_with_db(_settings(), work))
    created = ", ".join(f"{n} {kind}" for kind, n in result.created.items()) or "nothing new"
    print(f"Imported {result.rows} households: created {created}; "
          f"{result.updated} updated, {result.unchanged} unchanged.")


def cmd_export_places(args: argparse.Namespace) -> None:
    from models.place_import import export_rows

    async def work(db: Database) -> list[tuple[str, ...]]:
        async with db.session() as session:
            return await export_rows(session)

    rows = asyncio.run(_with_db(_settings(), work))
    if args.file in (None, "-"):
        csv.writer(sys.stdout).writerows(rows)
    else:
        with open(args.file, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        print(f"Exported {len(rows) - 1} households to {args.file}.", file=sys.stderr)


# --- admin ----------------------------------------------------------------------------------

def _place_names(text: str) -> list[str]:
    names = [part.strip() for part in text.split("/") if part.strip()]
    if not names:
        raise Fail("--place needs the place's names from the top, e.g. '城东街道/阳光社区'.")
    return names


def cmd_admin_grant(args: argparse.Namespace, *, revoke: bool = False) -> None:
    from models.people import Role, ensure_person, grant_role, person_by_telegram, revoke_role
    from models.places import find_by_names

    settings = _settings()

    async def work(db: Database) -> str:
        async with db.session() as session:
            place = await find_by_names(session, _place_names(args.place))
            if revoke:
                person = await person_by_telegram(session, args.telegram_id)
                if person is None or not await revoke_role(
                    session, person_id=person.id, place_id=place.id, role=Role(args.role)
                ):
                    return f"Nothing to revoke: {args.telegram_id} is not {args.role} there."
                await session.commit()
                return f"Revoked {args.role} on {args.place} from {args.telegram_id}."
            person = await ensure_person(session, telegram_id=args.telegram_id,
                                         name=args.name or str(args.telegram_id),
                                         language=settings.default_language)
            _grant, created = await grant_role(session, person_id=person.id, place_id=place.id,
                                               role=Role(args.role))
            await session.commit()
            if not created:
                return f"{args.telegram_id} already is {args.role} on {args.place}."
            return (f"Granted {args.role} on {args.place} to {args.telegram_id}. Their command "
                    "menu updates when the bot next starts.")

    print(asyncio.run(_with_db(settings, work)))


def cmd_admin_list(args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from models.people import Person, RoleGrant
    from models.places import Place, ancestors

    async def work(db: Database) -> list[str]:
        async with db.session() as session:
            rows = await session.execute(
                select(Person, RoleGrant, Place).join(RoleGrant, RoleGrant.person_id == Person.id)
                .join(Place, Place.id == RoleGrant.place_id).order_by(RoleGrant.role, Person.id)
            )
            out = []
            for person, grant, place in rows:
                if args.role and grant.role != args.role:
                    continue
                chain = "/".join(p.name for p in await ancestors(session, place))
                out.append(f"{grant.role:<12} {person.telegram_id:<14} {person.name:<20} {chain}")
            return out

    lines = asyncio.run(_with_db(_settings(), work))
    print("\n".join(lines) if lines else "No roles granted yet. Use `linli admin grant`.")


# --- run ------------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> None:
    from bot.runner import run

    settings = _settings()
    token = settings.require_token()
    if settings.webhook_url:
        settings.require_webhook_secret()
    run(settings, token)


def cmd_sandbox(args: argparse.Namespace) -> None:
    from bot.sandbox import SandboxError, SandboxOptions, main

    options = SandboxOptions(db_path=Path(args.db), host=args.host, port=args.port,
                             api_port=args.api_port, reset=args.reset)
    try:
        main(options)
    except SandboxError as error:
        raise Fail(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    from models.people import Role

    parser = argparse.ArgumentParser(
        prog="linli",
        description="linli (邻里): a Telegram bot that runs a residential community.",
        epilog="Configuration comes from LINLI_* environment variables or a .env file; "
               "see README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the bot (long polling, or webhook if "
                                   "LINLI_WEBHOOK_URL is set)",
                       description="Run the bot against Telegram (or LINLI_API_BASE_URL). Uses "
                                   "long polling unless LINLI_WEBHOOK_URL is set.")
    p.set_defaults(func=cmd_run)

    sb = sub.add_parser(
        "sandbox", help="try linli in a browser: no Telegram, token or internet needed",
        description="Run the Bot API emulator, the bot and a chat page on this computer, with "
                    "a demo community. Open the printed address in a browser and act as any "
                    "demo resident, volunteer or staff member. Data is kept between runs.")
    sb.add_argument("--port", type=int, default=8080, help="port of the page (default 8080)")
    sb.add_argument("--api-port", type=int, default=8081,
                    help="port of the Bot API emulator (default 8081)")
    sb.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this computer only)")
    sb.add_argument("--db", default="linli-sandbox.sqlite",
                    help="the sandbox's SQLite file (default linli-sandbox.sqlite here)")
    sb.add_argument("--reset", action="store_true",
                    help="delete the sandbox's data and start with a fresh demo community")
    sb.set_defaults(func=cmd_sandbox)

    db = sub.add_parser("db", help="database schema", description="Manage the database schema.")
    dbs = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dbs.add_parser("upgrade", help="create or upgrade the schema to the latest version",
                   description="Create the database or migrate it to the latest schema."
                   ).set_defaults(func=cmd_db_upgrade)
    dbs.add_parser("current", help="show the schema version",
                   description="Show the database's schema version and whether it is current."
                   ).set_defaults(func=cmd_db_current)

    imp = sub.add_parser("import", help="import data", description="Import data from files.")
    imps = imp.add_subparsers(dest="what", required=True, metavar="WHAT")
    ip = imps.add_parser(
        "places", help="import the place tree from CSV",
        description="Import households from a UTF-8 CSV with the columns street, community, "
                    "grid, building, unit, room, floor_area_m2 (one household per row). "
                    "Importing the same file again changes nothing; an edited floor area is "
                    "updated in place; any bad row stops the import and nothing is written.")
    ip.add_argument("file", help="CSV file, e.g. bot/data/sample_places.csv")
    ip.set_defaults(func=cmd_import_places)

    exp = sub.add_parser("export", help="export data", description="Export data to files.")
    exps = exp.add_subparsers(dest="what", required=True, metavar="WHAT")
    ep = exps.add_parser("places", help="export the place tree as CSV",
                         description="Export every household as CSV, in the import format.")
    ep.add_argument("file", nargs="?", help="output file (default: standard output)")
    ep.set_defaults(func=cmd_export_places)

    adm = sub.add_parser("admin", help="grant and revoke roles",
                         description="Grant, revoke and list roles (the first staff member is "
                                     "made here).")
    adms = adm.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    roles = [r.value for r in Role]
    for name, helptext in (("grant", "grant a role on a place and everything under it"),
                           ("revoke", "take a role away")):
        g = adms.add_parser(name, help=helptext, description=helptext.capitalize() + ".")
        g.add_argument("--telegram-id", type=int, required=True,
                       help="the person's numeric Telegram user id")
        g.add_argument("--role", choices=roles, required=True)
        g.add_argument("--place", required=True,
                       help="place names from the top, separated by '/', e.g. "
                            "'城东街道/阳光社区'")
        if name == "grant":
            g.add_argument("--name", help="display name until the person opens the bot")
            g.set_defaults(func=cmd_admin_grant)
        else:
            g.set_defaults(func=lambda a: cmd_admin_grant(a, revoke=True))
    lst = adms.add_parser("list", help="list granted roles", description="List granted roles.")
    lst.add_argument("--role", choices=roles, help="only this role")
    lst.set_defaults(func=cmd_admin_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (Fail, ConfigError, SchemaError, DomainError) as error:
        print(f"linli: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `linli export places | head`
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
