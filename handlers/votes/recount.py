"""`linli votes recount DIR`: recount a vote from its three CSV files alone, with the same
tally and the same table as the bot (models/votes/), so anyone can check a count without the
database; `--json` prints one JSON object instead. A folder whose files disagree is refused
with the file and line, in the reader's language, and nothing is counted."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from bot.cli import Fail, load_settings
from bot.i18n import LANGUAGES, tr
from models.errors import DomainError
from models.votes.recount import read_files, result_json, result_table
from models.votes.tally import tally

HELP = """\
DIR holds three UTF-8 CSV files, each with a header row of exactly these columns:
  matters.csv  matter, kind (decision / election / poll), item (art. 278 item 1-9; empty
               for a poll), seats (an election's), candidates (options separated by ';'),
               and optionally turnout (a poll's minimum turnout, such as 30%)
  roll.csv     owner, households (separated by ';'), area_m2 (e.g. 89.50), voted (yes / no)
  ballots.csv  ballot, area_m2, channel (online / assisted / paper / on-site), then m1, m2 ...
               per matter: agree / disagree / abstain, or the chosen option numbers
               separated by ';' (empty: abstain)
Files that disagree (more or fewer ballots than owners marked voted, ballot weights that are
not the voted owners' areas, an unknown choice ...) are refused with the file and line.
The format, the JSON and the rules of the tally: README.md, "Recounting a vote".
"""


def cmd_recount(args: argparse.Namespace) -> None:
    _ = tr(args.language or load_settings().default_language, dt.UTC)
    folder = Path(args.directory)
    if not folder.is_dir():
        raise Fail(_("{directory} is not a folder: give the folder that holds matters.csv, "
                     "roll.csv and ballots.csv.", directory=folder))
    try:
        results = tally(*read_files(folder))
    except DomainError as refused:
        raise Fail(_(refused.message, **refused.params)) from None
    if args.json:
        print(json.dumps(result_json(results), ensure_ascii=False, indent=2))
    else:
        print(result_table(results, _))


def add(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = actions.add_parser(
        "recount", help="recount a vote from its CSV files (no database needed)",
        description="Recount every matter of a vote from the files in DIR alone, as the bot "
                    "counts (Civil Code art. 278: participation of at least 2/3 of the owners "
                    "and of the area; more than half of both, or at least 3/4 for items 6-8), "
                    "and print the bot's table, or with --json one JSON object.",
        epilog=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("directory", metavar="DIR",
                   help="folder with matters.csv, roll.csv and ballots.csv")
    p.add_argument("--json", action="store_true", help="print one JSON object, not the table")
    p.add_argument("--language", choices=LANGUAGES,
                   help="language of the table and messages (default: LINLI_DEFAULT_LANGUAGE, "
                        "zh_CN)")
    p.set_defaults(func=cmd_recount)
