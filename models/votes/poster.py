"""What the results poster says (业主大会表决结果公告, drawn by bot/result_poster.py), in data:
a published vote's title and estate, each matter's result as counted (models/votes/tally.py),
how many ballots came by each channel, who confirmed the count, and the deep link to the vote
in the bot. For the vote's convenors once the result is published, and the command line.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import N_, Conflict
from models.people import Person
from models.votes import tally
from models.votes.core import estate_of_vote, get_vote, matters_of, require_convenor
from models.votes.export import tally_inputs
from models.votes.tables import Scrutiny, VoteMatter, VoteStatus

CHANNELS = ("online", "assisted", "paper", "on-site")  # in the order the poster lists them


def vote_link(bot_username: str, vote_id: int) -> str:
    """The deep link that opens the vote in the bot: the announcement's and the poster's."""
    return f"https://t.me/{bot_username}?start=vote_{vote_id}"


@dataclass(frozen=True)
class Scrutineer:
    name: str
    staff: bool  # confirmed as community staff, not as a committee member


@dataclass(frozen=True)
class Posted:
    """The results poster's content."""

    vote_id: int
    title: str
    title_en: str | None
    estate: str
    estate_en: str | None
    published_at: dt.datetime
    matters: Sequence[VoteMatter]
    results: Sequence[tally.MatterResult]
    channels: dict[str, int]  # ballots by channel, each of CHANNELS (0 where none)
    scrutineers: Sequence[Scrutineer]
    secret: bool
    link: str  # the deep link that opens the vote in the bot (as the announcement's)


async def posted(session: AsyncSession, *, vote_id: int, author: Person | None,
                 link: str) -> Posted:
    """The poster of a published vote, for its convenors (`author` None: the command line)."""
    vote = await get_vote(session, vote_id)
    if author is not None:
        await require_convenor(session, author, vote)
    if vote.status != VoteStatus.PUBLISHED or vote.published_at is None:
        raise Conflict(N_("The results poster is there once the result is published."))
    estate = await estate_of_vote(session, vote)
    matters, roll, ballots = await tally_inputs(session, vote)
    counted = Counter(b.channel for b in ballots)
    people = (await session.execute(
        select(Person.name, Scrutiny.staff).join(Scrutiny, Scrutiny.person_id == Person.id)
        .where(Scrutiny.vote_id == vote.id).order_by(Scrutiny.id))).all()
    return Posted(vote.id, vote.title, vote.title_en, estate.name, estate.name_en,
                  vote.published_at, await matters_of(session, vote.id),
                  tally.tally(matters, roll, ballots),
                  {c: counted.get(c, 0) for c in CHANNELS},
                  [Scrutineer(name, bool(staff)) for name, staff in people], vote.secret, link)
