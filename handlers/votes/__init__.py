"""Votes (#14, #15): owners' decisions under Civil Code art. 278, elections and polls.

Owners vote by buttons alone (`ballot`: the votes of my homes, whom I vote for, the ballot
carried in its buttons, review, confirm, the copy; a secret ballot's copy with its receipt
code, the published receipts and checking a code: `receipts`); convenors write a vote step by step
(`drafting`, with the typed answers in `answers`) and follow it (`following`: progress per
building and the double quorum, reminders, extending, the scrutineers' confirmations,
cancelling, the chart and the exports). The paper side: officers enter paper and on-site
ballots (`officers`, `paper`); staff and grid workers record door-knocking for owners who have
not voted and help an owner vote with a written proxy (`knocking`, `assisting`). `rendering`
is how votes read, in chats and in the outbox; `buttons` are their codecs. The verbs are in
models/votes/.

`linli votes` is one parser that each action adds itself to (CLI_ACTIONS): `recount`
(handlers/votes/recount.py), `export` (handlers/votes/exporting.py), `ballots`, the
printable ballots, and `poster`, the results poster (handlers/votes/printing.py, also the
convenors' buttons).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from bot.feature import CliCommand, Command, DeepLink, Feature, MenuButton, MenuCommand, On
from bot.i18n import N_
from handlers.votes import (
    answers,
    assisting,
    ballot,
    candidates,
    drafting,
    exporting,
    following,
    knocking,
    officers,
    paper,
    paper_text,
    printing,
    receipts,
    recount,
    waiting,
)
from handlers.votes import buttons as b
from handlers.votes.knock_buttons import KnockVotes
from handlers.votes.rendering import RENDERERS, SHARED
from models.schedule import Effect
from models.votes import closing, core, lifecycle
from models.votes import following as vote_following

Actions: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

# each adds one `linli votes ACTION` subparser, with set_defaults(func=…)
CLI_ACTIONS: list[Callable[[Actions], None]] = [recount.add, exporting.add, printing.add]


def add_cli(sub: Actions) -> None:
    votes = sub.add_parser("votes", help="owners' decisions, elections and polls",
                           description="Owners' decisions (Civil Code art. 278), elections and "
                                       "polls: export a vote's files, recount from them.")
    actions = votes.add_subparsers(dest="votes_command", required=True, metavar="ACTION")
    for add in CLI_ACTIONS:
        add(actions)


# due-item kind → effect: voting opens, closes, an automatic reminder (the tick runs them)
EFFECTS: dict[str, Effect] = {core.OPEN_DUE: lifecycle.open_due,
                              core.CLOSE_DUE: closing.close_due,
                              core.REMIND_DUE: vote_following.remind_due}

FEATURE = Feature(
    name=core.FEATURE,
    commands=[Command("votes", ballot.my_votes, hint=N_("🗳 Owners' votes"))],
    deep_links=[DeepLink("vote_", ballot.deep_link, then=r"\d"),
                DeepLink("pb_", paper.deep_link, then=r"\w")],
    buttons=[
        On(b.MyVotes, ballot.my_votes), On(b.OpenVote, ballot.open_vote),
        On(b.OpenOwner, ballot.open_owner), On(b.Ballot, ballot.ballot),
        On(b.Review, ballot.review), On(b.Cast, ballot.cast),
        On(b.Candidates, ballot.candidates),
        *[On(codec, handler) for codec, handler in candidates.BUTTONS.items()],
        *[On(codec, handler) for codec, handler in drafting.BUTTONS.items()],
        *[On(codec, handler) for codec, handler in following.BUTTONS.items()],
        *[On(codec, handler) for codec, handler in receipts.BUTTONS.items()],
        On(b.PrintBallots, printing.ballots), On(b.ResultPoster, printing.result_poster),
        *[On(codec, handler) for codec, handler in officers.BUTTONS.items()],
        *[On(codec, handler) for codec, handler in paper.BUTTONS.items()],
        *[On(codec, handler) for codec, handler in knocking.BUTTONS.items()],
        *[On(codec, handler) for codec, handler in assisting.BUTTONS.items()],
    ],
    inputs={**answers.INPUTS, **receipts.INPUTS, **paper.INPUTS, **assisting.INPUTS},
    renderers={**RENDERERS, **paper_text.RENDERERS, **assisting.RENDERERS},
    shared_renderers=SHARED,
    effects=EFFECTS,
    waiting=waiting.waiting,
    menu=[MenuCommand("votes", N_("Owners' votes: vote, or run one"), "resident", 45)],
    menu_buttons=[MenuButton(N_("🗳 Owners' votes"), b.MyVotes(), "resident", 35),
                  MenuButton(N_("🚪 Door-knocking"), KnockVotes(), "manager", 80)],
    cli=[CliCommand(add_cli)],
)
