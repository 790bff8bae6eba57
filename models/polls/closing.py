"""The end of a poll: closing at its closing time exactly once (a due item), or earlier by its
runner's button; the roll frozen as it stands then (who had to answer, and any voter who
answered and has since moved away), an anonymous poll's answers rewritten in key order, the
count stored and sent to its creator; publishing the result to the residents when the creator
(or another runner over the whole place) chooses to. Each verb is one transaction with its
audit row and its outbox rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, cast, exists, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, NotAllowed
from models.outbox import enqueue, enqueue_select
from models.participation import Unit, counted, dialect_of, reachable
from models.people import Person
from models.places import Place
from models.polls.answering import homes_under
from models.polls.core import (
    CLOSE_DUE,
    CLOSED,
    NOT_RESIDENT,
    REMIND_DUE,
    RESULT,
    answered,
    duty_of,
    follower_paths,
    get_poll,
    place_of,
    require_runner,
    where,
)
from models.polls.export import count, tally_inputs
from models.polls.tables import (
    Poll,
    PollAnswer,
    PollRoll,
    PollSecretAnswer,
    PollSecretChoice,
    PollStatus,
    PollVoter,
)
from models.schedule import DueItem, DueStatus
from models.votes import recount, tally
from models.votes.secret import rewrite_in_key_order

NOT_YET = N_("The result is shown once the poll has closed.")


async def _freeze_roll(session: AsyncSession, poll: Poll, place: Place) -> None:
    """Who had to answer at closing, a row per voter and household, and whether they did;
    then the voters who answered and are no longer there (two INSERT … SELECT)."""
    rows = counted(duty_of(poll, [place.path]), answered(poll), dialect_of(session))
    prefix = "h" if Unit(poll.unit) == Unit.HOUSEHOLD else "p"
    voter = (literal(prefix, String) + cast(rows.c.key, String)).label("voter")
    await session.execute(insert(PollRoll).from_select(
        ["poll_id", "voter", "household_id", "voted"],
        select(literal(poll.id), voter, rows.c.household_id,
               rows.c.acted_key.is_not(None)).distinct()))
    marks = PollVoter if poll.anonymous else PollAnswer
    gone = ~exists().where(PollRoll.poll_id == poll.id, PollRoll.voter == marks.voter)
    await session.execute(insert(PollRoll).from_select(
        ["poll_id", "voter", "household_id", "voted"],
        select(literal(poll.id), marks.voter, marks.household_id, literal(True))
        .where(marks.poll_id == poll.id, gone)))


async def _close(session: AsyncSession, poll: Poll, now: dt.datetime,
                 by: Person | None) -> list[tally.MatterResult]:
    place = await place_of(session, poll)
    poll.status, poll.closed_at = PollStatus.CLOSED, now
    await _freeze_roll(session, poll, place)
    if poll.anonymous:  # nothing in their storage order is left of the order of answering
        await rewrite_in_key_order(
            session, (PollSecretAnswer, PollSecretAnswer.poll_id == poll.id),
            (PollSecretChoice, PollSecretChoice.poll_id == poll.id))
    results = await count(session, poll)
    poll.result = recount.result_json(results)
    await session.execute(update(DueItem).where(
        DueItem.kind.in_((CLOSE_DUE, REMIND_DUE)), DueItem.ref_id == poll.id,
        DueItem.status == DueStatus.PENDING).values(status=DueStatus.CANCELLED))
    creator = await session.get(Person, poll.created_by_id) if poll.created_by_id else None
    # (a creator closing it by hand sees the result there and then)
    if creator is not None and creator.consent_at is not None and (by is None
                                                                   or by.id != creator.id):
        enqueue(session, chat_id=creator.telegram_id, person_id=creator.id, kind=CLOSED,
                payload={"poll_id": poll.id}, topic=poll.topic)
    audit.record(session, actor_id=by.id if by else None, action="poll.close", subject="poll",
                 subject_id=poll.id, place_id=place.id, answers=results[0].owners_voted,
                 roll=results[0].owners_total)
    return results


async def close_now(session: AsyncSession, *, poll_id: int, by: Person,
                    now: dt.datetime | None = None) -> Poll:
    """Close an open poll before its closing time (or one without): its runner's button."""
    poll = await get_poll(session, poll_id)
    await require_runner(session, by, poll)
    if poll.status != PollStatus.OPEN:
        raise Conflict(N_("This poll is not open."))
    await _close(session, poll, now or utcnow(), by)
    await session.commit()
    return poll


async def close_due(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect at the closing time (closed by hand already: nothing to do)."""
    poll = await session.get(Poll, item.ref_id or 0)
    if poll is None or poll.status != PollStatus.OPEN or poll.closes_at is None:
        return
    if item.payload.get("closes_at") != poll.closes_at.isoformat():
        return
    await _close(session, poll, now, None)


async def publish_result(session: AsyncSession, *, poll_id: int, by: Person,
                         now: dt.datetime | None = None) -> tuple[Poll, int]:
    """Send the closed poll's result to everyone who had to answer and can be reached now:
    (the poll, how many). Once."""
    poll = await get_poll(session, poll_id)
    place = await require_runner(session, by, poll)
    if poll.status == PollStatus.PUBLISHED:
        raise Conflict(N_("The result has been published already."))
    if poll.status != PollStatus.CLOSED:
        raise Conflict(NOT_YET)
    poll.status, poll.published_at = PollStatus.PUBLISHED, now or utcnow()
    people = reachable(duty_of(poll, [place.path])).subquery()
    sent = await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                kind=RESULT, payload={"poll_id": poll.id}, topic=poll.topic)
    audit.record(session, actor_id=by.id, action="poll.publish_result", subject="poll",
                 subject_id=poll.id, place_id=place.id, sent=sent)
    await session.commit()
    return poll, sent


async def results(session: AsyncSession, *, poll_id: int, viewer: Person
                  ) -> tuple[Poll, tally.MatterResult]:
    """The count of a closed poll: for those who follow it, and once published for the
    residents of its place; recounted from the rows its recount files hold."""
    poll = await get_poll(session, poll_id)
    if poll.status not in (PollStatus.CLOSED, PollStatus.PUBLISHED):
        raise Conflict(NOT_YET)
    try:
        await follower_paths(session, viewer, poll)
    except NotAllowed:
        if poll.status != PollStatus.PUBLISHED or not await _resident(session, poll, viewer):
            raise NotAllowed(NOT_RESIDENT, place=await where(session, poll, viewer.language)
                             ) from None
    return poll, tally.tally(*await tally_inputs(session, poll))[0]


async def _resident(session: AsyncSession, poll: Poll, person: Person) -> bool:
    return bool(await homes_under(session, poll, person.id))


async def closed_result(session: AsyncSession, poll_id: int, statuses: tuple[PollStatus, ...]
                        ) -> tuple[Poll, tally.MatterResult] | None:
    """A poll's result as the outbox sends it (None: no longer in one of `statuses`)."""
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.status not in statuses:
        return None
    return poll, tally.tally(*await tally_inputs(session, poll))[0]
