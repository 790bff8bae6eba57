"""What the chat screens of owners' votes ask and read: the questions a convenor is asked to
type (a title, a matter's title, a date, a reason for cancelling: models/asks.py, so their
next message goes there on any worker), and the views an owner or a convenor is shown (the
votes of my homes, whom I may vote for, my ballot, a vote's result). Each verb re-checks the
person's right on the server and then calls the vote's own verbs (lifecycle, ballots).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks
from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.estates import (
    CommitteeSeat,
    Estate,
    buildings_of,
    estate_label,
    estate_of,
    estates_in,
    is_convenor,
)
from models.people import Membership, MembershipStatus, Person, Relation, Role
from models.permissions import places_with_role
from models.places import Place, PlaceKind, ancestor_ids, ancestors, get_place, name_in
from models.votes import ballots, closing, lifecycle, roll, tally
from models.votes.core import FEATURE, get_vote, local_day, matters_of, require_convenor
from models.votes.export import tally_inputs
from models.votes.roll import households_of, owners_for
from models.votes.tables import RollOwner, Vote, VoteMatter, VoteStatus

# the questions' steps (`Ask.step`): one per kind of typed answer; a matter's names its item
TITLE, OPENS, CLOSES, REASON = "title", "opens", "closes", "reason"
MATTER_STEPS = {f"matter{item}": item for item in range(1, 10)}
STEPS = (TITLE, OPENS, CLOSES, REASON, *MATTER_STEPS)
SHOWN = (VoteStatus.ANNOUNCED, VoteStatus.OPEN, VoteStatus.CLOSED, VoteStatus.COUNTED,
         VoteStatus.CONFIRMED, VoteStatus.PUBLISHED)
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
    for place in await places_with_role(session, person_id=person.id, roles=(Role.STAFF,)):
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
                 author: Person, tz: dt.tzinfo) -> Vote:
    """A typed answer to the draft's question: its title, a matter's title, or a day."""
    vote = await draft(session, vote_id=vote_id, author=author)
    if step == TITLE:
        vote = await lifecycle.set_title(session, vote_id=vote.id, title=text, author=author)
    elif step in MATTER_STEPS:
        await lifecycle.add_matter(session, vote_id=vote.id, title=text,
                                   item=MATTER_STEPS[step], author=author)
    elif step == OPENS:
        return await choose_opening(session, vote_id=vote.id, day=parse_day(text),
                                    author=author, tz=tz)
    elif step == CLOSES:
        return await choose_closing(session, vote_id=vote.id, day=parse_day(text),
                                    author=author, tz=tz)
    await _done(session, author, vote.id)
    return vote


async def choose_opening(session: AsyncSession, *, vote_id: int, day: dt.date, author: Person,
                         tz: dt.tzinfo) -> Vote:
    """The opening day (refused before the 15 days' notice); the closing day is asked next
    (kept if it still fits after the new opening)."""
    vote = await draft(session, vote_id=vote_id, author=author)
    closes = local_day(vote.closes_at, tz) if vote.closes_at else day
    vote = await lifecycle.set_dates(session, vote_id=vote.id, opens_on=day,
                                     closes_on=closes if closes >= day else day, author=author,
                                     tz=tz)
    await _ask(session, author, vote.id, CLOSES)
    return vote


async def choose_closing(session: AsyncSession, *, vote_id: int, day: dt.date, author: Person,
                         tz: dt.tzinfo) -> Vote:
    vote = await draft(session, vote_id=vote_id, author=author)
    if vote.opens_at is None:
        raise Invalid(N_("Choose the opening day first."))
    vote = await lifecycle.set_dates(session, vote_id=vote.id, opens_on=local_day(
        vote.opens_at, tz), closes_on=day, author=author, tz=tz)
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


async def where(session: AsyncSession, vote: Vote, language: str) -> str:
    """The estate's name, and the building's where the vote is one building's."""
    estate = await session.get(Estate, vote.estate_id)
    name = estate_label(estate, language) if estate is not None else ""
    if vote.building_id is None:
        return name
    building = await get_place(session, vote.building_id)
    return f"{name} {name_in(building.name, building.name_en, language)}".strip()


# --- owners ----------------------------------------------------------------------------------


async def votes_of_my_homes(session: AsyncSession, person: Person) -> list[Vote]:
    """The announced or running votes (and the latest results) of the estates where the
    person is an approved owner of a home, newest first."""
    homes = list(await session.scalars(
        select(Place).join(Membership, Membership.household_id == Place.id)
        .where(Membership.person_id == person.id, Membership.status ==
               MembershipStatus.APPROVED, Membership.relation == Relation.OWNER)))
    found: dict[int, Vote] = {}
    for home in homes:
        estate = await estate_of(session, home)
        if estate is None:
            continue
        for vote in await session.scalars(select(Vote).where(
                Vote.estate_id == estate.id, Vote.status.in_(SHOWN))):
            if vote.building_id is None or vote.building_id in ancestor_ids(home.path):
                found[vote.id] = vote
    return sorted(found.values(), key=lambda v: -v.id)


@dataclass(frozen=True)
class VoteView:
    vote: Vote
    matters: list[VoteMatter]
    where: str


async def owner_vote(session: AsyncSession, *, vote_id: int, person: Person,
                     language: str) -> VoteView:
    """A vote as its owners are told about it: for the owners of its homes and its
    convenors (a draft is nobody's business yet)."""
    vote = await get_vote(session, vote_id)
    if vote.status == VoteStatus.DRAFT:
        raise NotFound(N_("That vote no longer exists."))
    estate = await session.get(Estate, vote.estate_id)
    if all(v.id != vote.id for v in await votes_of_my_homes(session, person)) and (
            estate is None or not await is_convenor(session, person_id=person.id,
                                                    estate=estate)):
        if vote.status != VoteStatus.OPEN or not await ballots.voter_owners(
                session, vote_id=vote.id, person=person):  # (raises why not)
            raise NotAllowed(ballots.NOT_ON_ROLL)
    return VoteView(vote, await matters_of(session, vote.id),
                    await where(session, vote, language))


@dataclass(frozen=True)
class OwnerChoice:
    """One roll owner the person may vote for: their homes (named) and area."""

    owner: RollOwner
    homes: list[str]
    voted: bool


async def home_names(session: AsyncSession, owner: RollOwner, language: str) -> list[str]:
    """The owner's homes as residents name them: "1栋 1单元 101"."""
    names = []
    for place, _area in await households_of(session, owner):
        chain = [p for p in await ancestors(session, place)
                 if p.kind in (PlaceKind.BUILDING, PlaceKind.UNIT, PlaceKind.HOUSEHOLD)]
        names.append(" ".join(name_in(p.name, p.name_en, language) for p in chain))
    return names


async def voter_choices(session: AsyncSession, *, vote_id: int, person: Person,
                        language: str) -> list[OwnerChoice]:
    """Whom the person may vote for now (refused with the reason: not open, not an owner
    on the roll, still waiting for approval)."""
    owners = await ballots.voter_owners(session, vote_id=vote_id, person=person)
    return [OwnerChoice(o, await home_names(session, o, language),
                        await ballots.ballot_of(session, vote_id, o.id) is not None)
            for o in owners]


@dataclass(frozen=True)
class BallotView:
    vote: Vote
    matters: list[VoteMatter]
    owner: RollOwner
    homes: list[str]
    cast: dict[str, str] | None  # the choices as cast, if the ballot has been
    cast_at: dt.datetime | None


async def ballot_view(session: AsyncSession, *, vote_id: int, owner_id: int, person: Person,
                      language: str) -> BallotView:
    """The ballot the person may fill in for this roll owner (re-checked: open, and an
    approved owner of one of the owner's homes)."""
    owners = await ballots.voter_owners(session, vote_id=vote_id, person=person)
    owner = next((o for o in owners if o.id == owner_id), None)
    if owner is None:
        raise Conflict(ballots.NOT_ON_ROLL)
    vote = await get_vote(session, vote_id)
    ballot = await ballots.ballot_of(session, vote.id, owner.id)
    return BallotView(vote, await matters_of(session, vote.id), owner,
                      await home_names(session, owner, language),
                      await ballots.choices_of(session, ballot.id) if ballot else None,
                      ballot.cast_at if ballot else None)


async def results(session: AsyncSession, *, vote_id: int,
                  viewer: Person) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]]:
    """The count: for the convenors once counted, for the owners on the roll once
    published."""
    vote = await get_vote(session, vote_id)
    if vote.status == VoteStatus.PUBLISHED and await owners_for(session, vote, viewer.id):
        pass
    else:
        await require_convenor(session, viewer, vote)
        if vote.status not in (VoteStatus.COUNTED, VoteStatus.CONFIRMED,
                               VoteStatus.PUBLISHED):
            raise Conflict(N_("The result is shown once voting has closed and been counted."))
    return vote, await matters_of(session, vote.id), tally.tally(*await tally_inputs(session,
                                                                                     vote))


async def published_results(session: AsyncSession, vote_id: int
                            ) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]] | None:
    """The result as the outbox sends it to every owner (None: not published)."""
    return await _counted(session, vote_id, (VoteStatus.PUBLISHED,))


async def count_to_confirm(session: AsyncSession, vote_id: int
                           ) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]] | None:
    """The count as the outbox sends it to the convenors to confirm (None: not counted, or
    extended meanwhile)."""
    return await _counted(session, vote_id, (VoteStatus.COUNTED,))


async def _counted(session: AsyncSession, vote_id: int, statuses: tuple[VoteStatus, ...]
                   ) -> tuple[Vote, list[VoteMatter], list[tally.MatterResult]] | None:
    vote = await session.get(Vote, vote_id)
    if vote is None or vote.status not in statuses:
        return None
    return vote, await matters_of(session, vote.id), tally.tally(*await tally_inputs(session,
                                                                                     vote))


async def person_name(session: AsyncSession, person_id: int) -> str:
    person = await session.get(Person, person_id)
    return person.name if person is not None else ""


async def roll_owner(session: AsyncSession, owner_id: int) -> RollOwner | None:
    return await session.get(RollOwner, owner_id)
