"""Changing a published pledge: a new version of its text (earlier signatures keep theirs),
asking signers of an older version to sign again, closing early, extending; and the list of
pledges a staff member or grid worker may follow.

Each verb re-checks that the person is staff or a grid worker over the pledge's place, and
writes its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.base import end_of_day, utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed
from models.outbox import enqueue_select
from models.people import Person
from models.places import Place
from models.pledges.core import (
    ONLY_MANAGERS,
    RESIGN,
    Pledge,
    PledgeStatus,
    PledgeVersion,
    Step,
    done_asking,
    get_pledge,
    manager_places,
    move_to,
    require_manager,
    text_hash,
    translated,
)
from models.pledges.publishing import cancel_reminders, report_closing, schedule_reminders
from models.pledges.signatures import Signature

CLOSED_NOW = N_("This pledge is closed.")


async def begin_edit(session: AsyncSession, *, pledge_id: int, by: Person) -> Pledge:
    """Start collecting a new text for a published pledge (the old one stays in force); the
    editor's next messages are that text."""
    pledge = await get_pledge(session, pledge_id)
    await require_manager(session, by, pledge)
    if pledge.status != PledgeStatus.OPEN:
        raise Conflict(CLOSED_NOW)
    pledge.pending_body, pledge.step_by_id = "", by.id
    await done_asking(session, pledge)  # one editor at a time: an earlier one's turn is over
    await move_to(session, pledge, Step.EDIT, by.id)
    await session.commit()
    return pledge


@dataclass(frozen=True)
class NewVersion:
    pledge: Pledge
    older_signatures: int
    dropped_languages: tuple[str, ...] = ()  # their texts were of the old version


async def save_version(
    session: AsyncSession, *, pledge_id: int, by: Person, now: dt.datetime | None = None
) -> NewVersion:
    """Make the collected text the pledge's next version; earlier signatures keep theirs."""
    pledge = await get_pledge(session, pledge_id)
    place = await require_manager(session, by, pledge)
    if pledge.step != Step.EDIT or not (pledge.pending_body or "").strip():
        raise Invalid(N_("Send the new text of the pledge first."))
    new_hash = text_hash(pledge.title, pledge.pending_body or "")
    dropped: tuple[str, ...] = ()
    pledge.body, pledge.pending_body = pledge.pending_body or "", None
    await done_asking(session, pledge)
    if new_hash != pledge.text_hash:
        pledge.version += 1
        pledge.text_hash = new_hash
        # the other languages' texts said the old words: readers of them read the new
        # primary text until its translation is added to this version
        dropped, pledge.texts = tuple(translated(pledge)), {}
        session.add(PledgeVersion(pledge_id=pledge.id, number=pledge.version, title=pledge.title,
                                  body=pledge.body, text_hash=new_hash, created_at=now or utcnow(),
                                  created_by_id=by.id))
    older = await session.scalar(select(func.count()).select_from(Signature).where(
        Signature.pledge_id == pledge.id, Signature.version < pledge.version))
    audit.record(session, actor_id=by.id, action="pledge.new_version", subject="pledge",
                 subject_id=pledge.id, place_id=place.id, version=pledge.version)
    await session.commit()
    return NewVersion(pledge, int(older or 0), dropped)


async def ask_to_resign(
    session: AsyncSession, *, pledge_id: int, by: Person, now: dt.datetime | None = None
) -> int:
    """Ask everyone who signed an older version to sign the current one. Returns the count."""
    now = now or utcnow()
    pledge = await get_pledge(session, pledge_id)
    place = await require_manager(session, by, pledge)
    if not pledge.is_open(now):
        raise Conflict(CLOSED_NOW)
    people = (select(Person.telegram_id, Person.id)
              .join(Signature, Signature.person_id == Person.id)
              .where(Signature.pledge_id == pledge.id, Signature.version < pledge.version,
                     Person.unreachable_at.is_(None))).subquery()
    count = await enqueue_select(session, select(people.c.telegram_id, people.c.id),
                                 kind=RESIGN, now=now,
                                 payload={"pledge_id": pledge.id}, topic=f"pledge:{pledge.id}")
    audit.record(session, actor_id=by.id, action="pledge.ask_resign", subject="pledge",
                 subject_id=pledge.id, place_id=place.id, version=pledge.version, asked=count)
    await session.commit()
    return count


async def closing_pledge(session: AsyncSession, *, pledge_id: int, by: Person) -> Pledge:
    """The pledge someone asks to close, before they confirm (a manager of its place)."""
    pledge = await get_pledge(session, pledge_id)
    await require_manager(session, by, pledge)
    return pledge


async def close_pledge(
    session: AsyncSession, *, pledge_id: int, by: Person, now: dt.datetime | None = None
) -> Pledge:
    """Close signing now; the author gets the final tally at once, not at the old date."""
    now = now or utcnow()
    pledge = await get_pledge(session, pledge_id)
    place = await require_manager(session, by, pledge)
    if not pledge.is_open(now):
        raise Conflict(CLOSED_NOW)
    pledge.status, pledge.closed_at = PledgeStatus.CLOSED, now
    await done_asking(session, pledge)
    await cancel_reminders(session, pledge.id)
    await report_closing(session, pledge)
    audit.record(session, actor_id=by.id, action="pledge.close", subject="pledge",
                 subject_id=pledge.id, place_id=place.id)
    await session.commit()
    return pledge


close_early = close_pledge  # (the name tests know)


async def extend_pledge(
    session: AsyncSession, *, pledge_id: int, by: Person, days: int,
    now: dt.datetime | None = None, tz: dt.tzinfo = dt.UTC,
) -> Pledge:
    """Move the closing date `days` later (from now if it has passed), to the end of that day
    in the community's zone `tz`; reopens a closed one."""
    now = now or utcnow()
    if not 1 <= days <= 366:
        raise Invalid()
    pledge = await get_pledge(session, pledge_id)
    place = await require_manager(session, by, pledge)
    if pledge.status not in (PledgeStatus.OPEN, PledgeStatus.CLOSED):
        raise Invalid()
    # a pledge closed early reopens from today, not from its old closing date
    start = now if pledge.status == PledgeStatus.CLOSED else max(pledge.closes_at or now, now)
    pledge.closes_at = end_of_day(start.astimezone(tz).date() + dt.timedelta(days=days), tz)
    pledge.status, pledge.closed_at = PledgeStatus.OPEN, None
    await cancel_reminders(session, pledge.id)
    schedule_reminders(session, pledge, now)
    audit.record(session, actor_id=by.id, action="pledge.extend", subject="pledge",
                 subject_id=pledge.id, place_id=place.id, days=days)
    await session.commit()
    return pledge


extend = extend_pledge  # (the name tests know)


async def pledges_for_manager(
    session: AsyncSession, *, person: Person, limit: int = 20
) -> list[Pledge]:
    """Pledges the person may follow: over or under their places, newest first, and drafts."""
    places = await manager_places(session, person.id)
    if not places:
        raise NotAllowed(ONLY_MANAGERS)
    related = [Place.path.like(p.path + "%") for p in places]  # under my place
    related += [literal(p.path).like(Place.path + "%") for p in places]  # above it
    published = (select(Pledge).join(Place, Place.id == Pledge.place_id)
                 .where(Pledge.status.in_((PledgeStatus.OPEN, PledgeStatus.CLOSED)),
                        or_(*related)))
    mine = select(Pledge).where(Pledge.created_by_id == person.id,
                                Pledge.status == PledgeStatus.DRAFT)
    rows = {p.id: p for p in await session.scalars(published)}
    rows |= {p.id: p for p in await session.scalars(mine)}
    return sorted(rows.values(), key=lambda p: -p.id)[:limit]
