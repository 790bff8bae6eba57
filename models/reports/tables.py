"""The tables of photo reports (随手拍, #16): a report and its photos, its history, the
categories a community offers, and the departments (责任部门) that fix what is reported.

A report is written by its reporter as a draft (`status` draft, `step` the part it waits
for), kept here so a restart continues it; once submitted it moves only through the state
machine of models/reports/core.py, each move one `ReportEvent` row. Photos are Telegram file
ids (`stage` before: the reporter's, after: the fixer's), never the files themselves.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow

MAX_DESCRIPTION = 1000  # UTF-16 units (models/telegram_limits.py)
MAX_REASON = 300
MAX_PHOTOS = 5


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"  # being written by the reporter (not yet in the machine)
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    ACCEPTED = "accepted"
    REOPENED = "reopened"
    REJECTED = "rejected"
    MERGED = "merged"
    CLOSED_DEFAULT = "closed_default"  # accepted by default: the reporter did not answer
    CANCELLED = "cancelled"  # a draft the reporter dropped


class Step(enum.StrEnum):
    """What a draft waits for next."""

    PHOTOS = "photos"
    PLACE = "place"
    CATEGORY = "category"
    DESCRIPTION = "description"
    CONFIRM = "confirm"


class PhotoStage(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"


class ReportCategory(Base):
    """A kind of problem a community's residents can report (its defaults: DEFAULTS in
    models/reports/categories.py); `code` names the default ones, None a staff-made one."""

    __tablename__ = "report_category"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"),
                                              index=True)
    code: Mapped[str | None] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    deadline_days: Mapped[int] = mapped_column(default=3)  # the deadline a dispatch proposes

    def name_in(self, language: str) -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name


class Department(Base):
    """A responsible department: the street's repair team, the property company, the water
    utility; who is in it, what it handles and where."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"),
                                              index=True)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DepartmentMember(Base):
    __tablename__ = "department_member"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)


class DepartmentCategory(Base):
    __tablename__ = "department_category"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("report_category.id", ondelete="CASCADE"), primary_key=True, index=True)


class DepartmentPlace(Base):
    """A place a department handles (and everything under it)."""

    __tablename__ = "department_place"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)


class Report(Base):
    """One reported problem, from draft to its end; its short id is `R-000123`."""

    __tablename__ = "report"
    __table_args__ = (Index("ix_report_status_place_id", "status", "place_id"),
                      Index("ix_report_reporter_id_status", "reporter_id", "status"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"),
                                                 index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_category.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(String(16), default=ReportStatus.DRAFT)
    step: Mapped[str] = mapped_column(String(16), default=Step.PHOTOS)
    # who fixes it: a department (any member), a person, or both (a member of it)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True)
    deadline: Mapped[dt.datetime | None]
    rating: Mapped[int | None]  # the reporter's 1–5, once accepted
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON))  # the last rejection's
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("report.id", ondelete="SET NULL"))
    public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    fixed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    @property
    def short_id(self) -> str:
        return short_id(self.id)

    @property
    def topic(self) -> str:
        return f"report:{self.id}"


def short_id(report_id: int) -> str:
    return f"R-{report_id:06d}"


class ReportPhoto(Base):
    __tablename__ = "report_photo"
    __table_args__ = (Index("ix_report_photo_report_id_stage", "report_id", "stage"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(8), default=PhotoStage.BEFORE)
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(64))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportEvent(Base):
    """One step of a report's history: who (None: the bot itself) moved it from one status
    to another, or changed it in place (a deadline), when, and the note that went with it."""

    __tablename__ = "report_event"
    __table_args__ = (Index("ix_report_event_report_id_at", "report_id", "at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(MAX_DESCRIPTION))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
