"""`linli polls export POLL DIR`: write a closed poll's three recount files (matters.csv with
the poll as one matter of kind `poll`, roll.csv, ballots.csv: the README's format) into DIR,
from exactly the rows the bot counts (models/polls/export.py), so that `linli votes recount
DIR` recounts what the bot counted."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli import Fail, load_settings, with_db
from bot.db import Database
from models.errors import DomainError
from models.polls import core, export
from models.polls.tables import PollStatus


async def write(db: Database, poll_id: int, folder: Path) -> tuple[str, int]:
    """Write the poll's files into `folder`: (its question, how many answered)."""
    async with db.session() as session:
        try:
            poll = await core.get_poll(session, poll_id)
        except DomainError:
            raise Fail(f"There is no poll {poll_id}.") from None
        if poll.status not in (PollStatus.CLOSED, PollStatus.PUBLISHED):
            raise Fail(f"Poll {poll.id} is {poll.status}: its roll is frozen when it closes, "
                       "and only then can it be exported.")
        print(f"Writing poll {poll.id} «{poll.question}» into {folder} …", file=sys.stderr)
        await export.export_files(session, poll, folder)
        return poll.question, int((poll.result or {}).get("matters", [{}])[0].get(
            "owners_voted", 0))


def cmd_export(args: argparse.Namespace) -> None:
    folder = Path(args.directory)
    if folder.exists() and not folder.is_dir():
        raise Fail(f"{folder} is not a folder.")
    question, answers = asyncio.run(with_db(load_settings(),
                                            lambda db: write(db, args.poll, folder)))
    print(f"Wrote matters.csv, roll.csv and ballots.csv ({answers} answers) of «{question}» "
          f"to {folder}. Recount them with: linli votes recount {folder}")


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    polls = sub.add_parser("polls", help="resident polls: export a poll's recount files",
                           description="Resident polls: export a closed poll's recount files.")
    actions = polls.add_subparsers(dest="polls_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "export", help="write a closed poll's recount files (matters, roll, ballots)",
        description="Write the three CSV files of poll POLL (the votes' format, the poll as "
                    "one matter of kind poll; README.md, \"Recounting a vote\") into DIR, for "
                    "`linli votes recount DIR`.")
    p.add_argument("poll", metavar="POLL", type=int, help="the poll's number")
    p.add_argument("directory", metavar="DIR", help="folder to write into (created if missing)")
    p.set_defaults(func=cmd_export)
