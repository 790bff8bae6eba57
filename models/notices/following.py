"""After a notice is sent: residents' "Got it", and what staff follow — who must act (the
recipients it was sent to), who has (their acknowledgements), per building, and a reminder to
those who have not (logged per person in the shared reminder log); and the lists of notices
a person was sent or manages.

Built from the shared participation parts (models/participation/): the notice's `Duty` names
its people explicitly — whoever it was actually sent to — and its acknowledgements are who has
acted, counted by person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit, participation
from models.base import utcnow
from models.errors import N_, NotAllowed, NotFound
from models.notices.current import may_read, received
from models.notices.drafts import author_scopes
from models.notices.sending import require_manager
from models.notices.tables import (
    NOTICE,
    NOTICE_REMINDER,
    Notice,
    NoticeAck,
    NoticeStatus,
    get_notice,
)
from models.outbox import OutboxMessage, OutboxStatus
from models.outbox_owed import by_object, declare_done_check
from models.participation import Duty, Query
from models.people import Person
from models.places import Place, subtree_filter

REMINDER_SUBJECT = "notice"  # in the shared reminder log (models/participation/)


# Whether the notice exists, reached the person, and was confirmed by them already: one
# statement (built once), so a press of "Got it" reads once and writes once.
_ACK_STATE = select(
    Notice.id,
    exists().where(OutboxMessage.topic == bindparam("topic"),
                   OutboxMessage.person_id == bindparam("person_id")).label("received"),
    select(NoticeAck.acked_at).where(NoticeAck.notice_id == Notice.id,
                                     NoticeAck.person_id == bindparam("person_id"))
    .scalar_subquery().label("acked_at"),
).where(Notice.id == bindparam("notice_id"))


@dataclass(frozen=True)
class Acknowledged:
    """A "Got it": whether this press recorded it, and when it was recorded (for the mark the
    button keeps: "✅ Got it · 1 Dec")."""

    first: bool
    at: dt.datetime


async def acknowledge(session: AsyncSession, *, notice_id: int, person: Person,
                      now: dt.datetime | None = None) -> Acknowledged:
    """Record "Got it"; only someone the notice was sent to may. `first` is False if it was
    already done (then `at` is when)."""
    now = now or utcnow()
    state = (await session.execute(_ACK_STATE, {
        "notice_id": notice_id, "person_id": person.id, "topic": f"notice:{notice_id}"})).first()
    if state is None:
        raise NotFound(N_("This notice no longer exists."))
    if not state.received and not await may_read(session, await get_notice(session, notice_id),
                                                 person, now):
        # (only someone who joined after it went out reads more: the press stays 3 statements)
        raise NotAllowed(N_("This notice was not sent to you."))
    if state.acked_at is not None:
        return Acknowledged(False, state.acked_at)
    try:
        await session.execute(insert(NoticeAck).values(notice_id=notice_id,
                                                       person_id=person.id, acked_at=now))
        await session.commit()
    except IntegrityError:  # the same tap twice at once: the constraint keeps one
        await session.rollback()
        return Acknowledged(False, now)
    return Acknowledged(True, now)


@dataclass(frozen=True)
class AckLine:
    """Confirmed / reached, in people, and their households (all, and where everyone reached
    has confirmed): a building's, the totals' (name ""), or (`elsewhere`, name "—") those who
    have no home in the area, counted in people only."""

    name: str
    acked: int
    total: int
    households: int = 0
    households_done: int = 0
    elsewhere: bool = False


def _duty(notice: Notice, area: Place | None) -> Duty:
    """Who must act: the people the notice itself reached; their homes are looked up in the
    notice's area (a recipient's flat elsewhere is not shown)."""
    delivered = select(OutboxMessage.person_id.label("person_id")).where(
        OutboxMessage.topic == notice.topic, OutboxMessage.kind == NOTICE,
        OutboxMessage.status == OutboxStatus.SENT)
    return Duty(paths=(area.path if area else "/",), people=delivered)


def _acks(notice: Notice) -> Query:
    """Who has acted: their "Got it"."""
    return select(NoticeAck.person_id.label("person_id")).where(
        NoticeAck.notice_id == notice.id)


async def acknowledgements(session: AsyncSession, *, notice_id: int,
                           viewer: Person) -> tuple[AckLine, list[AckLine]]:
    """Acknowledged / delivered, overall (people, and households) and per building (its
    households: the rows add up to the totals' households; those without a home in the area
    in a row of people), for someone who manages it."""
    notice = await get_notice(session, notice_id)
    area = await require_manager(session, notice, viewer)
    duty, acks = _duty(notice, area), _acks(notice)
    count = await participation.headcount(session, duty, acks)
    buildings = await participation.by_building(session, duty, acks, language=viewer.language)
    # by name as written ("—", for those without a home in the area, where "~" would sort)
    buildings.sort(key=lambda b: (b.building or "") if b.building_id is not None else "~")
    lines = [AckLine(b.building, b.acted, b.expected, b.households, b.households_done)
             if b.building is not None
             else AckLine("—", count.elsewhere_acted, count.elsewhere, elsewhere=True)
             for b in buildings]
    return AckLine("", count.acted, count.expected, count.households,
                   count.households_done), lines


async def remind_unacknowledged(session: AsyncSession, *, notice_id: int, by: Person,
                                now: dt.datetime | None = None) -> int:
    """Remind recipients who have not pressed "Got it", each at most once a day (the shared
    reminder log's rule: pressing again the same day says how many were reminded already)."""
    now = now or utcnow()
    notice = await get_notice(session, notice_id)
    area = await require_manager(session, notice, by)
    n = await participation.remind(
        session, _duty(notice, area), _acks(notice), subject=REMINDER_SUBJECT,
        subject_id=notice.id, kind=NOTICE_REMINDER, payload={"notice_id": notice.id},
        topic=f"notice-reminder:{notice.id}", by_id=by.id, now=now)
    notice.reminded_at = now
    audit.record(session, actor_id=by.id, action="notice.remind", subject="notice",
                 subject_id=notice.id, place_id=notice.place_id, reminded=n)
    await session.commit()
    return n


# --- lists ----------------------------------------------------------------------------------


async def received_by(session: AsyncSession, person: Person, limit: int = 10) -> list[Notice]:
    """Recent notices this person was sent (newest first)."""
    return list(await session.scalars(
        select(Notice).where(Notice.id.in_(received(person))).order_by(Notice.id.desc()).limit(limit)))


async def managed_by(session: AsyncSession, person: Person, limit: int = 10) -> list[Notice]:
    """Recent notices under the places where this person may publish (newest first)."""
    scopes = await author_scopes(session, person)
    if not scopes:
        raise NotAllowed(N_("Only staff and grid workers can publish notices."))
    condition = subtree_filter(scopes[0].path)
    for scope in scopes[1:]:
        condition = condition | subtree_filter(scope.path)
    return list(await session.scalars(
        select(Notice).join(Place, Place.id == Notice.place_id)
        .where(condition, Notice.status != NoticeStatus.DRAFT)
        .order_by(Notice.id.desc()).limit(limit)))


async def _acknowledged(session: AsyncSession,
                        rows: Sequence[tuple[int, dict[str, Any]]]) -> set[int]:
    """Of the people a batch of reminders is for, those who pressed "Got it" since they were
    queued (the reminder is skipped: it would ask for what they did)."""
    done: set[int] = set()
    for notice_id, people in by_object(rows, "notice_id").items():
        done |= set(await session.scalars(select(NoticeAck.person_id).where(
            NoticeAck.notice_id == notice_id, NoticeAck.person_id.in_(people))))
    return done


declare_done_check(NOTICE_REMINDER, _acknowledged)
