"""The webhook inbox: each update Telegram delivers is stored before we answer 200.

`update_id` is unique, so a duplicate delivery is recognised and processed once; rows without
`processed_at` are what a crash interrupted, and are processed again at start-up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow


class InboxUpdate(Base):
    """One update as Telegram sent it."""

    __tablename__ = "inbox_update"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(index=True)


async def store(session: AsyncSession, payload: dict[str, Any]) -> bool:
    """Store an update; False when this update_id was already stored (a re-delivery)."""
    update_id = int(payload["update_id"])
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


async def mark_processed(session: AsyncSession, update_id: int) -> None:
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.update_id == update_id)
        .values(processed_at=utcnow())
    )
    await session.commit()
