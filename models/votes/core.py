"""What every verb of owners' votes starts with: the words, loading a vote, who may convene
it, who must vote (a participation `Duty` over the frozen roll), and the dates the law sets.

Who convenes: members of the estate's owners' committee (业主委员会) or preparatory group
(筹备组) — a `CommitteeSeat` on the estate — and community staff over the estate's community.
Every verb re-checks this on the server, whatever the button said.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.estates import CommitteeSeat, Estate, is_convenor
from models.outbox import declare_kind, enqueue
from models.participation import Duty, Unit, reminder_due
from models.people import Person, Role
from models.permissions import roles_at
from models.places import get_place
from models.schedule import DueItem, DueStatus, declare_due_kind, schedule
from models.votes.roll import owners_for, roll_units, scope_paths, voted_households
from models.votes.tables import Vote, VoteMatter, VoteStatus

FEATURE = "votes"  # the feature's name, as its questions (models/asks.py) record it
MAX_TITLE = 200
MAX_MATTERS = 12
# 物业管理条例 art. 14: an owners' meeting is announced at least 15 days before; the days are
# counted from the day after the announcement (Civil Code art. 201), so voting may open on
# the 16th day after it, at the earliest
NOTICE_DAYS = 15
MAX_VOTING = dt.timedelta(days=90)  # the longest a vote may run in all: LINLI_VOTE_MAX_DAYS


class RemindSchedule(enum.StrEnum):
    """The automatic reminders a convenor picks from when writing a vote, as days before
    closing (each owner who has not voted gets each one, at most one a day): the usual 3 days
    and 1 day; a week ahead too, for a long vote or an estate whose owners often live
    elsewhere; only the last day; none (the convenors remind by button)."""

    USUAL = "3-1"
    WEEK = "7-3-1"
    LAST_DAY = "1"
    NONE = "none"

    @property
    def days(self) -> tuple[int, ...]:
        return () if self is RemindSchedule.NONE else tuple(map(int, self.value.split("-")))


DEFAULT_REMIND_DAYS = RemindSchedule.USUAL.days  # a new draft's, until the convenor picks
ITEMS = tuple(range(1, 10))  # art. 278 items (1)–(9)

# outbox kinds: to owners, to convenors
ANNOUNCED, OPENED, REMINDER, RESULT, CANCELLED, CO_OWNER_VOTED, TO_CONFIRM, EXTENDED, BLOCKED = (
    "vote.announced", "vote.opened", "vote.reminder", "vote.result", "vote.cancelled",
    "vote.co_owner_voted", "vote.to_confirm", "vote.extended", "vote.blocked")
declare_kind(ANNOUNCED, OPENED, REMINDER, RESULT, CANCELLED, CO_OWNER_VOTED, TO_CONFIRM,
             EXTENDED, BLOCKED)
# due items: voting opens, closes, an automatic reminder
OPEN_DUE, CLOSE_DUE, REMIND_DUE = "vote.open", "vote.close", "vote.auto_remind"
declare_due_kind(OPEN_DUE, CLOSE_DUE, REMIND_DUE)

# The art. 278 items, as the ballot names them.
ITEM_NAMES = {
    1: N_("rules of procedure of the owners' assembly"),
    2: N_("the management statute"),
    3: N_("electing or replacing the owners' committee or its members"),
    4: N_("hiring or dismissing the property service company"),
    5: N_("using the building's maintenance fund"),
    6: N_("raising or renewing the maintenance fund"),
    7: N_("rebuilding or altering buildings and their facilities"),
    8: N_("changing the use of common parts or running a business with them"),
    9: N_("another major matter of common ownership and management"),
}
NOT_CONVENOR = N_("Only the estate's owners' committee, its preparatory group and community "
                  "staff can run owners' votes.")


async def get_vote(session: AsyncSession, vote_id: int) -> Vote:
    vote = await session.get(Vote, vote_id)
    if vote is None:
        raise NotFound(N_("That vote no longer exists."))
    return vote


async def estate_of_vote(session: AsyncSession, vote: Vote) -> Estate:
    estate = await session.get(Estate, vote.estate_id)
    if estate is None:
        raise NotFound(N_("That vote no longer exists."))
    return estate


async def require_convenor(session: AsyncSession, person: Person, vote: Vote) -> Estate:
    """The vote's estate, if `person` may convene it; else NotAllowed."""
    estate = await estate_of_vote(session, vote)
    if not await is_convenor(session, person_id=person.id, estate=estate):
        raise NotAllowed(NOT_CONVENOR)
    return estate


async def require_result_viewer(session: AsyncSession, viewer: Person, vote: Vote) -> None:
    """Who may read a vote's count (and a secret vote's receipts): the owners on its roll once
    it is published, its convenors once it is counted."""
    if vote.status == VoteStatus.PUBLISHED and await owners_for(session, vote, viewer.id):
        return
    await require_convenor(session, viewer, vote)
    if vote.status not in (VoteStatus.COUNTED, VoteStatus.CONFIRMED, VoteStatus.PUBLISHED):
        raise Conflict(N_("The result is shown once voting has closed and been counted."))


async def is_staff_over(session: AsyncSession, person: Person, estate: Estate) -> bool:
    """Staff whose grant covers the estate's community (not only a committee seat)."""
    community = await get_place(session, estate.community_id)
    return Role.STAFF in await roles_at(session, person_id=person.id, place=community)


async def matters_of(session: AsyncSession, vote_id: int) -> list[VoteMatter]:
    return list(await session.scalars(select(VoteMatter).where(VoteMatter.vote_id == vote_id)
                                      .order_by(VoteMatter.number)))


def duty_of(vote: Vote, paths: Sequence[str]) -> Duty:
    """Who must vote under `paths`: the approved owners of the roll's households, counted by
    roll owner (before the roll is frozen: the owners of the households under the paths)."""
    if vote.status in (VoteStatus.DRAFT, VoteStatus.ANNOUNCED):
        return Duty(paths=tuple(paths), unit=Unit.OWNER)
    return Duty(paths=tuple(paths), unit=Unit.OWNER, units=roll_units(vote.id))


def acted(vote: Vote):  # type: ignore[no-untyped-def]
    """Who has voted, for the participation parts."""
    return voted_households(vote)


def earliest_opening(announced_on: dt.date) -> dt.date:
    """The first day voting may open when the vote is announced on `announced_on`."""
    return announced_on + dt.timedelta(days=NOTICE_DAYS + 1)


def local_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return moment.astimezone(tz).date()


def start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)


def check_item(item: int) -> int:
    if item not in ITEMS:
        raise Invalid(N_("Choose the item of art. 278 the matter falls under (1 to 9)."))
    return item


async def vote_paths(session: AsyncSession, vote: Vote) -> list[str]:
    return await scope_paths(session, vote)


# --- who hears about the running of a vote, its due items ------------------------------


async def convenors(session: AsyncSession, vote: Vote) -> list[Person]:
    """Who hears about the vote's running: its committee members and whoever created it."""
    people = list(await session.scalars(
        select(Person).join(CommitteeSeat, CommitteeSeat.person_id == Person.id)
        .where(CommitteeSeat.estate_id == vote.estate_id).order_by(Person.id)))
    if vote.created_by_id is not None and all(p.id != vote.created_by_id for p in people):
        creator = await session.get(Person, vote.created_by_id)
        if creator is not None:
            people.append(creator)
    return [p for p in people if p.consent_at is not None and p.unreachable_at is None]


async def tell_convenors(session: AsyncSession, vote: Vote, kind: str, **payload: object
                          ) -> None:
    for person in await convenors(session, vote):
        enqueue(session, chat_id=person.telegram_id, person_id=person.id, kind=kind,
                payload={"vote_id": vote.id, **payload}, topic=vote.topic)


def schedule_closing(session: AsyncSession, vote: Vote, now: dt.datetime) -> None:
    assert vote.closes_at is not None
    payload = {"closes_at": vote.closes_at.isoformat()}
    schedule(session, kind=CLOSE_DUE, due_at=vote.closes_at, ref_id=vote.id, payload=payload)
    for days in vote.remind_days:
        due = reminder_due(vote.closes_at, dt.timedelta(days=days))
        if due > now:
            schedule(session, kind=REMIND_DUE, due_at=due, ref_id=vote.id, payload=payload)



async def cancel_due(session: AsyncSession, vote_id: int, kinds: tuple[str, ...]) -> None:
    await session.execute(update(DueItem).where(
        DueItem.kind.in_(kinds), DueItem.ref_id == vote_id,
        DueItem.status == DueStatus.PENDING).values(status=DueStatus.CANCELLED))
