"""A ready-to-send notice with N recipients, written straight into the database: the starting
point of the broadcast benchmark and of the crash (kill -9) tests.

Recipients are consented people with Telegram ids `first_chat_id …`; the notice is in state
`sending` and its outbox rows are pending, exactly as `models.notices.confirm` leaves them.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from bot.db import Database
from models.base import utcnow
from models.notices import Notice, NoticeStatus, Target
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Person
from models.places import Place, PlaceKind

TEXT = ("停水通知：因管道检修，本周六 9:00–12:00 全小区停水，请提前储水。\n"
        "Water cut on Saturday 9:00–12:00 for pipe repairs; please store some water.")


def language_of(chat_id: int) -> str:
    """The recipients' languages: two in three read Chinese, one in three English."""
    return "zh_CN" if chat_id % 3 else "en"


async def seed_broadcast(db: Database, *, recipients: int, first_chat_id: int = 100_000,
                         chunk: int = 2_000) -> int:
    """Create the people, a community, a notice and its outbox rows; return the notice id."""
    now = utcnow()
    async with db.session() as session:
        community = Place(kind=PlaceKind.COMMUNITY, name="基准社区", path="")
        author = Person(telegram_id=first_chat_id - 1, name="基准 staff", language="zh_CN",
                        consent_at=now)
        session.add_all([community, author])
        await session.flush()
        community.path = f"/{community.id}/"
        notice = Notice(author_id=author.id, place_id=community.id, target=Target.ALL,
                        texts={"*": TEXT}, step="confirm", status=NoticeStatus.SENDING,
                        sent_at=now, recipients=recipients, pin_groups=False)
        session.add(notice)
        await session.flush()
        for start in range(0, recipients, chunk):
            ids = range(first_chat_id + start, first_chat_id + min(recipients, start + chunk))
            await session.execute(insert(Person), [
                {"telegram_id": i, "name": f"居民 {i}", "language": language_of(i),
                 "consent_at": now, "created_at": now} for i in ids])
        people = await session.execute(
            select(Person.id, Person.telegram_id).where(Person.telegram_id >= first_chat_id))
        rows = [{"chat_id": chat, "person_id": pid, "kind": "notice", "topic": notice.topic,
                 "payload": {"notice_id": notice.id}, "status": OutboxStatus.PENDING,
                 "attempts": 0, "not_before": now, "created_at": now} for pid, chat in people]
        for start in range(0, len(rows), chunk):
            await session.execute(insert(OutboxMessage), rows[start:start + chunk])
        await session.commit()
        return notice.id
