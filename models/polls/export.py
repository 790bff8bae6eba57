"""A closed poll as the tally and the recount files see it, and as the bot counts it.

The recount files are the votes' (models/votes/recount.py): matters.csv holds the poll as one
matter of kind `poll` (its options as `candidates`, `seats` how many one answer may choose
when it takes several, its minimum turnout in the optional `turnout` column); roll.csv one row
per voter on the roll frozen at closing ("P12" a person, "H34" a household; their homes as
"H…", area 0.00: nobody is weighed); ballots.csv one row per answer ("A7" a named one, an
anonymous one by its random key), `m1` the chosen options' numbers. `linli votes recount`
recounts it like any vote; the bot's own result (`count`) is a GROUP BY over the same rows,
decided by the same `tally_counts`, and the tests hold them equal.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.polls.core import matter_of
from models.polls.tables import (
    Poll,
    PollAnswer,
    PollChoice,
    PollRoll,
    PollSecretAnswer,
    PollSecretChoice,
)
from models.votes import recount, tally

CHANNEL = "online"


async def tally_inputs(session: AsyncSession, poll: Poll
                       ) -> tuple[list[tally.Matter], list[tally.RollOwner], list[tally.Ballot]]:
    """The poll's matter, frozen roll and answers, as the recount files hold them."""
    homes: dict[str, list[str]] = defaultdict(list)
    voted: dict[str, bool] = {}
    for voter, household_id, has in await session.execute(
            select(PollRoll.voter, PollRoll.household_id, PollRoll.voted)
            .where(PollRoll.poll_id == poll.id).order_by(PollRoll.id)):
        homes[voter].append(f"H{household_id}")
        voted[voter] = voted.get(voter, False) or bool(has)
    roll = [tally.RollOwner(voter.upper(), tuple(found), 0, voted[voter])
            for voter, found in homes.items()]
    chosen: dict[str, list[int]] = defaultdict(list)
    if poll.anonymous:
        keys = list(await session.scalars(select(PollSecretAnswer.key).where(
            PollSecretAnswer.poll_id == poll.id).order_by(PollSecretAnswer.key)))
        for key, option in await session.execute(
                select(PollSecretChoice.key, PollSecretChoice.option)
                .where(PollSecretChoice.poll_id == poll.id)):
            chosen[key].append(int(option))
    else:
        keys = [f"A{n}" for n in await session.scalars(select(PollAnswer.id).where(
            PollAnswer.poll_id == poll.id).order_by(PollAnswer.id))]
        for answer_id, option in await session.execute(
                select(PollChoice.answer_id, PollChoice.option)
                .where(PollChoice.poll_id == poll.id)):
            chosen[f"A{answer_id}"].append(int(option))
    ballots = [tally.Ballot(key, 0, CHANNEL, {1: tuple(sorted(chosen[key]))}) for key in keys]
    return [matter_of(poll)], roll, ballots


async def count(session: AsyncSession, poll: Poll) -> list[tally.MatterResult]:
    """The bot's count of a closed poll: its frozen roll and a GROUP BY over its answers'
    options, decided by `tally.tally_counts` as a recount decides."""
    total, answered = (await session.execute(
        select(func.count(PollRoll.voter.distinct()),
               func.count(PollRoll.voter.distinct()).filter(PollRoll.voted))
        .where(PollRoll.poll_id == poll.id))).one()
    choice = PollSecretChoice if poll.anonymous else PollChoice
    counts = {str(option): tally.Count(int(n), 0) for option, n in await session.execute(
        select(choice.option, func.count()).where(choice.poll_id == poll.id)
        .group_by(choice.option))}
    return tally.tally_counts([matter_of(poll)], owners_total=int(total), area_total=0,
                              owners_voted=int(answered), area_voted=0, counts={1: counts})


async def export_files(session: AsyncSession, poll: Poll, directory: Path) -> None:
    """Write the poll's three recount files into `directory`."""
    recount.write_files(directory, *await tally_inputs(session, poll))
