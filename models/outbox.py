"""The outbox: every message the bot owes someone, written in the same transaction as the
change that caused it, so nothing is lost when the process dies and nothing is sent twice.

A row names its recipient and a `kind` with a JSON payload, not finished text: the sender
renders it in the recipient's language at send time (models know no translations).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class OutboxMessage(Base):
    """One message to one chat, waiting to be sent or already sent."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)


def enqueue(
    session: AsyncSession, *, chat_id: int, kind: str, payload: dict[str, Any],
    person_id: int | None = None, not_before: dt.datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox; it is sent once the surrounding transaction commits."""
    row = OutboxMessage(chat_id=chat_id, person_id=person_id, kind=kind, payload=payload,
                        status=OutboxStatus.PENDING, not_before=not_before or utcnow())
    session.add(row)
    return row


async def due_messages(
    session: AsyncSession, *, limit: int = 100, now: dt.datetime | None = None
) -> list[OutboxMessage]:
    """The oldest pending messages whose time has come."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.not_before <= (now or utcnow()))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(await session.scalars(stmt))


async def mark(
    session: AsyncSession, row_id: int, *, status: OutboxStatus, message_id: int | None = None,
    error: str | None = None, retry_at: dt.datetime | None = None,
) -> None:
    """Record the outcome of one send attempt (retry_at: back to pending until then)."""
    values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1, "error": error}
    if retry_at is not None:
        values |= {"status": OutboxStatus.PENDING, "not_before": retry_at}
    else:
        values |= {"status": status, "message_id": message_id}
        if status == OutboxStatus.SENT:
            values["sent_at"] = utcnow()
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(values))
