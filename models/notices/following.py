"""After a notice is sent: residents' "Got it", and what staff follow — who must act (the
recipients it was sent to), who has (their acknowledgements), per building, and a reminder to
those who have not (logged per person in the shared reminder log); and the lists of notices
a person was sent or manages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Conflict, NotAllowed
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
from models.outbox import OutboxMessage, OutboxStatus, enqueue
from models.participation import Reminder
from models.people import Membership, MembershipStatus, Person
from models.places import Place, ancestor_ids, subtree_filter

REMINDER_SUBJECT = "notice"  # in the shared reminder log (models/participation.py)


async def acknowledge(session: AsyncSession, *, notice_id: int, person: Person) -> bool:
    """Record "Got it"; only someone the notice was sent to may. False if already done."""
    await get_notice(session, notice_id)
    received = await session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.topic == f"notice:{notice_id}", OutboxMessage.person_id == person.id
    ).limit(1))
    if received is None:
        raise NotAllowed(N_("This notice was not sent to you."))
    if await session.scalar(select(NoticeAck.id).where(NoticeAck.notice_id == notice_id,
                                                       NoticeAck.person_id == person.id)):
        return False
    session.add(NoticeAck(notice_id=notice_id, person_id=person.id))
    try:
        await session.commit()
    except Exception:  # the same tap twice at once: the constraint keeps one
        await session.rollback()
        return False
    return True


@dataclass(frozen=True)
class AckLine:
    name: str  # a building's name (or "other" for people not living under one)
    acked: int
    total: int


def _delivered(notice: Notice):  # type: ignore[no-untyped-def]
    """Who must act: the people the notice itself reached."""
    return (OutboxMessage.topic == notice.topic, OutboxMessage.kind == NOTICE,
            OutboxMessage.status == OutboxStatus.SENT)


async def acknowledgements(session: AsyncSession, *, notice_id: int,
                           viewer: Person) -> tuple[AckLine, list[AckLine]]:
    """Acknowledged / delivered, overall and per building, for someone who manages it."""
    notice = await get_notice(session, notice_id)
    area = await require_manager(session, notice, viewer)
    rows = await session.execute(
        select(OutboxMessage.person_id, Place.path, NoticeAck.id)
        .outerjoin(Membership, (Membership.person_id == OutboxMessage.person_id)
                   & (Membership.status == MembershipStatus.APPROVED))
        # only homes inside the notice's area: a recipient's flat elsewhere is not shown
        .outerjoin(Place, (Place.id == Membership.household_id)
                   & subtree_filter(area.path if area else "/"))
        .outerjoin(NoticeAck, (NoticeAck.notice_id == notice.id)
                   & (NoticeAck.person_id == OutboxMessage.person_id))
        .where(*_delivered(notice))
    )
    homes: dict[int, set[int | None]] = {}  # person → buildings of their homes in the area
    acked_all: set[int] = set()
    for person_id, path, ack in rows:
        if person_id is None:  # (a notice's own rows always name their person)
            continue
        ids = ancestor_ids(path) if path else []
        buildings = homes.setdefault(person_id, set())
        if len(ids) > 3:  # street/community/grid/building/…
            buildings.add(ids[3])
        if ack is not None:
            acked_all.add(person_id)
    per_building: dict[int | None, tuple[set[int], set[int]]] = {}
    for person_id, buildings in homes.items():
        for building in buildings or {None}:  # volunteers and others without a home there
            total, acked = per_building.setdefault(building, (set(), set()))
            total.add(person_id)
            if person_id in acked_all:
                acked.add(person_id)
    names = {p.id: p.name for p in await session.scalars(
        select(Place).where(Place.id.in_([b for b in per_building if b is not None])))}
    lines = [AckLine(names.get(b, "—") if b else "—", len(a), len(t))
             for b, (t, a) in sorted(per_building.items(), key=lambda kv: names.get(kv[0] or 0,
                                                                                     "~"))]
    return AckLine("", len(acked_all), len(homes)), lines


async def remind_unacknowledged(session: AsyncSession, *, notice_id: int, by: Person,
                                now: dt.datetime | None = None) -> int:
    """Remind recipients who have not pressed "Got it" (at most once a day per notice, so at
    most once a day per person), each logged in the reminder log."""
    now = now or utcnow()
    notice = await get_notice(session, notice_id)
    await require_manager(session, notice, by)
    if notice.reminded_at is not None and now - notice.reminded_at < dt.timedelta(days=1):
        raise Conflict(N_("A reminder for this notice was already sent today."))
    waiting = await session.execute(
        select(OutboxMessage.person_id, OutboxMessage.chat_id)
        .where(*_delivered(notice), ~OutboxMessage.person_id.in_(
            select(NoticeAck.person_id).where(NoticeAck.notice_id == notice.id)))
    )
    n = 0
    for person_id, chat_id in waiting:
        enqueue(session, chat_id=chat_id, person_id=person_id, kind=NOTICE_REMINDER,
                payload={"notice_id": notice.id}, topic=f"notice-reminder:{notice.id}")
        if person_id is not None:
            session.add(Reminder(subject=REMINDER_SUBJECT, subject_id=notice.id,
                                 person_id=person_id, reminded_at=now, by_id=by.id))
        n += 1
    notice.reminded_at = now
    audit.record(session, actor_id=by.id, action="notice.remind", subject="notice",
                 subject_id=notice.id, place_id=notice.place_id, reminded=n)
    await session.commit()
    return n


# --- lists ----------------------------------------------------------------------------------


async def received_by(session: AsyncSession, person: Person, limit: int = 10) -> list[Notice]:
    """Recent notices this person was sent (newest first)."""
    ids = select(cast(func.substr(OutboxMessage.topic, 8), BigInteger)).where(
        OutboxMessage.person_id == person.id, OutboxMessage.kind == NOTICE,
        OutboxMessage.status == OutboxStatus.SENT)
    return list(await session.scalars(
        select(Notice).where(Notice.id.in_(ids)).order_by(Notice.id.desc()).limit(limit)))


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
