"""Participation: people in a place must act on an object (sign a pledge, confirm a notice,
vote, take a shift). One set of parts for all of them — who must act, who has, who has not
(per building and unit, within the viewer's scope), reminders, progress, export rows.

A feature describes its object with a `Duty` (where, who, and the counting unit) and gives the
actions taken so far as a SELECT of (person_id, household_id) rows — the signatures of a pledge,
the acknowledgements of a notice (with Unit.PERSON a `person_id` column is enough). Everything
here is set-based Core over the place tree's path index: a 156,000-household district is a range
scan and an anti-join, never a loop over ORM objects.

Who must act is one of two things:
- a membership rule over a place (a pledge): approved members of households under
  `Duty.paths`, narrowed by relation or to rented households, counted by `unit`;
- the people the object names itself (a notice: whoever it was actually sent to — residents,
  volunteers, a tag group): `Duty(paths=..., people=<SELECT with a person_id column>)`.
  Counted by person (Unit.PERSON), wherever they live: the totals count everyone selected; the
  rows per building and unit and the list of who has not acted place them by their approved
  homes under `paths` (the viewer's scope), and someone with no home there — a volunteer, a
  resident of another area — counts in a row without a building (`by_building`) and is listed
  without a room (`not_acted`), never dropped from the totals.

Who must act and who can be reached are kept apart: totals and the lists of who has not acted
count everyone who must act, whether they can be messaged or not; reminders and announcements
go only to the reachable (consent given, not blocked).

Counting units (`Unit`):
- PERSON: each approved member who must act counts once (a person with homes in two buildings
  is one person in the totals, and counts in each building's row).
- HOUSEHOLD (户): each household counts once; any of its members may act for it.
- OWNER: owners as art. 278 of the Civil Code counts them (业主人数). Every household under the
  place belongs to one unit: households whose approved owners are the same set of people form
  one unit (an owner of three flats, or the developer's unsold flats, count once), and a
  household without an approved owner is a unit of its own (its owner has not joined yet, but
  still counts). A unit has acted when an action names one of its households; its owners are
  who may act and who is reminded. A vote gives its owners itself (`Duty.units`: its roll,
  frozen when voting opened, as art. 9 of the SPC's interpretation counts owners — an owner
  reference, the developer's units together; models/votes/roll.py): then only the roll's
  households count, each under its roll owner.

By part: `duty` (who must act, who has), `progress` (totals, per unit and building, who has
not); here the reminder log and the reminders. Everything public is importable from here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, exists, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ID, Base, utcnow
from models.errors import N_, Conflict
from models.outbox import enqueue_select
from models.participation.duty import (
    Duty,
    Query,
    Unit,
    counted,
    dialect_of,
    has_acted,
    member_conditions,
    must_act,
    reachable_conditions,
    under,
)
from models.participation.progress import (
    NOT_ACTED_HEADER,
    BuildingProgress,
    Headcount,
    Tally,
    UnitProgress,
    by_building,
    headcount,
    not_acted,
    not_acted_query,
    not_acted_table,
    progress,
    tally_by_child,
    totals,
)
from models.people import Person

__all__ = [
    "ALREADY_REMINDED", "NOT_ACTED_HEADER", "REMIND_EVERY", "BuildingProgress", "Duty",
    "Headcount", "Query", "Reminder", "headcount",
    "Tally", "Unit", "UnitProgress", "by_building", "counted", "has_acted",
    "member_conditions", "must_act", "not_acted", "not_acted_query", "not_acted_table",
    "progress", "reachable", "reachable_conditions", "reachable_count", "remind",
    "tally_by_child", "totals", "under",
]
REMIND_EVERY = dt.timedelta(days=1)  # at most one reminder per person per object per day
ALREADY_REMINDED = N_("Already reminded today: {count} people; you can remind them again "
                      "tomorrow.")


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


# --- who can be reached, reminders --------------------------------------------------------------


def reachable(duty: Duty) -> Query:
    """Distinct (chat_id, person_id) of everyone who must act and can be messaged."""
    return must_act(duty, None, "").where(*reachable_conditions()).distinct()


async def reachable_count(session: AsyncSession, duty: Duty) -> int:
    """How many people an announcement to those who must act would reach."""
    return int(await session.scalar(select(func.count()).select_from(
        reachable(duty).subquery())) or 0)


# A closing is the end of its day (23:59:59 in the community's zone: models.base.end_of_day).
# An automatic reminder "N days before closing" goes out at 10:00 that day, when people read
# their messages, not at 23:59, when quiet hours would hold it to 08:00 the next morning and
# leave the owner a day less than it said.
REMINDER_LEAD = dt.timedelta(hours=13, minutes=59, seconds=59)


def reminder_due(closes_at: dt.datetime, before: dt.timedelta) -> dt.datetime:
    """When the automatic reminder `before` a closing falls due: at 10:00 on that day."""
    return closes_at - before - REMINDER_LEAD


def _to_remind(duty: Duty, acted: Query, subject: str, subject_id: int,
               now: dt.datetime, dialect: str, *, reminded: bool = False) -> Query:
    """Who may be reminded now (`reminded`: instead, who was, in the last day)."""
    recently = exists().where(Reminder.subject == subject, Reminder.subject_id == subject_id,
                              Reminder.person_id == Person.id,
                              Reminder.reminded_at > now - REMIND_EVERY)
    return (must_act(duty, acted, dialect)
            .where(*reachable_conditions(), recently if reminded else ~recently).distinct())


async def remind(
    session: AsyncSession, duty: Duty, acted: Query, *, subject: str, subject_id: int,
    kind: str, payload: dict[str, Any], by_id: int | None, now: dt.datetime,
    topic: str | None = None,
) -> int:
    """Queue a reminder (outbox `kind`) to everyone reachable who must act and has not,
    skipping those reminded about this object in the last day, and log each one; in the
    caller's transaction (an automatic reminder: the due item's, so it happens exactly once).
    Returns how many were queued. Someone pressing "remind" (`by_id`) when everyone still to
    act was reminded in the last day is told so: Conflict, saying how many and when again."""
    dialect = dialect_of(session)
    people = _to_remind(duty, acted, subject, subject_id, now, dialect).subquery()
    count = await enqueue_select(session, select(people.c.chat_id, people.c.person_id),
                                 kind=kind, payload=payload, topic=topic, now=now)
    if count == 0 and by_id is not None:
        already = _to_remind(duty, acted, subject, subject_id, now, dialect, reminded=True)
        reminded = int(await session.scalar(select(func.count()).select_from(
            already.subquery())) or 0)
        if reminded:
            raise Conflict(ALREADY_REMINDED, count=reminded)
    # the same candidates, logged: written after the outbox rows so the set is unchanged
    people = _to_remind(duty, acted, subject, subject_id, now, dialect).subquery()
    await session.execute(insert(Reminder).from_select(
        ["subject", "subject_id", "person_id", "reminded_at", "by_id"],
        select(literal(subject), literal(subject_id), people.c.person_id,
               literal(now, Reminder.reminded_at.type), literal(by_id, Reminder.by_id.type))))
    return count
