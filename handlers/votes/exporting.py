"""`linli votes export VOTE DIR`: write a counted vote's three recount files (matters.csv,
roll.csv, ballots.csv: the README's format) into DIR, from exactly the rows the bot counts
(models/votes/export.py), so that `linli votes recount DIR` recounts what the bot counted."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli import Fail, load_settings, with_db
from bot.db import Database
from models.errors import DomainError
from models.votes import core, export
from models.votes.tables import VoteStatus

# a roll exists once voting opened; before that there is nothing to recount
EXPORTABLE = (VoteStatus.OPEN, VoteStatus.CLOSED, VoteStatus.COUNTED, VoteStatus.CONFIRMED,
              VoteStatus.PUBLISHED)


async def write(db: Database, vote_id: int, folder: Path) -> tuple[str, int]:
    """Write the vote's files into `folder`: (its title, the owners on its roll)."""
    async with db.session() as session:
        try:
            vote = await core.get_vote(session, vote_id)
        except DomainError:
            raise Fail(f"There is no vote {vote_id}.") from None
        if vote.status not in EXPORTABLE:
            raise Fail(f"Vote {vote.id} is {vote.status}: its roll is frozen when voting "
                       "opens, and only then can it be exported.")
        print(f"Writing vote {vote.id} «{vote.title}» into {folder} …", file=sys.stderr)
        await export.export_files(session, vote, folder)
        return vote.title, vote.roll_owners


def cmd_export(args: argparse.Namespace) -> None:
    folder = Path(args.directory)
    if folder.exists() and not folder.is_dir():
        raise Fail(f"{folder} is not a folder.")
    name, owners = asyncio.run(with_db(load_settings(),
                                       lambda db: write(db, args.vote, folder)))
    print(f"Wrote matters.csv, roll.csv ({owners} owners) and ballots.csv of «{name}» to "
          f"{folder}. Recount them with: linli votes recount {folder}")


def add(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = actions.add_parser(
        "export", help="write a vote's recount files (matters, roll, ballots) into a folder",
        description="Write the three CSV files of vote VOTE (matters.csv, roll.csv, "
                    "ballots.csv; the format is in README.md, \"Recounting a vote\") into DIR, "
                    "from the rows the bot counts, for `linli votes recount DIR`.")
    p.add_argument("vote", metavar="VOTE", type=int, help="the vote's number")
    p.add_argument("directory", metavar="DIR", help="folder to write into (created if missing)")
    p.set_defaults(func=cmd_export)
