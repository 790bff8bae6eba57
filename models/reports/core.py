"""The report state machine and what every verb starts with: the statuses, which move is
allowed from which status and by whom, loading a report, the categories of a community, and
`move`, the one place a status changes (the history row with it).

    draft ─submit→ new ─assign→ assigned ─start→ in progress ─fix→ fixed ─accept→ accepted
                     │            ▲  │ (reassign)      │ (fix)         │
                     │            │  └──────fix────────┴───────────────┤ ─reopen→ reopened
                     │            └──────────assign (reopened)──────────┘     │ (start, fix)
      new, assigned, in progress, reopened ─reject→ rejected   ─merge→ merged
      fixed ─(no answer in CLOSE_AFTER, the scheduler)→ closed by default

Who: dispatchers (staff and grid workers whose grant covers the report's place) assign,
reject, merge and set deadlines; the assignee (the person, or a member of the department)
starts and fixes; the reporter accepts (1–5) or reopens. Every verb checks it here, on the
server, whatever the button said.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import N_, Conflict, Invalid, NotAllowed, NotFound
from models.outbox import declare_kind
from models.people import Person, Role
from models.permissions import require_role
from models.places import Place, PlaceKind, ancestors, get_place
from models.reports.tables import (
    DepartmentMember,
    Report,
    ReportCategory,
    ReportEvent,
    ReportStatus,
)
from models.schedule import declare_due_kind

FEATURE = "reports"  # as its questions (models/asks.py) record it
S = ReportStatus
DISPATCHERS: tuple[Role, ...] = (Role.STAFF, Role.GRID_WORKER)
OPEN = (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED)  # handled, not yet fixed
ENDED = (S.ACCEPTED, S.REJECTED, S.MERGED, S.CLOSED_DEFAULT)
CLOSE_AFTER = dt.timedelta(days=7)  # a fix the reporter does not answer: accepted by default

# action → (the statuses it may leave, the status it reaches; None: stays)
MOVES: dict[str, tuple[tuple[ReportStatus, ...], ReportStatus | None]] = {
    "submit": ((S.DRAFT,), S.NEW),
    "assign": ((S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED), S.ASSIGNED),
    "deadline": (OPEN, None),
    "reject": (OPEN, S.REJECTED),
    "merge": (OPEN, S.MERGED),
    "start": ((S.ASSIGNED, S.REOPENED), S.IN_PROGRESS),
    "fix": ((S.ASSIGNED, S.IN_PROGRESS, S.REOPENED), S.FIXED),
    "accept": ((S.FIXED,), S.ACCEPTED),
    "reopen": ((S.FIXED,), S.REOPENED),
    "close_default": ((S.FIXED,), S.CLOSED_DEFAULT),
}
# rejection reasons a dispatcher picks (shown to the reporter)
REASONS = ("duplicate", "not_ours", "not_enough")

# outbox kinds: the dispatch card to dispatchers; to the assignee (assigned, reopened,
# accepted); to the reporter (every step of theirs, the fix with its accept/reopen buttons)
DISPATCH, TO_ASSIGNEE, TO_REPORTER, FIXED_NOTICE = ("report.dispatch", "report.assignee",
                                                    "report.reporter", "report.fixed")
declare_kind(DISPATCH, TO_ASSIGNEE, TO_REPORTER, FIXED_NOTICE)
CLOSE_DUE = "report.close_default"
declare_due_kind(CLOSE_DUE)

WRONG_STATE = N_("That cannot be done to report {id} in the state it is in now. Open it again "
                 "to see where it stands.")
NOT_YOURS = N_("Only the person or department report {id} is assigned to can do that.")


async def get_report(session: AsyncSession, report_id: int) -> Report:
    report = await session.get(Report, report_id)
    if report is None or report.status == S.CANCELLED:
        raise NotFound(N_("That report does not exist."))
    return report


def parse_short_id(text: str) -> int:
    """A report's id as people type it: R-000123, r123 or 123."""
    found = re.fullmatch(r"[Rr]?-?0*(\d{1,12})", text.strip())
    if found is None:
        raise Invalid(N_("That is not a report number: they look like R-000123."))
    return int(found.group(1))


def check_move(report: Report, action: str) -> ReportStatus:
    """The status `action` takes the report to (its own if it stays); Conflict if not from
    here."""
    sources, target = MOVES[action]
    if report.status not in sources:
        raise Conflict(WRONG_STATE, id=report.short_id)
    return target or ReportStatus(report.status)


def move(session: AsyncSession, report: Report, action: str, actor: Person | None, *,
         note: str | None = None, now: dt.datetime, **detail: int | str | None) -> ReportEvent:
    """Take the report along `action` (checked), with its history row, in the caller's
    transaction."""
    target = check_move(report, action)
    event = ReportEvent(report_id=report.id, at=now, actor_id=actor.id if actor else None,
                        action=action, from_status=report.status, to_status=target, note=note,
                        detail={k: v for k, v in detail.items() if v is not None})
    report.status = target
    session.add(event)
    return event


async def place_of(session: AsyncSession, report: Report) -> Place:
    if report.place_id is None:
        raise NotFound()
    return await get_place(session, report.place_id)


async def community_of(session: AsyncSession, place: Place) -> Place:
    """The community a place is in (the place itself, or the top one if above)."""
    chain = await ancestors(session, place)
    for p in chain:
        if p.kind == PlaceKind.COMMUNITY:
            return p
    return chain[-1] if chain else place


async def require_dispatcher(session: AsyncSession, report: Report, actor: Person) -> Place:
    """The report's place, if `actor` may dispatch it (staff or grid worker over it)."""
    place = await place_of(session, report)
    try:
        await require_role(session, person_id=actor.id, place=place, roles=DISPATCHERS)
    except NotAllowed:
        raise NotAllowed(N_("Only staff and grid workers of the place of report {id} can "
                            "handle it."), id=report.short_id) from None
    return place


async def is_assignee(session: AsyncSession, report: Report, person: Person) -> bool:
    if report.assignee_id is not None:
        return report.assignee_id == person.id
    if report.department_id is None:
        return False
    return bool(await session.scalar(select(exists().where(
        DepartmentMember.department_id == report.department_id,
        DepartmentMember.person_id == person.id))))


async def require_assignee(session: AsyncSession, report: Report, actor: Person) -> None:
    if not await is_assignee(session, report, actor):
        raise NotAllowed(NOT_YOURS, id=report.short_id)


def require_reporter(report: Report, actor: Person) -> None:
    if report.reporter_id != actor.id:
        raise NotAllowed(N_("Only the person who reported {id} can answer for it."),
                         id=report.short_id)


async def category_of(session: AsyncSession, report: Report) -> ReportCategory | None:
    return None if report.category_id is None else await session.get(
        ReportCategory, report.category_id)


async def history(session: AsyncSession, report_id: int) -> list[ReportEvent]:
    return list(await session.scalars(select(ReportEvent).where(
        ReportEvent.report_id == report_id).order_by(ReportEvent.id)))
