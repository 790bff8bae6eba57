"""What each person was last asked to type or send, so their next free message goes there.

A service that asks a person for input (a notice's text, a pledge's title, a photo, a date)
records the question here in the same transaction: which feature asked, for which object, at
which step, and until when. The wiring looks the question up for every free message (text, a
photo, a document, a location, a contact) and hands the message to that feature's taker for the
step, and to nothing else. One question per person: asking again replaces it, and answering,
cancelling or finishing clears it. Kept in the database, so any worker and any restart routes
the next message the same way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

KEEP = dt.timedelta(days=7)  # a question nobody answered for a week is forgotten


class Ask(Base):
    """The open question to one person."""

    __tablename__ = "ask"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           primary_key=True)
    feature: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(48))
    object_id: Mapped[int | None]
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


async def ask(session: AsyncSession, *, person_id: int, feature: str, step: str,
              object_id: int | None = None, keep: dt.timedelta = KEEP,
              now: dt.datetime | None = None) -> Ask:
    """Record (or replace) the question to this person; commits with the caller."""
    now = now or utcnow()
    row = await session.get(Ask, person_id)
    if row is None:
        row = Ask(person_id=person_id)
        session.add(row)
    row.feature, row.step, row.object_id = feature, step, object_id
    row.asked_at, row.expires_at = now, now + keep
    return row


async def asked(session: AsyncSession, person_id: int,
                now: dt.datetime | None = None) -> Ask | None:
    """The open question to this person, if it has not expired."""
    row = await session.get(Ask, person_id)
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row


async def clear(session: AsyncSession, person_id: int, *, feature: str | None = None,
                object_id: int | None = None) -> None:
    """Forget the question to this person (only if it is this feature's / object's)."""
    stmt = delete(Ask).where(Ask.person_id == person_id)
    if feature is not None:
        stmt = stmt.where(Ask.feature == feature)
    if object_id is not None:
        stmt = stmt.where(Ask.object_id == object_id)
    await session.execute(stmt)


async def clear_object(session: AsyncSession, *, feature: str, object_id: int) -> None:
    """Forget every question about one object (a draft published or withdrawn)."""
    await session.execute(delete(Ask).where(Ask.feature == feature, Ask.object_id == object_id))


async def purge(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Drop expired questions (housekeeping); returns how many."""
    result = await session.execute(delete(Ask).where(Ask.expires_at <= (now or utcnow())))
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

