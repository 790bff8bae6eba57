"""Publishing a pledge and the end of its signing: the announcement to everyone who must sign,
the automatic reminders before closing (due items, so each fires exactly once, also after
downtime) and the final tally to the author when signing ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import utcnow
from models.errors import N_, Invalid, NotAllowed
from models.outbox import enqueue, enqueue_select
from models.participation import reachable, reminder_due
from models.people import Person
from models.pledges.core import (
    AUTO_REMIND,
    AUTO_REMIND_BEFORE,
    CLOSED,
    CLOSING_REPORT,
    PUBLISHED,
    Pledge,
    PledgeStatus,
    PledgeVersion,
    done_asking,
    draft_of,
    duty_of,
    require_manager,
    text_hash,
    translated,
)
from models.schedule import DueItem, DueStatus, schedule


@dataclass(frozen=True)
class Published:
    pledge: Pledge
    notified: int


def _ready(pledge: Pledge) -> None:
    if not pledge.title or not pledge.body or pledge.place_id is None or not pledge.closes_at:
        raise Invalid(N_("The pledge is not complete yet: it needs a title, a text, a place and "
                         "a closing date."))


async def publish_pledge(
    session: AsyncSession, *, pledge_id: int, author: Person, now: dt.datetime | None = None
) -> Published:
    """Open the pledge and tell everyone who must sign it (the reachable ones) through the
    outbox, in one transaction."""
    now = now or utcnow()
    pledge = await draft_of(session, pledge_id, author)
    _ready(pledge)
    place = await require_manager(session, author, pledge)
    if pledge.closes_at is not None and pledge.closes_at <= now:
        raise Invalid(N_("The closing date must be in the future."))
    pledge.status = PledgeStatus.OPEN
    await done_asking(session, pledge)
    pledge.opens_at = pledge.published_at = now
    pledge.version = 1
    pledge.text_hash = text_hash(pledge.title, pledge.body)
    pledge.texts = translated(pledge)  # (an English text left unfinished is not published)
    session.add(PledgeVersion(pledge_id=pledge.id, number=1, title=pledge.title,
                              body=pledge.body, text_hash=pledge.text_hash,
                              texts=pledge.texts, created_at=now, created_by_id=author.id))
    people = reachable(duty_of(pledge, [place.path])).subquery()
    notified = await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                    kind=PUBLISHED, payload={"pledge_id": pledge.id},
                                    topic=f"pledge:{pledge.id}")
    schedule_reminders(session, pledge, now)
    audit.record(session, actor_id=author.id, action="pledge.publish", subject="pledge",
                 subject_id=pledge.id, place_id=place.id, version=1, notified=notified)
    await session.commit()
    return Published(pledge, notified)


publish = publish_pledge  # (the name tests and the demo know)


def schedule_reminders(session: AsyncSession, pledge: Pledge, now: dt.datetime) -> None:
    """The automatic reminders before closing, and the final tally to the author at closing."""
    assert pledge.closes_at is not None
    # the closing time rides along: an extension makes these items stale, not wrong
    payload = {"closes_at": pledge.closes_at.isoformat()}
    for before in AUTO_REMIND_BEFORE:
        due = reminder_due(pledge.closes_at, before)
        if due > now:
            schedule(session, kind=AUTO_REMIND, due_at=due, ref_id=pledge.id, payload=payload)
    if pledge.closes_at > now:
        _schedule_report(session, pledge)


def _schedule_report(session: AsyncSession, pledge: Pledge) -> None:
    assert pledge.closes_at is not None
    schedule(session, kind=CLOSING_REPORT, due_at=pledge.closes_at, ref_id=pledge.id,
             payload={"closes_at": pledge.closes_at.isoformat()})


async def cancel_reminders(session: AsyncSession, pledge_id: int) -> None:
    """The pending automatic reminders and closing report are void (closed, or moved)."""
    items = await session.scalars(select(DueItem).where(
        DueItem.kind.in_((AUTO_REMIND, CLOSING_REPORT)), DueItem.ref_id == pledge_id,
        DueItem.status == DueStatus.PENDING))
    for item in items:
        item.status = DueStatus.CANCELLED


async def report_closing(session: AsyncSession, pledge: Pledge) -> None:
    """Tell the author that signing has ended, with the final tally (an outbox row in the
    caller's transaction). An author who has since left, or no longer manages the pledge's
    place, gets nothing."""
    author = await session.get(Person, pledge.created_by_id) if pledge.created_by_id else None
    if author is None:
        return
    try:
        await require_manager(session, author, pledge)
    except NotAllowed:
        return
    enqueue(session, chat_id=author.telegram_id, person_id=author.id, kind=CLOSED,
            payload={"pledge_id": pledge.id})


async def schedule_missing_reports(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """At start-up: open pledges published before closing reports existed get theirs (once;
    the ones that have a pending report are left alone); commits. Returns how many."""
    now = now or utcnow()
    pending = select(DueItem.id).where(DueItem.kind == CLOSING_REPORT,
                                       DueItem.ref_id == Pledge.id,
                                       DueItem.status == DueStatus.PENDING)
    missing = list(await session.scalars(select(Pledge).where(
        Pledge.status == PledgeStatus.OPEN, Pledge.closes_at > now, ~pending.exists())))
    for pledge in missing:
        _schedule_report(session, pledge)
    await session.commit()
    return len(missing)


async def closing_report(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """Due-item effect at the closing time, unless the pledge was extended or closed early."""
    pledge = await session.get(Pledge, item.ref_id or 0)
    if pledge is None or pledge.status != PledgeStatus.OPEN or pledge.closes_at is None:
        return  # closed early: that sent the report already
    if item.payload.get("closes_at") != pledge.closes_at.isoformat():
        return  # moved since: a fresh item was scheduled for the new date
    await report_closing(session, pledge)
