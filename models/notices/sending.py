"""Sending a notice: confirmed now (its recipients expanded into the outbox in the same
transaction) or scheduled (a due item that fires once, even after downtime); cancelled with
what was sent kept; and how far a running broadcast has got."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks, audit
from models.audience import enqueue_all
from models.base import utcnow
from models.errors import N_, Conflict, NotAllowed
from models.groups import GroupPurpose, groups_under
from models.notices.tables import (
    FEATURE,
    NOTICE,
    NOTICE_GROUP,
    NOTICE_SEND,
    Notice,
    NoticeStatus,
    audience_of,
    get_notice,
)
from models.outbox import OutboxStatus, cancel_topic, enqueue, topic_counts
from models.people import Person
from models.permissions import MANAGERS, require_role
from models.places import Place, get_place
from models.schedule import DueItem, DueStatus, schedule


async def confirm(
    session: AsyncSession, *, notice_id: int, author: Person, at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Notice:
    """Send now (expand recipients into the outbox, same transaction) or schedule for `at`."""
    now = now or utcnow()
    notice = await get_notice(session, notice_id)
    if notice.author_id != author.id or notice.status != NoticeStatus.DRAFT:
        raise Conflict(N_("This notice was already sent or cancelled."))
    place = await get_place(session, notice.place_id or 0)
    await require_role(session, person_id=author.id, place=place, roles=MANAGERS)
    await asks.clear_object(session, feature=FEATURE, object_id=notice.id)
    if at is not None and at > now:
        notice.status = NoticeStatus.SCHEDULED
        notice.scheduled_at = at
        schedule(session, kind=NOTICE_SEND, due_at=at, ref_id=notice.id)
        audit.record(session, actor_id=author.id, action="notice.schedule", subject="notice",
                     subject_id=notice.id, place_id=place.id)
        await session.commit()
        return notice
    await _dispatch(session, notice, place, now)
    audit.record(session, actor_id=author.id, action="notice.confirm", subject="notice",
                 subject_id=notice.id, place_id=place.id, recipients=notice.recipients)
    await session.commit()
    return notice


async def schedule_at(session: AsyncSession, *, notice_id: int, author: Person,
                      at: dt.datetime) -> Notice:
    """Schedule the draft for `at` (chosen or typed); a time gone by sends it now."""
    notice = await get_notice(session, notice_id)
    notice.step = "confirm"
    return await confirm(session, notice_id=notice_id, author=author, at=at)


async def _dispatch(session: AsyncSession, notice: Notice, place: Place,
                    now: dt.datetime) -> None:
    # an urgent notice (a flood warning) goes in quiet hours too; any other waits for them
    # to end (models/quiet_hours.py)
    notice.recipients = await enqueue_all(session, audience_of(notice, place), kind=NOTICE,
                                          payload={"notice_id": notice.id}, topic=notice.topic,
                                          urgent=notice.urgent)
    if notice.pin_groups:
        for group in await groups_under(session, place, GroupPurpose.PLACE):
            enqueue(session, chat_id=group.chat_id, kind=NOTICE_GROUP, topic=notice.topic,
                    payload={"notice_id": notice.id}, urgent=notice.urgent)
    notice.status = NoticeStatus.SENDING
    notice.sent_at = now


async def send_scheduled(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect: a scheduled notice's time has come (fires once, even after downtime)."""
    notice = await session.get(Notice, item.ref_id or 0)
    if notice is None or notice.status != NoticeStatus.SCHEDULED:
        return
    await _dispatch(session, notice, await get_place(session, notice.place_id or 0), now)


async def require_manager(session: AsyncSession, notice: Notice, person: Person) -> Place | None:
    """The notice's area, if `person` manages it (its author, while it has none yet)."""
    place = await get_place(session, notice.place_id) if notice.place_id else None
    if notice.author_id == person.id and place is None:
        return place
    if place is None:
        raise NotAllowed()
    await require_role(session, person_id=person.id, place=place, roles=MANAGERS)
    return place


async def cancel(session: AsyncSession, *, notice_id: int, by: Person) -> int:
    """Cancel a scheduled or running notice (or discard a draft); what was sent stays sent.
    Returns how many of its messages will not go out."""
    notice = await get_notice(session, notice_id)
    await require_manager(session, notice, by)
    if notice.status not in (NoticeStatus.SCHEDULED, NoticeStatus.SENDING, NoticeStatus.DRAFT):
        raise Conflict(N_("This notice has already finished; it cannot be cancelled."))
    await session.execute(
        update(DueItem).where(DueItem.kind == NOTICE_SEND, DueItem.ref_id == notice.id,
                              DueItem.status == DueStatus.PENDING)
        .values(status=DueStatus.CANCELLED)
    )
    stopped = await cancel_topic(session, notice.topic)
    notice.status = NoticeStatus.CANCELLED
    notice.finished_at = utcnow()
    await asks.clear_object(session, feature=FEATURE, object_id=notice.id)
    audit.record(session, actor_id=by.id, action="notice.cancel", subject="notice",
                 subject_id=notice.id, place_id=notice.place_id, stopped=stopped)
    await session.commit()
    return stopped


# --- delivery progress ----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    sent: int
    failed: int
    blocked: int
    remaining: int
    cancelled: int

    @property
    def done(self) -> bool:
        return self.remaining == 0


async def progress(session: AsyncSession, notice: Notice) -> Progress:
    counts = await topic_counts(session, notice.topic)
    return Progress(
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0) + counts.get(OutboxStatus.SKIPPED, 0),
        blocked=counts.get(OutboxStatus.BLOCKED, 0),
        remaining=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
        cancelled=counts.get(OutboxStatus.CANCELLED, 0),
    )


async def sending(session: AsyncSession) -> list[Notice]:
    return list(await session.scalars(select(Notice).where(
        Notice.status == NoticeStatus.SENDING).order_by(Notice.id)))


# How long a notice sent "now" waits for its author's "Sending…" message to be attached before
# it is closed without a report (the handler attaches it right after sending: a busy machine).
ATTACH_SECONDS = 120


def awaits_progress_message(notice: Notice, now: dt.datetime) -> bool:
    """Sent from the preview moments ago and its author's message not attached yet: not to be
    closed now, or the author would never hear that it was delivered."""
    return (notice.progress_message_id is None and notice.scheduled_at is None
            and notice.sent_at is not None
            and now - notice.sent_at < dt.timedelta(seconds=ATTACH_SECONDS))


async def finish(session: AsyncSession, notice: Notice) -> None:
    notice.status = NoticeStatus.DONE
    notice.finished_at = utcnow()
    await session.commit()


async def set_progress_message(session: AsyncSession, *, notice_id: int, chat_id: int,
                               message_id: int) -> None:
    await session.execute(update(Notice).where(Notice.id == notice_id).values(
        progress_chat_id=chat_id, progress_message_id=message_id))
    await session.commit()
