"""Votes (#14, #15): owners' decisions under Civil Code art. 278, elections and polls. So far
the `linli votes` command with its `recount` action (handlers/votes/recount.py); the vote
flows add their commands, buttons and renderers to FEATURE, and their CLI actions (`export`)
to CLI_ACTIONS, since `linli votes` is one parser that each action adds itself to."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from bot.feature import CliCommand, Feature
from handlers.votes import recount

Actions: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

# each adds one `linli votes ACTION` subparser, with set_defaults(func=…)
CLI_ACTIONS: list[Callable[[Actions], None]] = [recount.add]


def add_cli(sub: Actions) -> None:
    votes = sub.add_parser("votes", help="owners' decisions, elections and polls",
                           description="Owners' decisions (Civil Code art. 278), elections and "
                                       "polls: recount a vote from its files.")
    actions = votes.add_subparsers(dest="votes_command", required=True, metavar="ACTION")
    for add in CLI_ACTIONS:
        add(actions)


FEATURE = Feature(name="votes", cli=[CliCommand(add_cli)])
