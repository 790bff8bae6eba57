"""What a convenor of an owners' vote is asked to type in the chat, and what that answer does:
the title, a matter's title (its art. 278 item chosen first, by button), the opening or closing
day (typed or pressed), the reason for cancelling. Each question is recorded with models/asks.py
in the same transaction, so the convenor's next message goes there on any worker. Every verb
re-checks the person's right on the server, then calls the vote's own verbs (lifecycle).
What the screens read is in models/votes/reading.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks
from models.errors import N_, Conflict, Invalid
from models.estates import (
    CommitteeSeat,
    Estate,
    buildings_of,
    estates_in,
)
from models.people import Person
from models.permissions import CONVENORS, places_with_role
from models.places import Place
from models.votes import closing, lifecycle, roll
from models.votes.core import (
    FEATURE,
    MAX_VOTING,
    get_vote,
    local_day,
    matters_of,
    require_convenor,
)
from models.votes.reading import where
from models.votes.tables import Vote, VoteMatter, VoteStatus

# the questions' steps (`Ask.step`): one per kind of typed answer; a matter's names its item
TITLE, OPENS, CLOSES, REASON = "title", "opens", "closes", "reason"
MATTER_STEPS = {f"matter{item}": item for item in range(1, 10)}
STEPS = (TITLE, OPENS, CLOSES, REASON, *MATTER_STEPS)
_DAY = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*")


def parse_day(text: str) -> dt.date:
    """A typed day: 2026-12-20 (also 2026/12/20 or 2026年12月20日)."""
    found = _DAY.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise Invalid(N_("Send the day as YYYY-MM-DD, for example 2026-12-20, or press one "
                         "of the buttons.")) from None


# --- convenors -------------------------------------------------------------------------------


async def convenor_estates(session: AsyncSession, person: Person) -> list[Estate]:
    """The estates whose votes the person may run: where they hold a seat, and those of the
    communities where they are staff."""
    found = {e.id: e for e in await session.scalars(
        select(Estate).join(CommitteeSeat, CommitteeSeat.estate_id == Estate.id)
        .where(CommitteeSeat.person_id == person.id))}
    for place in await places_with_role(session, person_id=person.id, roles=CONVENORS):
        found |= {e.id: e for e in await estates_in(session, place)}
    return sorted(found.values(), key=lambda e: e.id)


async def estate_choices(session: AsyncSession, *, estate_id: int,
                         person: Person) -> tuple[Estate, list[Place]]:
    """An estate the person may run votes of, and its buildings."""
    estate = next((e for e in await convenor_estates(session, person) if e.id == estate_id),
                  None)
    if estate is None:
        raise Conflict(N_("Only the estate's owners' committee, its preparatory group and "
                          "community staff can run owners' votes."))
    return estate, await buildings_of(session, estate.id)


async def _ask(session: AsyncSession, person: Person, vote_id: int, step: str) -> None:
    await asks.ask(session, person_id=person.id, feature=FEATURE, step=step, object_id=vote_id)
    await session.commit()


async def _done(session: AsyncSession, person: Person, vote_id: int) -> None:
    await asks.clear(session, person.id, feature=FEATURE, object_id=vote_id)
    await session.commit()


async def forget(session: AsyncSession, *, vote_id: int, person: Person) -> None:
    """Drop what the person was asked to type about this vote (they went back)."""
    await _done(session, person, vote_id)


async def start_vote(session: AsyncSession, *, estate_id: int, building_id: int | None,
                     author: Person) -> Vote:
    """A new draft over the estate (or a building of it), asking for its title."""
    vote = await lifecycle.create(session, estate_id=estate_id, building_id=building_id,
                                  author=author)
    await _ask(session, author, vote.id, TITLE)
    return vote


async def draft(session: AsyncSession, *, vote_id: int, author: Person) -> Vote:
    """A draft the author may write (else NotAllowed, or Conflict once announced)."""
    vote = await get_vote(session, vote_id)
    await require_convenor(session, author, vote)
    if vote.status != VoteStatus.DRAFT:
        raise Conflict(lifecycle.NOT_DRAFT)
    return vote


async def missing_areas(session: AsyncSession, *, vote_id: int,
                        author: Person) -> tuple[int, list[str]]:
    """How many households of the draft's scope lack a floor area, and the first of them."""
    vote = await draft(session, vote_id=vote_id, author=author)
    return await roll.missing_areas(session, vote, language=author.language)


async def ask_matter(session: AsyncSession, *, vote_id: int, item: int,
                     author: Person) -> Vote:
    """The item is chosen: ask for the matter's title."""
    if item not in range(1, 10):
        raise Invalid(N_("Choose the item of art. 278 the matter falls under (1 to 9)."))
    vote = await draft(session, vote_id=vote_id, author=author)
    await _ask(session, author, vote.id, f"matter{item}")
    return vote


async def ask_opening_day(session: AsyncSession, *, vote_id: int, author: Person) -> Vote:
    vote = await draft(session, vote_id=vote_id, author=author)
    if not await matters_of(session, vote.id):
        raise Invalid(N_("Add at least one matter first."))
    await _ask(session, author, vote.id, OPENS)
    return vote


async def answer(session: AsyncSession, *, vote_id: int, step: str, text: str,
                 author: Person, tz: dt.tzinfo,
                 max_voting: dt.timedelta = MAX_VOTING) -> Vote:
    """A typed answer to the draft's question: its title, a matter's title, or a day."""
    vote = await draft(session, vote_id=vote_id, author=author)
    if step == TITLE:
        vote = await lifecycle.set_title(session, vote_id=vote.id, title=text, author=author)
    elif step in MATTER_STEPS:
        await lifecycle.add_matter(session, vote_id=vote.id, title=text,
                                   item=MATTER_STEPS[step], author=author)
    elif step == OPENS:
        return await choose_opening(session, vote_id=vote.id, day=parse_day(text),
                                    author=author, tz=tz, max_voting=max_voting)
    elif step == CLOSES:
        return await choose_closing(session, vote_id=vote.id, day=parse_day(text),
                                    author=author, tz=tz, max_voting=max_voting)
    await _done(session, author, vote.id)
    return vote


async def choose_opening(session: AsyncSession, *, vote_id: int, day: dt.date, author: Person,
                         tz: dt.tzinfo, max_voting: dt.timedelta = MAX_VOTING) -> Vote:
    """The opening day (refused before the 15 days' notice); the closing day is asked next
    (kept if it still fits after the new opening)."""
    vote = await draft(session, vote_id=vote_id, author=author)
    closes = local_day(vote.closes_at, tz) if vote.closes_at else day
    vote = await lifecycle.set_dates(session, vote_id=vote.id, opens_on=day,
                                     closes_on=closes if closes >= day else day, author=author,
                                     tz=tz, max_voting=max_voting)
    await _ask(session, author, vote.id, CLOSES)
    return vote


async def choose_closing(session: AsyncSession, *, vote_id: int, day: dt.date, author: Person,
                         tz: dt.tzinfo, max_voting: dt.timedelta = MAX_VOTING) -> Vote:
    vote = await draft(session, vote_id=vote_id, author=author)
    if vote.opens_at is None:
        raise Invalid(N_("Choose the opening day first."))
    vote = await lifecycle.set_dates(session, vote_id=vote.id, opens_on=local_day(
        vote.opens_at, tz), closes_on=day, author=author, tz=tz, max_voting=max_voting)
    await _done(session, author, vote.id)
    return vote


async def ask_reason(session: AsyncSession, *, vote_id: int, author: Person) -> Vote:
    """Ask why the vote is cancelled (the owners read it)."""
    vote = await get_vote(session, vote_id)
    await require_convenor(session, author, vote)
    if vote.status in (VoteStatus.CONFIRMED, VoteStatus.PUBLISHED, VoteStatus.CANCELLED):
        raise Conflict(N_("This vote can no longer be cancelled."))
    await _ask(session, author, vote.id, REASON)
    return vote


async def answer_reason(session: AsyncSession, *, vote_id: int, text: str,
                        author: Person) -> Vote:
    vote = await lifecycle.cancel(session, vote_id=vote_id, author=author, reason=text)
    await asks.clear_object(session, feature=FEATURE, object_id=vote.id)
    await session.commit()
    return vote


@dataclass(frozen=True)
class ConvenorView:
    vote: Vote
    matters: list[VoteMatter]
    where: str
    confirmed_by: list[int]  # the scrutineers' person ids, in order


async def convenor_view(session: AsyncSession, *, vote_id: int, person: Person,
                        language: str) -> ConvenorView:
    vote = await get_vote(session, vote_id)
    await require_convenor(session, person, vote)
    done = await closing.confirmations(session, vote.id)
    return ConvenorView(vote, await matters_of(session, vote.id),
                        await where(session, vote, language), [s.person_id for s in done])
