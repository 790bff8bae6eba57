"""A vote from its draft to voting: writing it, announcing it at least 15 days ahead, opening
(the roll frozen), and cancelling; the end of voting is models/votes/closing.py (its verbs are
importable from here too).

Opening is a due item (models/schedule.py): it fires exactly once, also after downtime. Every
verb is one transaction with its audit row and its outbox rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import end_of_day, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed
from models.estates import CommitteeSeat, Estate, estates_in, is_convenor
from models.outbox import enqueue_select
from models.participation import reachable
from models.people import Person, Role
from models.permissions import places_with_role
from models.places import PlaceKind, get_place
from models.schedule import DueItem, schedule
from models.votes import elections, secret, tally
from models.votes.closing import (  # noqa: F401  (the end of voting, importable from here)
    can_extend,
    close_due,
    confirm_count,
    confirmations,
    extend,
)
from models.votes.core import (
    ANNOUNCED,
    BLOCKED,
    CANCELLED,
    CLOSE_DUE,
    DEFAULT_REMIND_DAYS,
    MAX_MATTERS,
    MAX_TITLE,
    MAX_VOTING,
    NOT_CONVENOR,
    OPEN_DUE,
    OPENED,
    REMIND_DUE,
    cancel_due,
    check_item,
    duty_of,
    earliest_opening,
    get_vote,
    local_day,
    matters_of,
    require_convenor,
    schedule_closing,
    start_of_day,
    tell_convenors,
    vote_paths,
)
from models.votes.roll import freeze, missing_areas
from models.votes.tables import Vote, VoteMatter, VoteStatus

NOT_DRAFT = N_("This vote has been announced: its matters and dates can no longer change.")
MISSING_AREAS = N_("{count} household(s) have no floor area in the register, so the vote "
                   "cannot open: {names}. Ask the community office to add the areas (the "
                   "places file's floor_area_m2 column).")


def _title(text: str) -> str:
    text = text.strip()
    if not text:
        raise Invalid(N_("Send the title as text."))
    if len(text) > MAX_TITLE:
        raise Invalid(N_("That is too long: at most {limit} characters."), limit=MAX_TITLE)
    return text


async def _draft(session: AsyncSession, vote_id: int, author: Person) -> Vote:
    vote = await get_vote(session, vote_id)
    await require_convenor(session, author, vote)
    if vote.status != VoteStatus.DRAFT:
        raise Conflict(NOT_DRAFT)
    return vote


# --- writing the vote ----------------------------------------------------------------------


async def create(session: AsyncSession, *, estate_id: int, author: Person,
                 building_id: int | None = None, title: str = "") -> Vote:
    """A new draft over the estate, or one building of it."""
    estate = await session.get(Estate, estate_id)
    if estate is None or not await is_convenor(session, person_id=author.id, estate=estate):
        raise NotAllowed(NOT_CONVENOR)
    if building_id is not None:
        building = await get_place(session, building_id)
        if building.kind != PlaceKind.BUILDING or building.estate_id != estate.id:
            raise Invalid(N_("Choose a building of this estate."))
    vote = Vote(estate_id=estate.id, building_id=building_id, created_by_id=author.id,
                title=_title(title) if title else "", status=VoteStatus.DRAFT,
                remind_days=list(DEFAULT_REMIND_DAYS), changeable=True)
    session.add(vote)
    await session.flush()
    audit.record(session, actor_id=author.id, action="vote.create", subject="vote",
                 subject_id=vote.id, estate_id=estate.id, building_id=building_id)
    await session.commit()
    return vote


async def set_title(session: AsyncSession, *, vote_id: int, title: str, author: Person,
                    language: str = "zh_CN") -> Vote:
    vote = await _draft(session, vote_id, author)
    if language == "en":
        vote.title_en = _title(title)
    else:
        vote.title = _title(title)
    await session.commit()
    return vote


async def add_matter(session: AsyncSession, *, vote_id: int, title: str, item: int,
                     author: Person, title_en: str | None = None) -> VoteMatter:
    """A decision on an art. 278 item, numbered after the others."""
    vote = await _draft(session, vote_id, author)
    if vote.secret:
        raise Invalid(secret.NOT_ALL_ELECTIONS)
    matters = await matters_of(session, vote.id)
    if len(matters) >= MAX_MATTERS:
        raise Invalid(N_("A vote holds at most {limit} matters."), limit=MAX_MATTERS)
    if elections.ballot_width(matters) + 1 > elections.BALLOT_WIDTH:
        raise Invalid(N_("This vote's ballot has no room for another matter."))
    matter = VoteMatter(vote_id=vote.id, number=len(matters) + 1, kind=tally.MatterKind.DECISION,
                        item=check_item(item), title=_title(title),
                        title_en=_title(title_en) if title_en else None)
    session.add(matter)
    await session.commit()
    return matter


async def remove_matter(session: AsyncSession, *, vote_id: int, number: int,
                        author: Person) -> None:
    """Drop a matter of a draft; the later ones move up."""
    vote = await _draft(session, vote_id, author)
    matters = await matters_of(session, vote.id)
    gone = [m for m in matters if m.number == number]
    if not gone:
        raise Invalid(N_("That matter is no longer in the vote."))
    await session.delete(gone[0])
    await session.flush()
    for matter in matters:
        if matter.number > number:
            matter.number -= 1
            await session.flush()
    await session.commit()


async def set_dates(session: AsyncSession, *, vote_id: int, opens_on: dt.date,
                    closes_on: dt.date, author: Person, tz: dt.tzinfo,
                    now: dt.datetime | None = None,
                    max_voting: dt.timedelta = MAX_VOTING) -> Vote:
    """Voting opens at the start of `opens_on` and closes at the end of `closes_on` (the
    community's zone); the opening must leave the 15 days' notice from today, and voting
    lasts at most `max_voting` (the setting LINLI_VOTE_MAX_DAYS)."""
    now = now or utcnow()
    vote = await _draft(session, vote_id, author)
    earliest = earliest_opening(local_day(now, tz))
    if opens_on < earliest:
        raise Invalid(N_("Owners must be told at least 15 days before voting opens: the "
                         "earliest opening day is {day}."), day=earliest)
    if closes_on < opens_on:
        raise Invalid(N_("The closing day must be on or after the opening day."))
    opens_at, closes_at = start_of_day(opens_on, tz), end_of_day(closes_on, tz)
    if closes_at - opens_at > max_voting:
        raise Invalid(N_("Voting can last at most {days} days."), days=max_voting.days)
    vote.opens_at, vote.closes_at, vote.first_closes_at = opens_at, closes_at, closes_at
    await session.commit()
    return vote


async def set_changeable(session: AsyncSession, *, vote_id: int, changeable: bool,
                         author: Person) -> Vote:
    vote = await _draft(session, vote_id, author)
    if changeable and vote.secret:
        raise Invalid(N_("A secret ballot cannot be changed once cast: nothing joins it to "
                         "its voter to change it by. Make the ballot named first."))
    vote.changeable = changeable
    await session.commit()
    return vote


async def set_secret(session: AsyncSession, *, vote_id: int, secret_ballot: bool,
                     author: Person) -> Vote:
    """A secret ballot (for a vote of elections only; a cast ballot is then final), or a
    named one again."""
    vote = await _draft(session, vote_id, author)
    if secret_ballot:
        secret.require_only_elections(await matters_of(session, vote.id))
        vote.changeable = False
    vote.secret = secret_ballot
    await session.commit()
    return vote


async def set_reminders(session: AsyncSession, *, vote_id: int, days: list[int],
                        author: Person) -> Vote:
    """Automatic reminders to those who have not voted, `days` before closing."""
    vote = await _draft(session, vote_id, author)
    if any(d < 0 or d > 30 for d in days):
        raise Invalid(N_("Reminders can be sent 0 to 30 days before closing."))
    vote.remind_days = sorted(set(days), reverse=True)
    await session.commit()
    return vote


# --- announcing, opening --------------------------------------------------------------------


async def announce(session: AsyncSession, *, vote_id: int, author: Person, tz: dt.tzinfo,
                   now: dt.datetime | None = None) -> int:
    """Tell every owner of the estate (or building) that can be reached; voting opens on its
    date (a due item). Returns how many were told."""
    now = now or utcnow()
    vote = await _draft(session, vote_id, author)
    matters = await matters_of(session, vote.id)
    if not vote.title or not matters or vote.opens_at is None or vote.closes_at is None:
        raise Invalid(N_("The vote is not complete yet: it needs a title, at least one matter "
                         "and its dates."))
    elections.check_ready(matters)
    if vote.secret:
        secret.require_only_elections(matters)
    earliest = earliest_opening(local_day(now, tz))
    if local_day(vote.opens_at, tz) < earliest:
        raise Invalid(N_("Owners must be told at least 15 days before voting opens: the "
                         "earliest opening day is {day}."), day=earliest)
    count, names = await missing_areas(session, vote, language=author.language)
    if count:
        raise Invalid(MISSING_AREAS, count=count, names="、".join(names)
                      + ("…" if count > len(names) else ""))
    paths = await vote_paths(session, vote)
    vote.status, vote.announced_at = VoteStatus.ANNOUNCED, now
    people = reachable(duty_of(vote, paths)).subquery()
    told = await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                kind=ANNOUNCED, payload={"vote_id": vote.id}, topic=vote.topic,
                                now=now)
    schedule(session, kind=OPEN_DUE, due_at=vote.opens_at, ref_id=vote.id)
    audit.record(session, actor_id=author.id, action="vote.announce", subject="vote",
                 subject_id=vote.id, told=told, matters=len(matters))
    await session.commit()
    return told


async def open_due(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect at the opening time: freeze the roll and tell every owner. A household
    that lost its area meanwhile keeps the vote shut: the convenors are told, and it tries
    again in an hour."""
    vote = await session.get(Vote, item.ref_id or 0)
    if vote is None or vote.status != VoteStatus.ANNOUNCED:
        return
    count, names = await missing_areas(session, vote)
    if count:
        await tell_convenors(session, vote, BLOCKED, count=count, names="、".join(names))
        schedule(session, kind=OPEN_DUE, due_at=now + dt.timedelta(hours=1), ref_id=vote.id)
        return
    await freeze(session, vote)
    vote.status, vote.opened_at = VoteStatus.OPEN, now
    paths = await vote_paths(session, vote)
    people = reachable(duty_of(vote, paths)).subquery()
    told = await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                kind=OPENED, payload={"vote_id": vote.id}, topic=vote.topic,
                                now=now)
    schedule_closing(session, vote, now)
    audit.record(session, actor_id=None, action="vote.open", subject="vote", subject_id=vote.id,
                 owners=vote.roll_owners, area=vote.roll_area, told=told)


# --- cancelling -----------------------------------------------------------------------------


async def cancel(session: AsyncSession, *, vote_id: int, author: Person, reason: str,
                 now: dt.datetime | None = None) -> Vote:
    """The convenors call the vote off, with a reason (audited; owners told if it had been
    announced). Nothing is counted."""
    now = now or utcnow()
    vote = await get_vote(session, vote_id)
    await require_convenor(session, author, vote)
    if vote.status in (VoteStatus.CONFIRMED, VoteStatus.PUBLISHED, VoteStatus.CANCELLED):
        raise Conflict(N_("This vote can no longer be cancelled."))
    reason = reason.strip()
    if not reason:
        raise Invalid(N_("Send the reason as text: owners will read it."))
    was_announced = vote.status != VoteStatus.DRAFT
    vote.status, vote.cancel_reason = VoteStatus.CANCELLED, reason[:1000]
    await cancel_due(session, vote.id, (OPEN_DUE, CLOSE_DUE, REMIND_DUE))
    if was_announced:
        paths = await vote_paths(session, vote)
        people = reachable(duty_of(vote, paths)).subquery()
        await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                             kind=CANCELLED, payload={"vote_id": vote.id}, topic=vote.topic,
                             now=now)
    audit.record(session, actor_id=author.id, action="vote.cancel", subject="vote",
                 subject_id=vote.id, reason=reason[:200])
    await session.commit()
    return vote


async def votes_of(session: AsyncSession, person: Person) -> list[Vote]:
    """The votes this person may convene: of the estates where they hold a seat, and of the
    estates of the communities where they are staff."""
    estates = {seat.estate_id for seat in await session.scalars(
        select(CommitteeSeat).where(CommitteeSeat.person_id == person.id))}
    for place in await places_with_role(session, person_id=person.id, roles=(Role.STAFF,)):
        estates |= {e.id for e in await estates_in(session, place)}
    if not estates:
        return []
    return list(await session.scalars(select(Vote).where(Vote.estate_id.in_(estates))
                                      .order_by(Vote.id.desc())))

