"""Participation: people in a place must act on an object (sign a pledge, confirm a notice,
vote, take a shift). One set of parts for all of them — who must act, who has, who has not
(per building and unit, within the viewer's scope), reminders, progress, export rows.

(Being filled in by the reshaping of #11; the reminder log below is its first part.)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow


class Reminder(Base):
    """A reminder sent to a person about an object: at most one per person per object per
    day. `by_id` is who pressed "remind" (None: the scheduler's automatic reminder)."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_subject_subject_id_person_id_reminded_at",
                            "subject", "subject_id", "person_id", "reminded_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    subject: Mapped[str] = mapped_column(String(24))  # pledge, notice, vote …
    subject_id: Mapped[int]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    reminded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
