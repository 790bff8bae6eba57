"""Handling a report, each step one verb: the dispatcher assigns it (to a department, a
person, or a member of a department), sets its deadline, rejects it with a reason or merges
it into another; the assignee starts and marks it fixed with an "after" photo; the reporter
accepts the fix (1–5) or reopens it with a reason; a fix left unanswered for CLOSE_AFTER is
closed as accepted by default (a due item, run once by the tick).

Each verb checks the actor's role and scope (models/reports/core.py), moves the report along
the state machine with its history row, and writes the audit row and the outbox rows to the
people concerned, in one transaction. A move the machine does not allow is a Conflict, an
actor without the right a NotAllowed, bad input an Invalid: nothing is written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks, audit
from models.base import utcnow
from models.errors import N_, Invalid, NotAllowed, StaleButton
from models.outbox import enqueue
from models.people import Person, Role
from models.permissions import require_role, roles_at
from models.reports import departments
from models.reports.core import (
    CLOSE_AFTER,
    CLOSE_DUE,
    DISPATCHERS,
    ENDED,
    FEATURE,
    FIXED_NOTICE,
    REASONS,
    TO_ASSIGNEE,
    TO_REPORTER,
    S,
    check_move,
    community_of,
    get_report,
    is_assignee,
    move,
    place_of,
    require_assignee,
    require_dispatcher,
    require_reporter,
)
from models.reports.tables import (
    MAX_REASON,
    Department,
    DepartmentMember,
    PhotoStage,
    Report,
    ReportCategory,
    ReportEvent,
    ReportPhoto,
    ReportStatus,
)
from models.schedule import DueItem, schedule
from models.telegram_limits import utf16_len

MAX_DEADLINE_DAYS = 90
AFTER, REOPEN = "after", "reopen"  # the steps asked of an assignee and a reporter


def _to_reporter(session: AsyncSession, report: Report, reporter: Person | None,
                 event: ReportEvent, kind: str = TO_REPORTER) -> None:
    if reporter is not None and reporter.unreachable_at is None:
        enqueue(session, chat_id=reporter.telegram_id, person_id=reporter.id, kind=kind,
                payload={"report_id": report.id, "event_id": event.id}, topic=report.topic)


async def _to_assignees(session: AsyncSession, report: Report, event: ReportEvent,
                        skip: int | None = None) -> int:
    """The assignee (or every member of the assigned department) is told."""
    if report.assignee_id is not None:
        people = [p for p in [await session.get(Person, report.assignee_id)] if p is not None]
    elif report.department_id is not None:
        people = await departments.members(session, report.department_id)
    else:
        people = []
    sent = 0
    for person in people:
        if person.id == skip or person.unreachable_at is not None:
            continue
        enqueue(session, chat_id=person.telegram_id, person_id=person.id, kind=TO_ASSIGNEE,
                payload={"report_id": report.id, "event_id": event.id}, topic=report.topic)
        sent += 1
    return sent


async def _reporter(session: AsyncSession, report: Report) -> Person | None:
    return None if report.reporter_id is None else await session.get(Person,
                                                                     report.reporter_id)


def _audit(report: Report, session: AsyncSession, actor: Person | None, action: str,
           place_id: int | None, **detail: int | str | bool | None) -> None:
    audit.record(session, actor_id=actor.id if actor else None, action=f"report.{action}",
                 subject="report", subject_id=report.id, place_id=place_id, **detail)


# --- the dispatcher ---------------------------------------------------------------------------


async def assign(session: AsyncSession, *, report_id: int, actor: Person,
                 department_id: int | None = None, person_id: int | None = None,
                 now: dt.datetime | None = None) -> Report:
    """Give the report to a department of its community, or to a person: a member of such a
    department, or a staff or grid worker over its place. Reassigning is allowed until it is
    fixed."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    check_move(report, "assign")
    place = await require_dispatcher(session, report, actor)
    community = await community_of(session, place)
    if department_id is None and person_id is None:
        raise StaleButton()
    if department_id is not None:
        department = await departments.get(session, department_id)
        if department.community_id != community.id:
            raise NotAllowed(N_("That department does not work in this community."))
    if person_id is not None:
        person = await session.get(Person, person_id)
        if person is None:
            raise StaleButton()
        # a member of one of this community's departments (of that one, if named)
        member = await session.scalar(select(DepartmentMember.department_id).join(
            Department, Department.id == DepartmentMember.department_id).where(
            DepartmentMember.person_id == person_id, Department.community_id == community.id,
            *([DepartmentMember.department_id == department_id] if department_id else []))
            .limit(1))
        if member is None and not set(DISPATCHERS) & await roles_at(
                session, person_id=person_id, place=place):
            raise NotAllowed(N_("A report goes to a department's member, or to staff or a "
                                "grid worker of its place."))
    report.department_id, report.assignee_id = department_id, person_id
    if report.deadline is None:
        category = await session.get(ReportCategory, report.category_id) \
            if report.category_id else None
        days = category.deadline_days if category is not None else 3
        report.deadline = now + dt.timedelta(days=days)
    event = move(session, report, "assign", actor, now=now, department_id=department_id,
                 person_id=person_id)
    await session.flush()
    sent = await _to_assignees(session, report, event, skip=actor.id)
    _to_reporter(session, report, await _reporter(session, report), event)
    _audit(report, session, actor, "assign", place.id, department_id=department_id,
           person_id=person_id, notified=sent)
    await session.commit()
    return report


async def set_deadline(session: AsyncSession, *, report_id: int, actor: Person, days: int,
                       now: dt.datetime | None = None) -> Report:
    """The deadline, `days` from now (1 to 90)."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    check_move(report, "deadline")
    place = await require_dispatcher(session, report, actor)
    if not 1 <= days <= MAX_DEADLINE_DAYS:
        raise Invalid(N_("A deadline is 1 to {days} days away."), days=MAX_DEADLINE_DAYS)
    report.deadline = now + dt.timedelta(days=days)
    move(session, report, "deadline", actor, now=now, days=days)
    _audit(report, session, actor, "deadline", place.id, days=days)
    await session.commit()
    return report


async def reject(session: AsyncSession, *, report_id: int, actor: Person, reason: str,
                 now: dt.datetime | None = None) -> Report:
    """Refuse it, with one of REASONS; the reporter is told why."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    check_move(report, "reject")
    place = await require_dispatcher(session, report, actor)
    if reason not in REASONS:
        raise StaleButton()
    report.reason, report.closed_at = reason, now
    event = move(session, report, "reject", actor, now=now, reason=reason)
    await session.flush()
    _to_reporter(session, report, await _reporter(session, report), event)
    _audit(report, session, actor, "reject", place.id, reason=reason)
    await session.commit()
    return report


async def merge(session: AsyncSession, *, report_id: int, actor: Person, into_id: int,
                now: dt.datetime | None = None) -> Report:
    """The same problem as an open report of the same community: this one ends, pointing at
    it; the reporter is told which."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    check_move(report, "merge")
    place = await require_dispatcher(session, report, actor)
    target = await get_report(session, into_id)
    if target.id == report.id or target.status in ENDED or target.status == S.DRAFT:
        raise Invalid(N_("Merge into another report that is still open."))
    if (await community_of(session, await place_of(session, target))).id != (
            await community_of(session, place)).id:
        raise Invalid(N_("Merge into another report that is still open."))
    report.merged_into_id, report.closed_at = target.id, now
    event = move(session, report, "merge", actor, now=now, into=target.id)
    await session.flush()
    _to_reporter(session, report, await _reporter(session, report), event)
    _audit(report, session, actor, "merge", place.id, into=target.id)
    await session.commit()
    return report


# --- the assignee -----------------------------------------------------------------------------


async def start(session: AsyncSession, *, report_id: int, actor: Person,
                now: dt.datetime | None = None) -> Report:
    """The assignee is on it (the reporter is told)."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    check_move(report, "start")
    await require_assignee(session, report, actor)
    event = move(session, report, "start", actor, now=now)
    await session.flush()
    _to_reporter(session, report, await _reporter(session, report), event)
    _audit(report, session, actor, "start", report.place_id)
    await session.commit()
    return report


async def fix(session: AsyncSession, *, report_id: int, actor: Person, file_id: str,
              file_unique_id: str | None = None, note: str | None = None,
              now: dt.datetime | None = None) -> Report:
    """Fixed, shown by an "after" photo: the reporter is asked to accept or reopen it, and
    without an answer it closes by default after CLOSE_AFTER."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    check_move(report, "fix")
    await require_assignee(session, report, actor)
    if not file_id:
        raise Invalid(N_("Send a photo of the problem fixed."))
    if note is not None and utf16_len(note) > MAX_REASON:
        raise Invalid(N_("The note is too long: at most {limit} characters."),
                      limit=MAX_REASON)
    session.add(ReportPhoto(report_id=report.id, stage=PhotoStage.AFTER, file_id=file_id,
                            file_unique_id=file_unique_id, added_by_id=actor.id, added_at=now))
    await asks.clear(session, actor.id, feature=FEATURE, object_id=report.id)
    report.fixed_at = now
    if report.assignee_id is None:
        report.assignee_id = actor.id  # who of the department fixed it
    event = move(session, report, "fix", actor, note=note, now=now)
    await session.flush()
    _to_reporter(session, report, await _reporter(session, report), event, FIXED_NOTICE)
    schedule(session, kind=CLOSE_DUE, due_at=now + CLOSE_AFTER, ref_id=report.id,
             payload={"event_id": event.id})
    _audit(report, session, actor, "fix", report.place_id)
    await session.commit()
    return report


# --- the reporter -----------------------------------------------------------------------------


async def accept(session: AsyncSession, *, report_id: int, actor: Person, rating: int,
                 now: dt.datetime | None = None) -> Report:
    """The reporter accepts the fix with a 1–5 rating (once: a second rating is refused)."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    require_reporter(report, actor)
    check_move(report, "accept")
    if not 1 <= rating <= 5:
        raise StaleButton()
    await asks.clear(session, actor.id, feature=FEATURE, object_id=report.id)
    report.rating, report.closed_at = rating, now
    event = move(session, report, "accept", actor, now=now, rating=rating)
    await session.flush()
    await _to_assignees(session, report, event)
    await session.commit()
    return report


async def reopen(session: AsyncSession, *, report_id: int, actor: Person, reason: str,
                 now: dt.datetime | None = None) -> Report:
    """The reporter says it is not fixed: back to the same assignee, with the reason."""
    now = now or utcnow()
    report = await get_report(session, report_id)
    require_reporter(report, actor)
    check_move(report, "reopen")
    reason = " ".join(reason.split())
    if not reason:
        raise Invalid(N_("Say what is still wrong."))
    if utf16_len(reason) > MAX_REASON:
        raise Invalid(N_("The reason is too long: at most {limit} characters."),
                      limit=MAX_REASON)
    await asks.clear(session, actor.id, feature=FEATURE, object_id=report.id)
    report.reason, report.fixed_at = reason, None
    event = move(session, report, "reopen", actor, note=reason, now=now)
    await session.flush()
    await _to_assignees(session, report, event)
    await session.commit()
    return report


async def close_due(session: AsyncSession, item: DueItem, now: dt.datetime) -> None:
    """The effect of CLOSE_DUE: a fix still unanswered since the event that scheduled it is
    closed as accepted by default (a fix reopened and fixed again has its own item)."""
    report = await session.get(Report, item.ref_id)
    if report is None or report.status != ReportStatus.FIXED:
        return
    last = await session.scalar(select(ReportEvent.id).where(
        ReportEvent.report_id == report.id, ReportEvent.action == "fix")
        .order_by(ReportEvent.id.desc()).limit(1))
    if last != item.payload.get("event_id"):
        return
    report.closed_at = now
    event = move(session, report, "close_default", None, now=now)
    await session.flush()
    _to_reporter(session, report, await _reporter(session, report), event)
    await _to_assignees(session, report, event)
    _audit(report, session, None, "close_default", report.place_id)


async def require_viewer(session: AsyncSession, report: Report, person: Person) -> None:
    """Who may see a report and its history: its reporter, its assignee, dispatchers and
    supervisors over its place; anyone if it is public."""
    if report.public or report.reporter_id == person.id:
        return
    if await is_assignee(session, report, person):
        return
    await require_role(session, person_id=person.id, place=await place_of(session, report),
                       roles=(*DISPATCHERS, Role.SUPERVISOR))


# --- what a step asks for (models/asks.py: the next message goes there) ----------------------


async def ask_after_photo(session: AsyncSession, *, report_id: int, actor: Person) -> Report:
    """The assignee pressed "mark fixed": their next photo is the "after" photo."""
    report = await get_report(session, report_id)
    check_move(report, "fix")
    await require_assignee(session, report, actor)
    await asks.ask(session, person_id=actor.id, feature=FEATURE, step=AFTER, object_id=report.id)
    await session.commit()
    return report


async def ask_reopen_reason(session: AsyncSession, *, report_id: int, actor: Person) -> Report:
    """The reporter pressed "not fixed": their next message says what is still wrong."""
    report = await get_report(session, report_id)
    require_reporter(report, actor)
    check_move(report, "reopen")
    await asks.ask(session, person_id=actor.id, feature=FEATURE, step=REOPEN,
                   object_id=report.id)
    await session.commit()
    return report
