"""A ready-to-send broadcast with N recipients, written straight into the database: the starting
point of the broadcast benchmark and of the crash (kill -9) tests.

Recipients are consented people with Telegram ids `first_chat_id …`. `seed_broadcast` writes a
notice in state `sending` with its outbox rows pending, exactly as `models.notices.confirm`
leaves them; `seed_pledge_broadcast` an open pledge over the same community with its
announcement ("Read and sign") pending for everyone, as `models.pledges.publish` leaves it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from models.base import utcnow
from models.notices import Notice, NoticeStatus, Target
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Person
from models.places import Place, PlaceKind
from models.pledges import PUBLISHED, Pledge, PledgeStatus, PledgeVersion, Signers, text_hash

TEXT = ("停水通知：因管道检修，本周六 9:00–12:00 全小区停水，请提前储水。\n"
        "Water cut on Saturday 9:00–12:00 for pipe repairs; please store some water.")
PLEDGE_TITLE = "文明过年 不放烟花"
PLEDGE_BODY = ("为了大家的安全，本户承诺春节期间不在小区内燃放烟花爆竹，"
               "并提醒家人和来访亲友共同遵守。如发现火情，立即拨打119并告知网格员。")


def language_of(chat_id: int) -> str:
    """The recipients' languages: two in three read Chinese, one in three English."""
    return "zh_CN" if chat_id % 3 else "en"


async def seed_broadcast(db: Database, *, recipients: int, first_chat_id: int = 100_000,
                         chunk: int = 2_000) -> int:
    """Create the people, a community, a notice and its outbox rows; return the notice id."""
    now = utcnow()
    async with db.session() as session:
        community, author = await _community(session, first_chat_id)
        notice = Notice(author_id=author.id, place_id=community.id, target=Target.ALL,
                        texts={"*": TEXT}, step="confirm", status=NoticeStatus.SENDING,
                        sent_at=now, recipients=recipients, pin_groups=False)
        session.add(notice)
        await session.flush()
        await _recipients(session, recipients, first_chat_id, chunk, kind="notice",
                          topic=notice.topic, payload={"notice_id": notice.id})
        return notice.id


async def seed_pledge_broadcast(db: Database, *, recipients: int, first_chat_id: int = 100_000,
                                chunk: int = 2_000) -> int:
    """Create the people, a community, an open pledge over it and its announcement's outbox
    rows; return the pledge id."""
    now = utcnow()
    async with db.session() as session:
        community, author = await _community(session, first_chat_id)
        pledge = Pledge(place_id=community.id, title=PLEDGE_TITLE, body=PLEDGE_BODY,
                        signers=Signers.HOUSEHOLD, status=PledgeStatus.OPEN, version=1,
                        text_hash=text_hash(PLEDGE_TITLE, PLEDGE_BODY), opens_at=now,
                        published_at=now, closes_at=now + dt.timedelta(days=30),
                        created_by_id=author.id)
        session.add(pledge)
        await session.flush()
        session.add(PledgeVersion(pledge_id=pledge.id, number=1, title=pledge.title,
                                  body=pledge.body, text_hash=pledge.text_hash, created_at=now,
                                  created_by_id=author.id))
        await _recipients(session, recipients, first_chat_id, chunk, kind=PUBLISHED,
                          topic=f"pledge:{pledge.id}", payload={"pledge_id": pledge.id})
        return pledge.id


async def _community(session: AsyncSession, first_chat_id: int) -> tuple[Place, Person]:
    """The community and the staff member who writes to it."""
    now = utcnow()
    community = Place(kind=PlaceKind.COMMUNITY, name="基准社区", path="")
    author = Person(telegram_id=first_chat_id - 1, name="基准 staff", language="zh_CN",
                    consent_at=now)
    session.add_all([community, author])
    await session.flush()
    community.path = f"/{community.id}/"
    return community, author


async def _recipients(session: AsyncSession, recipients: int, first_chat_id: int, chunk: int,
                      *, kind: str, topic: str, payload: dict[str, Any]) -> None:
    """The people and one pending outbox row of `kind` for each; commits."""
    now = utcnow()
    for start in range(0, recipients, chunk):
        ids = range(first_chat_id + start, first_chat_id + min(recipients, start + chunk))
        await session.execute(insert(Person), [
            {"telegram_id": i, "name": f"居民 {i}", "language": language_of(i),
             "consent_at": now, "created_at": now} for i in ids])
    people = await session.execute(
        select(Person.id, Person.telegram_id).where(Person.telegram_id >= first_chat_id))
    rows = [{"chat_id": chat, "person_id": pid, "kind": kind, "topic": topic,
             "payload": payload, "status": OutboxStatus.PENDING, "attempts": 0,
             "not_before": now, "created_at": now} for pid, chat in people]
    for start in range(0, len(rows), chunk):
        await session.execute(insert(OutboxMessage), rows[start:start + chunk])
    await session.commit()
