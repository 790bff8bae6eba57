"""Writing a poll, step by step: whom it asks (a place within the writer's own scope) → the
question (typed) → its options (typed one by one, 2 to 10) → the preview, where its settings
are buttons — one person or one household one vote, named or anonymous, one option or
several, a closing day or none, a minimum turnout or none — then publishing it to everyone
who must answer, through the outbox.

Each verb checks the author and their scope and, when the next step wants a message, records
the question so the author's next free message goes to this draft (models/asks.py); bad input
is refused with the reason and writes nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks, audit
from models.base import end_of_day, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, StaleButton
from models.outbox import enqueue_select
from models.participation import Unit, reachable, reachable_count, reminder_due
from models.people import Person
from models.permissions import POLLSTERS, require_role
from models.places import get_place
from models.polls.core import (
    ANNOUNCED,
    CLOSE_DUE,
    CLOSE_IN,
    FEATURE,
    MAX_OPTIONS,
    MIN_OPTIONS,
    REMIND_DUE,
    SCOPE_KINDS,
    TURNOUTS,
    UNITS,
    duty_of,
    get_poll,
    place_of,
    pollster,
    require_runner,
)
from models.polls.tables import MAX_OPTION, MAX_QUESTION, Poll, PollStatus, Step
from models.schedule import schedule
from models.telegram_limits import utf16_len

TYPED = (Step.QUESTION, Step.OPTIONS)  # the steps that ask for a message
REMIND_BEFORE = dt.timedelta(days=1)  # the automatic reminder, on the last day


async def _draft(session: AsyncSession, poll_id: int, author: Person) -> Poll:
    poll = await get_poll(session, poll_id)
    if poll.status != PollStatus.DRAFT:
        raise Conflict(N_("This poll is already published."))
    if poll.created_by_id != author.id:
        raise NotAllowed()
    await pollster(session, author)
    return poll


async def _move(session: AsyncSession, poll: Poll, step: Step, person_id: int) -> None:
    """Put the draft at `step`; a typed step asks the author for it, any other forgets."""
    poll.step = step
    if step in TYPED:
        await asks.ask(session, person_id=person_id, feature=FEATURE, step=str(step),
                       object_id=poll.id)
    else:
        await asks.clear(session, person_id, feature=FEATURE, object_id=poll.id)


def _next(poll: Poll) -> Step:
    """The first step the draft still lacks (the preview when it has everything)."""
    if poll.place_id is None:
        return Step.PLACE
    if not poll.question:
        return Step.QUESTION
    return Step.OPTIONS if len(poll.options) < MIN_OPTIONS else Step.PREVIEW


async def start_draft(session: AsyncSession, *, author: Person) -> Poll:
    """Begin a poll, or resume the author's unfinished draft where it stopped."""
    await pollster(session, author)
    poll = await session.scalar(select(Poll).where(
        Poll.created_by_id == author.id, Poll.status == PollStatus.DRAFT)
        .order_by(Poll.id.desc()))
    if poll is None:
        poll = Poll(created_by_id=author.id, status=PollStatus.DRAFT, question="", options=[],
                    unit=Unit.PERSON, anonymous=False, multiple=False)
        session.add(poll)
        await session.flush()
        audit.record(session, actor_id=author.id, action="poll.draft", subject="poll",
                     subject_id=poll.id)
    await _move(session, poll, Step(poll.step) if poll.step != Step.PLACE else _next(poll),
                author.id)
    await session.commit()
    return poll


async def resume(session: AsyncSession, *, poll_id: int, author: Person) -> Poll:
    """The author's draft where it stopped, its step's question asked again."""
    poll = await _draft(session, poll_id, author)
    await _move(session, poll, Step(poll.step), author.id)
    await session.commit()
    return poll


async def set_place(session: AsyncSession, *, poll_id: int, author: Person,
                    place_id: int) -> Poll:
    """Whom the poll asks: the residents of a place within the author's scope."""
    poll = await _draft(session, poll_id, author)
    place = await get_place(session, place_id)
    if place.kind not in SCOPE_KINDS:
        raise Invalid(N_("A poll asks the residents of a street, community, grid, building or "
                         "unit."))
    await require_role(session, person_id=author.id, place=place, roles=POLLSTERS)
    poll.place_id = place.id
    await _move(session, poll, _next(poll), author.id)
    await session.commit()
    return poll


async def answer(session: AsyncSession, *, poll_id: int, author: Person, step: str,
                 text: str) -> Poll:
    """A typed message for the step that asked: the question, or one more option."""
    poll = await _draft(session, poll_id, author)
    if step != poll.step or step not in TYPED:
        raise StaleButton()
    text = " ".join(text.split())  # (one line: a question or an option is no paragraph)
    if not text:
        raise Invalid(N_("Send the text itself."))
    if step == Step.QUESTION:
        if utf16_len(text) > MAX_QUESTION:
            raise Invalid(N_("The question is too long: at most {limit} characters, and this "
                             "one has {count}. Send it shorter."), limit=MAX_QUESTION,
                          count=utf16_len(text))
        poll.question = text
    else:
        _check_option(poll, text)
        poll.options = [*poll.options, text]  # (a new list: JSON is not tracked)
    await _move(session, poll, Step.OPTIONS if step == Step.OPTIONS and len(
        poll.options) < MAX_OPTIONS else _next(poll), author.id)
    await session.commit()
    return poll


def _check_option(poll: Poll, text: str) -> None:
    if len(poll.options) >= MAX_OPTIONS:
        raise Invalid(N_("A poll has at most {limit} options."), limit=MAX_OPTIONS)
    if utf16_len(text) > MAX_OPTION:
        raise Invalid(N_("An option is at most {limit} characters (it becomes a button), and "
                         "this one has {count}. Send it shorter."), limit=MAX_OPTION,
                      count=utf16_len(text))
    if text.casefold() in (o.casefold() for o in poll.options):
        raise Invalid(N_("“{option}” is an option already."), option=text)


async def drop_option(session: AsyncSession, *, poll_id: int, author: Person,
                      number: int) -> Poll:
    poll = await _draft(session, poll_id, author)
    if not 1 <= number <= len(poll.options):
        raise StaleButton()
    poll.options = [o for n, o in enumerate(poll.options, start=1) if n != number]
    await _move(session, poll, Step.OPTIONS, author.id)
    await session.commit()
    return poll


async def options_done(session: AsyncSession, *, poll_id: int, author: Person) -> Poll:
    poll = await _draft(session, poll_id, author)
    if len(poll.options) < MIN_OPTIONS:
        raise Invalid(N_("A poll needs at least {count} options: send another one."),
                      count=MIN_OPTIONS)
    await _move(session, poll, _next(poll), author.id)
    await session.commit()
    return poll


async def go_to(session: AsyncSession, *, poll_id: int, author: Person, step: Step) -> Poll:
    """Back from the preview to a step: whom it asks, the question, the options."""
    poll = await _draft(session, poll_id, author)
    if step == Step.PREVIEW:
        step = _next(poll)
    await _move(session, poll, step, author.id)
    await session.commit()
    return poll


async def configure(session: AsyncSession, *, poll_id: int, author: Person,
                    unit: Unit | None = None, anonymous: bool | None = None,
                    multiple: bool | None = None, turnout: int | None = None,
                    close_in: int | None = None, tz: dt.tzinfo = dt.UTC,
                    now: dt.datetime | None = None) -> Poll:
    """Change one of the draft's settings from its preview (`turnout` 0: no minimum;
    `close_in` days from today, 0: no closing date)."""
    poll = await _draft(session, poll_id, author)
    if unit is not None:
        if unit not in UNITS:
            raise StaleButton()
        poll.unit = unit
    if anonymous is not None:
        poll.anonymous = anonymous
    if multiple is not None:
        poll.multiple = multiple
    if turnout is not None:
        if turnout and turnout not in TURNOUTS:
            raise StaleButton()
        poll.min_turnout = turnout or None
    if close_in is not None:
        if close_in and close_in not in CLOSE_IN:
            raise StaleButton()
        today = (now or utcnow()).astimezone(tz).date()
        poll.closes_at = end_of_day(today + dt.timedelta(days=close_in), tz) if close_in \
            else None
    await session.commit()
    return poll


async def discard(session: AsyncSession, *, poll_id: int, author: Person) -> None:
    poll = await _draft(session, poll_id, author)
    poll.status = PollStatus.CANCELLED
    await asks.clear_object(session, feature=FEATURE, object_id=poll.id)
    audit.record(session, actor_id=author.id, action="poll.discard", subject="poll",
                 subject_id=poll.id)
    await session.commit()


async def audience_size(session: AsyncSession, poll: Poll) -> int:
    """How many people the published poll would reach now (the preview's number)."""
    return await reachable_count(session, duty_of(poll, [(await place_of(session, poll)).path]))


async def publish(session: AsyncSession, *, poll_id: int, author: Person,
                  now: dt.datetime | None = None) -> tuple[Poll, int]:
    """Open the poll and ask everyone who must answer it (the reachable ones) through the
    outbox, in one transaction: (the poll, how many were asked)."""
    now = now or utcnow()
    poll = await _draft(session, poll_id, author)
    if _next(poll) != Step.PREVIEW:
        raise Invalid(N_("The poll is not complete yet: it needs whom it asks, a question and "
                         "at least two options."))
    place = await require_runner(session, author, poll)
    if poll.closes_at is not None and poll.closes_at <= now:
        raise Invalid(N_("The closing day has passed: choose another one."))
    poll.status, poll.opened_at, poll.step = PollStatus.OPEN, now, Step.PREVIEW
    await asks.clear_object(session, feature=FEATURE, object_id=poll.id)
    people = reachable(duty_of(poll, [place.path])).subquery()
    notified = await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                    kind=ANNOUNCED, payload={"poll_id": poll.id},
                                    topic=poll.topic, now=now)
    if poll.closes_at is not None:
        payload = {"closes_at": poll.closes_at.isoformat()}
        schedule(session, kind=CLOSE_DUE, due_at=poll.closes_at, ref_id=poll.id,
                 payload=payload)
        if reminder_due(poll.closes_at, REMIND_BEFORE) > now:
            schedule(session, kind=REMIND_DUE, due_at=reminder_due(
                poll.closes_at, REMIND_BEFORE), ref_id=poll.id, payload=payload)
    audit.record(session, actor_id=author.id, action="poll.publish", subject="poll",
                 subject_id=poll.id, place_id=place.id, notified=notified, unit=poll.unit,
                 anonymous=poll.anonymous, options=len(poll.options))
    await session.commit()
    return poll, notified
