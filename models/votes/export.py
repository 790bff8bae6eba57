"""A vote as the tally and the recount files see it: its matters, its frozen roll (one row
per owner, with opaque keys) and its ballots (with their weights, not joined to the roll; a
secret ballot's key is its receipt code).

`linli votes export` writes these rows as the three CSV files `linli votes recount` reads
(models/votes/recount.py). The bot counts the same ballots and roll in the database
(`closing.tally_of`) and decides with the same rules (`tally.tally_counts`); the tests check
that a recount from the files always gives the stored result.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.votes import recount, secret, selections, tally
from models.votes.core import matters_of
from models.votes.elections import counted
from models.votes.roll import voted_owners
from models.votes.tables import Ballot, BallotChoice, RollHousehold, RollOwner, Vote


async def matters_as_counted(session: AsyncSession, vote: Vote) -> list[tally.Matter]:
    return [counted(m) for m in await matters_of(session, vote.id)]


async def tally_inputs(session: AsyncSession, vote: Vote
                       ) -> tuple[list[tally.Matter], list[tally.RollOwner], list[tally.Ballot]]:
    """The vote as the recount files hold it: matters, roll, ballots."""
    matters = await matters_as_counted(session, vote)
    households: dict[int, list[str]] = defaultdict(list)
    for owner_id, household_id in await session.execute(
            select(RollHousehold.owner_id, RollHousehold.household_id)
            .where(RollHousehold.vote_id == vote.id).order_by(RollHousehold.household_id)):
        households[owner_id].append(f"H{household_id}")
    kinds = {m.number: m.kind for m in matters}
    voted = set(await session.scalars(voted_owners(vote)))
    roll = [tally.RollOwner(key=f"O{owner.id}", households=tuple(households[owner.id]),
                            area=owner.area, voted=owner.id in voted)
            for owner in await session.scalars(select(RollOwner).where(
                RollOwner.vote_id == vote.id).order_by(RollOwner.id))]
    if vote.secret:  # keyed by their receipts, in their order: nothing of the voter
        return matters, roll, [
            tally.Ballot(key=secret.receipt_text(receipt), area=area, channel=channel,
                         choices={m: selections.from_rows(kinds[m], found)
                                  for m, found in values.items() if m in kinds})
            for receipt, area, channel, values in await secret.ballots_of(session, vote)]
    ballots = list(await session.execute(
        select(Ballot, RollOwner.area).join(RollOwner, RollOwner.id == Ballot.owner_id)
        .where(Ballot.vote_id == vote.id).order_by(Ballot.id)))
    rows: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for ballot_id, matter, value in await session.execute(
            select(BallotChoice.ballot_id, BallotChoice.matter, BallotChoice.value)
            .where(BallotChoice.vote_id == vote.id)):
        rows[ballot_id].append((int(matter), str(value)))
    cast = [tally.Ballot(key=f"B{ballot.id}", area=area, channel=ballot.channel,
                         choices=_selections(kinds, rows[ballot.id]))
            for ballot, area in ballots]
    return matters, roll, cast


def _selections(kinds: dict[int, tally.MatterKind], rows: list[tuple[int, str]]
                ) -> dict[int, tally.Selection]:
    """One ballot's `vote_ballot_choice` rows as the tally's selections, per matter."""
    values: dict[int, list[str]] = defaultdict(list)
    for matter, value in rows:
        values[matter].append(value)
    return {matter: selections.from_rows(kinds[matter], found)
            for matter, found in values.items() if matter in kinds}


async def export_files(session: AsyncSession, vote: Vote, directory: Path) -> None:
    """Write the vote's three recount files into `directory`."""
    matters, roll, ballots = await tally_inputs(session, vote)
    recount.write_files(directory, matters, roll, ballots)
