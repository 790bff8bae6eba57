"""The webhook inbox: each update Telegram delivers is stored before we answer 200.

`update_id` is unique, so a duplicate delivery is recognised and processed once; rows without
`processed_at` are what a crash interrupted, and are processed again at start-up. Once an
update is processed its payload (names, texts, shared phone numbers) is dropped; only its id
stays, for recognising re-deliveries, and the scheduler deletes it after `KEEP` (Telegram
gives up re-delivering an update within a day). An update that could not be read keeps
`error`, the error's type, and never its content.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow

KEEP = dt.timedelta(days=3)  # how long a processed update's id is kept, to spot re-deliveries


class InboxUpdate(Base):
    """One update as Telegram sent it, until it is processed; then only its id."""

    __tablename__ = "inbox_update"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(String(64))  # why it could not be processed


async def store(session: AsyncSession, update_id: int, payload: dict[str, Any]) -> bool:
    """Store an update; False when this update_id was already stored (a re-delivery)."""
    if await session.scalar(select(InboxUpdate.id).where(InboxUpdate.update_id == update_id)):
        return False
    session.add(InboxUpdate(update_id=update_id, payload=payload))
    try:
        await session.commit()
    except IntegrityError:  # the same update arrived twice at once
        await session.rollback()
        return False
    return True


async def unprocessed(session: AsyncSession, limit: int = 500) -> list[InboxUpdate]:
    rows = await session.scalars(
        select(InboxUpdate).where(InboxUpdate.processed_at.is_(None))
        .order_by(InboxUpdate.update_id).limit(limit)
    )
    return list(rows)


async def mark_processed(session: AsyncSession, update_id: int,
                         error: str | None = None) -> None:
    """Done with this update (`error`: the type of what stopped it); its payload goes."""
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.update_id == update_id)
        .values(processed_at=utcnow(), payload=None, error=error[:64] if error else None)
    )
    await session.commit()


async def purge(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Delete processed updates older than KEEP; commits. Returns how many went."""
    cutoff = (now or utcnow()) - KEEP
    result = await session.execute(
        delete(InboxUpdate).where(InboxUpdate.processed_at < cutoff))
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
