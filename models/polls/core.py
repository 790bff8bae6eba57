"""What every verb of resident polls starts with: the words, loading a poll, who may run one,
who must answer (a participation `Duty`), who has, and the poll as the tally counts it.

Who runs a poll: staff and grid workers with a grant over its place (`permissions.POLLSTERS`),
within their own scope — a grid worker polls their grid or a building of it, a community's
staff the whole community. Not the owners' committee: a poll asks every resident, tenants and
family members too, and decides nothing under art. 278. Every verb re-checks this on the
server, whatever the button said.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import permissions
from models.errors import N_, Invalid, NotAllowed, NotFound
from models.outbox import declare_kind
from models.participation import Duty, Unit
from models.people import Person
from models.permissions import POLLSTERS, places_with_role, require_role
from models.places import Place, PlaceKind, get_place, label_of
from models.polls.tables import Poll, PollAnswer, PollStatus, PollVoter
from models.schedule import declare_due_kind
from models.votes import tally

FEATURE = "polls"  # the feature's name, as its questions (models/asks.py) record it
SCOPE_KINDS = (PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.GRID, PlaceKind.BUILDING,
               PlaceKind.UNIT)
MIN_OPTIONS, MAX_OPTIONS = 2, 10
UNITS = (Unit.PERSON, Unit.HOUSEHOLD)  # one person one vote, or one household one vote
TURNOUTS = (25, 50, 67)  # the minimum turnouts offered, percent (0: none)
CLOSE_IN = (3, 7, 14, 30)  # closing days offered (0: no closing date)

# outbox kinds: to the residents (asked, reminded, the published result), to the creator
ANNOUNCED, REMINDER, RESULT, CLOSED = ("poll.announced", "poll.reminder", "poll.result",
                                       "poll.closed")
declare_kind(ANNOUNCED, REMINDER, RESULT, CLOSED)
# due items: the closing, the automatic reminder the day before it
CLOSE_DUE, REMIND_DUE = "poll.close", "poll.auto_remind"
declare_due_kind(CLOSE_DUE, REMIND_DUE)

ONLY_POLLSTERS = N_("Only staff and grid workers can run resident polls, each within their "
                    "own area.")
NOT_RESIDENT = N_("This poll is for the residents of {place}: only an approved member of a "
                  "household there can answer it.")


def voter_key(unit: Unit | str, person_id: int, household_id: int) -> str:
    """Who a vote counts for: "p12" (the person) or "h34" (the household)."""
    return f"h{household_id}" if Unit(unit) == Unit.HOUSEHOLD else f"p{person_id}"


def duty_of(poll: Poll, paths: Sequence[str]) -> Duty:
    """Who must answer under `paths`: every approved member of a household there, counted
    by person or by household (any member may answer for it)."""
    return Duty(paths=tuple(paths), unit=Unit(poll.unit))


def answered(poll: Poll) -> Select[int | None, int]:
    """Who has answered, as (person_id, household_id) for the participation parts: the named
    answers, or an anonymous poll's marks."""
    if poll.anonymous:
        return select(PollVoter.person_id, PollVoter.household_id).where(
            PollVoter.poll_id == poll.id)
    return select(PollAnswer.person_id, PollAnswer.household_id).where(
        PollAnswer.poll_id == poll.id)


def matter_of(poll: Poll) -> tally.Matter:
    """The poll as the tally and the recount files count it: one matter of kind `poll`, its
    options, how many one answer may choose, its minimum turnout."""
    return tally.Matter(1, tally.MatterKind.POLL, None,
                        len(poll.options) if poll.multiple else None, tuple(poll.options),
                        poll.min_turnout)


# --- loading and authorisation ----------------------------------------------------------------


async def get_poll(session: AsyncSession, poll_id: int) -> Poll:
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.status == PollStatus.CANCELLED:
        raise NotFound(N_("This poll no longer exists."))
    return poll


async def place_of(session: AsyncSession, poll: Poll) -> Place:
    if poll.place_id is None:
        raise Invalid(N_("Choose whom the poll asks first."))
    return await get_place(session, poll.place_id)


async def where(session: AsyncSession, poll: Poll, language: str) -> str:
    """Whom the poll asks, as a reader of `language` reads it ("阳光社区 1栋")."""
    return "—" if poll.place_id is None else await label_of(
        session, await get_place(session, poll.place_id), language=language)


async def pollster(session: AsyncSession, person: Person | None) -> Person:
    """The person, if they may run polls somewhere (NotAllowed saying who may, if not)."""
    if person is None or not await places_with_role(session, person_id=person.id,
                                                    roles=POLLSTERS):
        raise NotAllowed(ONLY_POLLSTERS)
    return person


async def is_pollster(session: AsyncSession, person: Person) -> bool:
    """Whether the person may run polls somewhere (their /polls shows the way)."""
    return bool(await places_with_role(session, person_id=person.id, roles=POLLSTERS))


async def runner_places(session: AsyncSession, person: Person) -> list[Place]:
    """The places where the person may run polls (each covers its subtree)."""
    return await places_with_role(session, person_id=(await pollster(session, person)).id,
                                  roles=POLLSTERS)


async def require_runner(session: AsyncSession, person: Person, poll: Poll) -> Place:
    """The poll's place, if `person` is staff or a grid worker over all of it."""
    place = await place_of(session, poll)
    try:
        await require_role(session, person_id=person.id, place=place, roles=POLLSTERS)
    except NotAllowed:
        raise NotAllowed(ONLY_POLLSTERS) from None
    return place


async def follower_paths(session: AsyncSession, person: Person, poll: Poll) -> list[str]:
    """The parts of the poll's place this person may follow (a grid worker: their grid of a
    community's poll); NotAllowed if none."""
    try:
        return await permissions.viewer_paths(session, person, await place_of(session, poll),
                                              POLLSTERS)
    except NotAllowed:
        raise NotAllowed(ONLY_POLLSTERS) from None


async def polls_run_by(session: AsyncSession, person: Person) -> list[Poll]:
    """The polls this person may follow (over their places, or written by them), newest
    first; their drafts included."""
    mine = await places_with_role(session, person_id=person.id, roles=POLLSTERS)
    polls = await session.scalars(select(Poll).where(Poll.status != PollStatus.CANCELLED)
                                  .order_by(Poll.id.desc()).limit(200))
    out = []
    for poll in polls:
        if poll.status == PollStatus.DRAFT:
            if poll.created_by_id == person.id:
                out.append(poll)
            continue
        place = await session.get(Place, poll.place_id) if poll.place_id else None
        if place is not None and any(place.path.startswith(p.path) or p.path.startswith(
                place.path) for p in mine):
            out.append(poll)
    return out[:30]
