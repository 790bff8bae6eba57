"""The `linli` command: run the bot, manage the database, and each feature's own subcommands
(import places, bootstrap staff …: `Feature.cli`, looped over through bot/registry.py).

Every subcommand has --help; every failure is one clear line on stderr and a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
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


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"LINLI_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        raise Fail(f"Bad configuration: {problems}") from None


def progress_bar(label: str):  # type: ignore[no-untyped-def]
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{100 * done // max(total, 1):3d}%{end}")
        sys.stderr.flush()
    return show


async def with_db(settings: Settings, work: Any) -> Any:
    db = Database(settings.database_url)
    try:
        await db.check()
        return await work(db)
    finally:
        await db.dispose()


# --- db -------------------------------------------------------------------------------------

def cmd_db_upgrade(args: argparse.Namespace) -> None:
    from bot.migrate import head_revision, upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    print(f"Database is at the latest schema ({head_revision()}).")


def cmd_db_current(args: argparse.Namespace) -> None:
    from bot.migrate import current_revision, head_revision

    async def work() -> str | None:
        db = Database(load_settings().database_url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(current_revision)
        finally:
            await db.dispose()

    current = asyncio.run(work())
    head = head_revision()
    state = "up to date" if current == head else "out of date: run `linli db upgrade`"
    print(f"Database schema: {current or 'empty'} (code needs {head}) — {state}.")


# --- run ------------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> None:
    from bot.runner import run

    settings = load_settings()
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

    # the features' own subcommands: import/export places, admin … (bot/registry.py)
    from bot import registry

    registry.add_cli(sub)
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
    # run as the module `bot.cli`, so the features' subcommands raise the same `Fail`
    from bot.cli import main as cli_main

    sys.exit(cli_main())
