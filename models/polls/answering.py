"""Answering a poll (a resident): where one stands on it, and the answer itself — named,
changed in place until the poll closes; or anonymous, final once given, the voter's mark and
the answer written apart under a random key as secret ballots are (models/votes/secret.py).

Who may answer: an approved member of a household under the poll's place, now. With one vote
per household, any member answers for it (one with homes in two households there picks which
first); with one vote per person, each member answers once, wherever their homes are. The
unique keys (poll, voter) make "one vote" hold against any number of presses, in any process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, StaleButton
from models.participation import Unit
from models.people import Membership, MembershipStatus, Person
from models.places import Place, get_place, label_of, subtree_filter
from models.polls.core import NOT_RESIDENT, get_poll, voter_key, where
from models.polls.tables import (
    Poll,
    PollAnswer,
    PollChoice,
    PollSecretAnswer,
    PollSecretChoice,
    PollStatus,
    PollVoter,
)
from models.votes.secret import new_receipt

ANONYMOUS_FINAL = N_("Your anonymous answer has been given already; an anonymous answer "
                     "cannot be changed.")


@dataclass(frozen=True)
class Standing:
    """Where one person stands on a poll: their homes under it (id, label), the household
    their vote counts for (None: they have several and must pick, for a household vote), and
    their vote so far — its options (a named answer), or only that it was given."""

    poll: Poll
    where: str
    homes: tuple[tuple[int, str], ...]
    household_id: int | None
    chosen: tuple[int, ...] = ()
    answered_at: dt.datetime | None = None
    answered_by: str | None = None  # who of the household answered (a household vote)
    given: bool = False  # an answer was given (for an anonymous poll, all there is to know)


async def homes_under(session: AsyncSession, poll: Poll, person_id: int,
                      language: str = "zh_CN") -> list[tuple[int, str]]:
    """The person's approved households under the poll's place, as (id, label)."""
    if poll.place_id is None:
        return []
    place = await get_place(session, poll.place_id)
    homes = await session.scalars(
        select(Place).join(Membership, Membership.household_id == Place.id)
        .where(Membership.person_id == person_id,
               Membership.status == MembershipStatus.APPROVED, subtree_filter(place.path))
        .order_by(Place.path))
    return [(h.id, await label_of(session, h, language=language)) for h in homes]


async def stand(session: AsyncSession, *, poll_id: int, person: Person, household_id: int = 0,
                language: str = "zh_CN") -> Standing:
    """The poll as this person meets it (NotAllowed if they are no resident of its place; a
    household not theirs there is a stale button)."""
    poll = await get_poll(session, poll_id)
    if poll.status == PollStatus.DRAFT:
        raise StaleButton()
    place = await where(session, poll, language)
    homes = tuple(await homes_under(session, poll, person.id, language))
    if not homes:
        raise NotAllowed(NOT_RESIDENT, place=place)
    ids = [h for h, _label in homes]
    if household_id and household_id not in ids:
        raise StaleButton()
    per_household = Unit(poll.unit) == Unit.HOUSEHOLD
    home = household_id or (ids[0] if len(ids) == 1 or not per_household else None)
    if home is None:
        return Standing(poll, place, homes, None)
    voter = voter_key(poll.unit, person.id, home)
    if poll.anonymous:
        given = await session.get(PollVoter, (poll.id, voter)) is not None
        return Standing(poll, place, homes, home, given=given)
    answer = await session.scalar(select(PollAnswer).where(PollAnswer.poll_id == poll.id,
                                                           PollAnswer.voter == voter))
    if answer is None:
        return Standing(poll, place, homes, home)
    chosen = tuple(await session.scalars(select(PollChoice.option).where(
        PollChoice.answer_id == answer.id).order_by(PollChoice.option)))
    by = await session.get(Person, answer.person_id) if answer.person_id else None
    return Standing(poll, place, homes, home, chosen, answer.answered_at,
                    by.name if by is not None and per_household else None, True)


async def choosing(session: AsyncSession, *, poll_id: int, person: Person, household_id: int,
                   language: str = "zh_CN", now: dt.datetime | None = None) -> Standing:
    """Where the person stands while ticking options: the poll open, and an anonymous answer
    not given yet (it is final). (`household_id` None: they must pick their home first.)"""
    standing = await stand(session, poll_id=poll_id, person=person, household_id=household_id,
                           language=language)
    require_open(standing.poll, now)
    if standing.poll.anonymous and standing.given:
        raise Conflict(ANONYMOUS_FINAL)
    return standing


def checked(poll: Poll, options: Sequence[int]) -> tuple[int, ...]:
    """The chosen options, sorted, if the poll takes them (Invalid saying why not)."""
    chosen = tuple(sorted(set(options)))
    if len(chosen) != len(options) or any(not 1 <= o <= len(poll.options) for o in chosen):
        raise StaleButton()
    if not chosen:
        raise Invalid(N_("Choose an option first."))
    if len(chosen) > 1 and not poll.multiple:
        raise Invalid(N_("This poll takes one option: choose only one."))
    return chosen


def require_open(poll: Poll, now: dt.datetime | None = None) -> None:
    """Refuse, saying when it closed, unless the poll takes answers now."""
    now = now or utcnow()
    if not poll.is_open(now):
        ended = poll.closed_at or poll.closes_at
        raise Conflict(N_("This poll closed on {date}; it takes no more answers."),
                       date=ended or now)


@dataclass(frozen=True)
class Answered:
    poll: Poll
    chosen: tuple[int, ...]
    changed: bool  # a named answer given before, now changed


async def cast(session: AsyncSession, *, poll_id: int, person: Person, household_id: int,
               options: Sequence[int], now: dt.datetime | None = None) -> Answered:
    """Answer the poll for the person (or their household), in one transaction: a named answer
    (changed in place when given before), or an anonymous one — the mark, then the answer
    under a random key — which is final."""
    now = now or utcnow()
    standing = await stand(session, poll_id=poll_id, person=person, household_id=household_id)
    poll = standing.poll
    require_open(poll, now)
    if standing.household_id is None:
        raise StaleButton()  # (a household vote from someone with several: picked first)
    chosen = checked(poll, options)
    voter = voter_key(poll.unit, person.id, standing.household_id)
    person_id, home = person.id, standing.household_id
    try:
        if poll.anonymous:
            if standing.given:
                raise Conflict(ANONYMOUS_FINAL)
            await _anonymous(session, poll, voter, person_id, home, chosen)
        else:
            await _named(session, poll, voter, person_id, home, chosen, now)
    except IntegrityError:  # another member's answer (or this person's other press) came first
        await session.rollback()
        raise Conflict(N_("An answer for this has just been given. Open the poll again to "
                          "see it.")) from None
    # an anonymous answer's row says only that the voter answered, never what
    audit.record(session, actor_id=person_id, action="poll.answer", subject="poll",
                 subject_id=poll_id, voter=voter, changed=standing.given,
                 options=None if poll.anonymous else ";".join(map(str, chosen)))
    await session.commit()
    return Answered(poll, chosen, standing.given)


async def _named(session: AsyncSession, poll: Poll, voter: str, person_id: int, home: int,
                 chosen: tuple[int, ...], now: dt.datetime) -> None:
    answer = await session.scalar(select(PollAnswer).where(PollAnswer.poll_id == poll.id,
                                                           PollAnswer.voter == voter))
    if answer is None:
        answer = PollAnswer(poll_id=poll.id, voter=voter, person_id=person_id,
                            household_id=home, answered_at=now, version=1)
        session.add(answer)
    else:
        answer.person_id, answer.household_id, answer.answered_at = person_id, home, now
        answer.version += 1
        await session.execute(delete(PollChoice).where(PollChoice.answer_id == answer.id))
    await session.flush()
    await session.execute(insert(PollChoice), [
        {"answer_id": answer.id, "poll_id": poll.id, "option": o} for o in chosen])


async def _anonymous(session: AsyncSession, poll: Poll, voter: str, person_id: int, home: int,
                     chosen: tuple[int, ...]) -> None:
    """The mark first: of two members racing, the second stops at its key, writing nothing."""
    per_person = Unit(poll.unit) == Unit.PERSON
    session.add(PollVoter(poll_id=poll.id, voter=voter,
                          person_id=person_id if per_person else None, household_id=home))
    await session.flush()
    key = new_receipt()
    while await session.get(PollSecretAnswer, (poll.id, key)) is not None:
        key = new_receipt()  # (never, in practice)
    session.add(PollSecretAnswer(poll_id=poll.id, key=key))
    await session.flush()
    await session.execute(insert(PollSecretChoice), [
        {"poll_id": poll.id, "option": o, "key": key} for o in chosen])
