"""Following a poll, from the shared participation parts: how many have answered (people or
households, each once) per building within the follower's scope, who has not, reminders to
them (by a button, at most once a day each, and automatically on the last day), the lists as
files; who answered what (named polls, once closed); and a resident's own open polls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, participation
from models.base import utcnow
from models.errors import N_, Conflict
from models.people import Membership, MembershipStatus, Person
from models.places import Place, label_of
from models.polls.answering import homes_under
from models.polls.core import (
    REMINDER,
    answered,
    duty_of,
    follower_paths,
    get_poll,
    place_of,
    voter_key,
)
from models.polls.tables import Poll, PollAnswer, PollChoice, PollStatus, PollVoter
from models.schedule import DueItem


@dataclass(frozen=True)
class Progress:
    poll: Poll
    totals: participation.Headcount
    buildings: list[participation.BuildingProgress]
    missing: Sequence[Any]  # who has not answered (the first of them): not_acted rows


async def progress(session: AsyncSession, *, poll_id: int, viewer: Person,
                   language: str = "zh_CN", shown: int = 30) -> Progress:
    """Who has answered, overall and per building, and the first `shown` of those who have not,
    within the viewer's part of the poll's place."""
    poll = await get_poll(session, poll_id)
    duty = duty_of(poll, await follower_paths(session, viewer, poll))
    done = answered(poll)
    return Progress(poll, await participation.headcount(session, duty, done),
                    await participation.by_building(session, duty, done, language=language),
                    await participation.not_acted(session, duty, done, limit=shown,
                                                  language=language))


async def not_answered(session: AsyncSession, *, poll_id: int, viewer: Person,
                       language: str = "zh_CN") -> tuple[Poll, list[tuple[str, str, str, str]]]:
    """Who has not answered, within the viewer's scope, as rows for bot/exports.py."""
    poll = await get_poll(session, poll_id)
    duty = duty_of(poll, await follower_paths(session, viewer, poll))
    return poll, await participation.not_acted_table(session, duty, answered(poll),
                                                     language=language)


async def remind(session: AsyncSession, *, poll_id: int, by: Person | None,
                 now: dt.datetime | None = None) -> int:
    """Remind those who have not answered (in `by`'s scope; None: the automatic reminder,
    everyone), each at most once a day; how many were reminded."""
    now = now or utcnow()
    poll = await get_poll(session, poll_id)
    paths = ([(await place_of(session, poll)).path] if by is None
             else await follower_paths(session, by, poll))
    if not poll.is_open(now):
        raise Conflict(N_("This poll is not open."))
    sent = await participation.remind(
        session, duty_of(poll, paths), answered(poll), subject="poll", subject_id=poll.id,
        kind=REMINDER, payload={"poll_id": poll.id}, by_id=by.id if by else None, now=now,
        topic=poll.topic)
    if by is not None:
        audit.record(session, actor_id=by.id, action="poll.remind", subject="poll",
                     subject_id=poll.id, count=sent)
    await session.commit()
    return sent


async def remind_due(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect on the last day: the automatic reminder (in the item's transaction)."""
    poll = await session.get(Poll, item.ref_id or 0)
    if poll is None or not poll.is_open(now) or poll.closes_at is None or \
            item.payload.get("closes_at") != poll.closes_at.isoformat():
        return
    await participation.remind(
        session, duty_of(poll, [(await place_of(session, poll)).path]), answered(poll),
        subject="poll", subject_id=poll.id, kind=REMINDER, payload={"poll_id": poll.id},
        by_id=None, now=now, topic=poll.topic)


async def answers_table(session: AsyncSession, *, poll_id: int, viewer: Person,
                        language: str = "zh_CN"
                        ) -> tuple[Poll, list[tuple[str, str, dt.datetime, tuple[int, ...]]]]:
    """Who answered what — a named poll's answers, once it has closed, for its followers: (home,
    who answered, when, the options)."""
    poll = await get_poll(session, poll_id)
    await follower_paths(session, viewer, poll)
    if poll.status not in (PollStatus.CLOSED, PollStatus.PUBLISHED):
        raise Conflict(N_("Who answered what is shown once the poll has closed."))
    if poll.anonymous:
        raise Conflict(N_("This poll is anonymous: nothing joins an answer to whoever gave "
                          "it. Its result is the count."))
    chosen: dict[int, list[int]] = {}
    for answer_id, option in await session.execute(
            select(PollChoice.answer_id, PollChoice.option).where(PollChoice.poll_id == poll.id)
            .order_by(PollChoice.option)):
        chosen.setdefault(answer_id, []).append(int(option))
    rows = []
    for answer, name, home in await session.execute(
            select(PollAnswer, Person.name, Place).outerjoin(
                Person, Person.id == PollAnswer.person_id)
            .join(Place, Place.id == PollAnswer.household_id)
            .where(PollAnswer.poll_id == poll.id).order_by(Place.path, PollAnswer.id)):
        rows.append((await label_of(session, home, language=language), name or "—",
                     answer.answered_at, tuple(chosen.get(answer.id, ()))))
    return poll, rows


async def polls_for(session: AsyncSession, person: Person, *, now: dt.datetime | None = None,
                    statuses: tuple[PollStatus, ...] = (PollStatus.OPEN, PollStatus.PUBLISHED)
                    ) -> list[Poll]:
    """The polls of the person's homes (open ones first, then published results), newest
    first within each."""
    now = now or utcnow()
    home = select(Place.path).join(Membership, Membership.household_id == Place.id).where(
        Membership.person_id == person.id, Membership.status == MembershipStatus.APPROVED)
    paths = list(await session.scalars(home))
    if not paths:
        return []
    found = await session.execute(
        select(Poll, Place.path).join(Place, Place.id == Poll.place_id)
        .where(Poll.status.in_(statuses)).order_by(Poll.id.desc()).limit(200))
    mine = [poll for poll, path in found if any(p.startswith(path) for p in paths)]
    open_ = [p for p in mine if p.is_open(now)]
    return open_ + [p for p in mine if p.status == PollStatus.PUBLISHED][:10]


async def to_answer(session: AsyncSession, person: Person) -> list[Poll]:
    """The open polls of the person's homes that still wait for their vote (a household poll:
    for one of their homes there)."""
    waiting = []
    for poll in await polls_for(session, person, statuses=(PollStatus.OPEN,)):
        voters = {voter_key(poll.unit, person.id, home)
                  for home, _label in await homes_under(session, poll, person.id)}
        marks = PollVoter if poll.anonymous else PollAnswer
        given = set(await session.scalars(select(marks.voter).where(
            marks.poll_id == poll.id, marks.voter.in_(voters))))
        if voters - given:
            waiting.append(poll)
    return waiting
