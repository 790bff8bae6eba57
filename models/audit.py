"""The audit log: an append-only record of every action taken by staff, grid workers and
supervisors — who did what to which object, when, and within which place.

Verbs write it in the same transaction as the change itself (`record` only adds the row), so an
action and its audit entry commit or fail together. Entries name ids, never personal details:
the log can be shown to a supervisor or kept for years without becoming a second copy of the
residents' data. Nothing here updates or deletes an entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow


class AuditEntry(Base):
    """One action: `actor` did `action` (e.g. "pledge.publish") to `subject` #`subject_id`."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_subject_subject_id", "subject", "subject_id"),
                      Index("ix_audit_entry_actor_id_at", "actor_id", "at"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the person who acted (kept when they are deleted: the id stays, the name goes)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(24))  # the kind of object: pledge, notice …
    subject_id: Mapped[int | None]
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ids and codes only


def record(session: AsyncSession, *, actor_id: int | None, action: str, subject: str,
           subject_id: int | None, place_id: int | None = None,
           **detail: int | str | bool | None) -> AuditEntry:
    """Add an entry to the caller's transaction (it commits with the action it records)."""
    entry = AuditEntry(actor_id=actor_id, action=action, subject=subject,
                       subject_id=subject_id, place_id=place_id, detail=dict(detail),
                       at=utcnow())
    session.add(entry)
    return entry


async def entries_for(session: AsyncSession, subject: str,
                      subject_id: int) -> list[AuditEntry]:
    """The history of one object, oldest first."""
    return list(await session.scalars(
        select(AuditEntry).where(AuditEntry.subject == subject,
                                 AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.id)))
