"""Notices still current for a person (#13): published to one of their places, for people like
them, not cancelled and not past the "valid until" the author may give — also when they joined
after it went out, so a new member sees the water cut announced the day before.

A person is shown what they were sent and what is current for them; they may open either and
press "Got it" on it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Select, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audience import recipients
from models.base import utcnow
from models.errors import N_, Invalid, NotAllowed
from models.notices.drafts import own_draft
from models.notices.tables import NOTICE, Notice, NoticeAck, NoticeStatus, audience_of, get_notice
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Membership, MembershipStatus, Person
from models.places import Place, ancestor_ids, get_place

LIVE = (NoticeStatus.SENDING, NoticeStatus.DONE)  # went out, and was not cancelled
# current notices of one person's places looked at, newest first (a community has a few)
CANDIDATES = 200


async def set_valid_until(session: AsyncSession, *, notice_id: int, author: Person,
                          until: dt.datetime | None, now: dt.datetime | None = None) -> Notice:
    """Until when the draft is current (None: until it is cancelled); a time gone by is
    refused."""
    draft = await own_draft(session, notice_id=notice_id, author=author)
    if until is not None and until <= (now or utcnow()):
        raise Invalid(N_("That time has already passed. Please choose a later time."))
    draft.valid_until = until
    await session.commit()
    return draft


def is_current(notice: Notice, now: dt.datetime) -> bool:
    return notice.status in LIVE and (notice.valid_until is None or notice.valid_until > now)


async def _places_of(session: AsyncSession, person: Person) -> set[int]:
    """Every place over the person's approved homes (the homes themselves included)."""
    paths = await session.scalars(
        select(Place.path).join(Membership, Membership.household_id == Place.id)
        .where(Membership.person_id == person.id,
               Membership.status == MembershipStatus.APPROVED))
    return {place_id for path in paths for place_id in ancestor_ids(path)}


async def _for_them(session: AsyncSession, notice: Notice, person: Person) -> bool:
    """Whether the person is in the notice's audience (owners only, a tag group …) now."""
    place = await get_place(session, notice.place_id or 0)
    people = recipients(audience_of(notice, place)).subquery()
    return bool(await session.scalar(select(exists().where(people.c.person_id == person.id))))


async def current_for(session: AsyncSession, person: Person, *, now: dt.datetime | None = None,
                      limit: int = 10) -> list[Notice]:
    """Notices current for this person's places and meant for them (newest first), whether
    or not they were sent to them."""
    now = now or utcnow()
    places = await _places_of(session, person)
    if not places:
        return []
    candidates = await session.scalars(
        select(Notice).where(Notice.place_id.in_(places), Notice.status.in_(LIVE),
                             or_(Notice.valid_until.is_(None), Notice.valid_until > now))
        .order_by(Notice.id.desc()).limit(CANDIDATES))
    # the newest `limit` of those meant for them (owners only, a group of people…): the limit
    # comes after that filter, so notices for others cannot hide theirs
    found: list[Notice] = []
    for notice in candidates:
        if len(found) >= limit:
            break
        if await _for_them(session, notice, person):
            found.append(notice)
    return found


async def unacknowledged_for(session: AsyncSession, person: Person, *,
                             now: dt.datetime | None = None) -> list[Notice]:
    """What waits for the person: current notices they have not pressed "Got it" on, and
    that are not on their way to them anyway (the notice itself has its button)."""
    acked = set(await session.scalars(select(NoticeAck.notice_id).where(
        NoticeAck.person_id == person.id)))
    coming = set(await session.scalars(select(OutboxMessage.topic).where(
        OutboxMessage.person_id == person.id, OutboxMessage.kind == NOTICE)))
    return [n for n in await current_for(session, person, now=now)
            if n.id not in acked and n.topic not in coming]


def received(person: Person) -> Select[int]:
    """The ids of the notices this person was sent (a subquery)."""
    return select(cast(func.substr(OutboxMessage.topic, 8), BigInteger)).where(
        OutboxMessage.person_id == person.id, OutboxMessage.kind == NOTICE,
        OutboxMessage.status == OutboxStatus.SENT)


async def listed_for(session: AsyncSession, person: Person, *, now: dt.datetime | None = None,
                     limit: int = 10) -> list[Notice]:
    """A resident's /notices: what they were sent and what is current for them, newest
    first."""
    current = await current_for(session, person, now=now, limit=limit)
    sent = await session.scalars(select(Notice).where(Notice.id.in_(received(person)))
                                 .order_by(Notice.id.desc()).limit(limit))
    merged = {n.id: n for n in [*sent, *current]}
    return sorted(merged.values(), key=lambda n: n.id, reverse=True)[:limit]


async def may_read(session: AsyncSession, notice: Notice, person: Person,
                   now: dt.datetime | None = None) -> bool:
    """Whether a notice not sent to this person is current for them (they joined since)."""
    return (is_current(notice, now or utcnow())
            and (notice.place_id or 0) in await _places_of(session, person)
            and await _for_them(session, notice, person))


async def shown_to(session: AsyncSession, *, notice_id: int, person: Person,
                   now: dt.datetime | None = None) -> Notice:
    """The notice, for a person who may read it: it was sent to them, or it is current for
    their places and meant for them."""
    notice = await get_notice(session, notice_id)
    sent = await session.scalar(select(exists().where(
        OutboxMessage.topic == notice.topic, OutboxMessage.person_id == person.id,
        OutboxMessage.kind == NOTICE, OutboxMessage.status == OutboxStatus.SENT)))
    if sent or await may_read(session, notice, person, now):
        return notice
    raise NotAllowed(N_("This notice was not sent to you."))
