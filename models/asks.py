"""What each person was asked to type or send, so their next free message goes there.

A service that asks a person for input (a notice's text, a pledge's title, a photo, a date)
records the question here in the same transaction: which feature asked, for which object, at
which step, and until when. The wiring looks up the person's newest open question for every
free message (text, a photo, a document, a location, a contact) and hands the message to that
feature's taker for that step, and to nothing else. Asking again about the same object
replaces its question; answering, cancelling or finishing clears it — and then the question
before it, if still open (a pledge draft left waiting for its photo while a notice was
written), is the one the next message answers. Kept in the database, so any worker and any
restart routes the next message the same way.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import ColumnElement

from models.base import ID, Base, utcnow

# a question nobody answered for 90 days is forgotten (a draft may wait weeks for its text;
# the housekeeping job drops the expired ones)
KEEP = dt.timedelta(days=90)


class Ask(Base):
    """An open question to one person about one object."""

    __tablename__ = "ask"
    __table_args__ = (Index("ix_ask_person_id_asked_at", "person_id", "asked_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    feature: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(48))
    object_id: Mapped[int | None]
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


def _about(person_id: int, feature: str | None, object_id: int | None,
           any_object: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Ask.person_id == person_id]
    if feature is not None:
        conditions.append(Ask.feature == feature)
    if not any_object:
        conditions.append(Ask.object_id.is_(None) if object_id is None
                          else Ask.object_id == object_id)
    return conditions


async def ask(session: AsyncSession, *, person_id: int, feature: str, step: str,
              object_id: int | None = None, keep: dt.timedelta = KEEP,
              now: dt.datetime | None = None) -> Ask:
    """Record the question (replacing this object's earlier one); commits with the caller."""
    now = now or utcnow()
    await session.execute(delete(Ask).where(*_about(person_id, feature, object_id, False)))
    row = Ask(person_id=person_id, feature=feature, step=step, object_id=object_id,
              asked_at=now, expires_at=now + keep)
    session.add(row)
    await session.flush()
    return row


async def asked(session: AsyncSession, person_id: int,
                now: dt.datetime | None = None) -> Ask | None:
    """The newest open question to this person, if any."""
    return await session.scalar(
        select(Ask).where(Ask.person_id == person_id, Ask.expires_at > (now or utcnow()))
        .order_by(Ask.asked_at.desc(), Ask.id.desc()).limit(1))


async def clear(session: AsyncSession, person_id: int, *, feature: str | None = None,
                object_id: int | None = None) -> None:
    """Forget the questions to this person (only this feature's / this object's, if given)."""
    await session.execute(delete(Ask).where(
        *_about(person_id, feature, object_id, any_object=object_id is None)))


async def clear_object(session: AsyncSession, *, feature: str, object_id: int) -> None:
    """Forget every question about one object (a draft published or withdrawn)."""
    await session.execute(delete(Ask).where(Ask.feature == feature, Ask.object_id == object_id))


async def purge(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Drop expired questions (housekeeping); returns how many."""
    result = await session.execute(delete(Ask).where(Ask.expires_at <= (now or utcnow())))
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
