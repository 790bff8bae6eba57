"""Writing a report, step by step, by its reporter: photos (0 to 5) → where (a place of their
own community) → category → an optional description → confirm. The draft is a `Report` row in
status draft with the step it waits for, and the step that wants a message (photos, the
description) is asked for through models/asks.py: a restart, or any worker, continues it.
Submitting moves it into the state machine (`new`) and sends the dispatch card to every
dispatcher whose scope contains the place, through the outbox, in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import asks, audit
from models.base import utcnow
from models.errors import N_, Conflict, Invalid, NotAllowed, StaleButton
from models.outbox import enqueue
from models.people import Membership, MembershipStatus, Person, RoleGrant
from models.permissions import holders
from models.places import Place, PlaceKind, get_place
from models.reports import categories as cats
from models.reports.core import DISPATCH, DISPATCHERS, FEATURE, community_of, move
from models.reports.tables import (
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    PhotoStage,
    Report,
    ReportCategory,
    ReportPhoto,
    ReportStatus,
    Step,
)
from models.telegram_limits import utf16_len

TYPED = (Step.PHOTOS, Step.DESCRIPTION)  # the steps that take a message (else buttons)
# a photo larger than this is refused before anything is stored (Telegram's file_size)
MAX_PHOTO_BYTES = 10 * 1024 * 1024
NO_PLACE = N_("You can report problems in your community once you have joined it.")


async def my_roots(session: AsyncSession, person: Person) -> list[Place]:
    """The communities a person may report in: those of their approved homes and of their
    grants."""
    homes = list(await session.scalars(select(Place).join(
        Membership, Membership.household_id == Place.id).where(
        Membership.person_id == person.id, Membership.status == MembershipStatus.APPROVED)))
    granted = list(await session.scalars(select(Place).join(
        RoleGrant, RoleGrant.place_id == Place.id).where(RoleGrant.person_id == person.id)))
    roots: dict[int, Place] = {}
    for p in [*homes, *granted]:
        c = await community_of(session, p)
        roots[c.id] = c
    return sorted(roots.values(), key=lambda p: p.path)


async def my_places(session: AsyncSession, person: Person) -> list[Place]:
    """The places a reporter picks from first: each home's building and the home itself."""
    homes = list(await session.scalars(select(Place).join(
        Membership, Membership.household_id == Place.id).where(
        Membership.person_id == person.id, Membership.status == MembershipStatus.APPROVED)
        .order_by(Place.path)))
    out: dict[int, Place] = {}
    for home in homes:
        ids = [int(i) for i in home.path.strip("/").split("/") if i]
        for pid in ids:
            p = await get_place(session, pid)
            if p.kind == PlaceKind.BUILDING:
                out[p.id] = p
        out[home.id] = home
    return list(out.values())


async def may_report_at(session: AsyncSession, person: Person, place: Place) -> bool:
    return any(place.path.startswith(r.path) for r in await my_roots(session, person))


async def _draft(session: AsyncSession, report_id: int, reporter: Person) -> Report:
    report = await session.get(Report, report_id)
    if report is None or report.status == ReportStatus.CANCELLED:
        raise StaleButton()
    if report.reporter_id != reporter.id:
        raise NotAllowed()
    if report.status != ReportStatus.DRAFT:
        raise Conflict(N_("Report {id} is sent already."), id=report.short_id)
    return report


async def _move(session: AsyncSession, report: Report, step: Step, person_id: int) -> None:
    """Put the draft at `step`, and ask for it: a typed step takes the next message, and at
    a step of buttons the next message is told what the draft waits for (not lost)."""
    report.step = step
    await asks.ask(session, person_id=person_id, feature=FEATURE, step=str(step),
                   object_id=report.id)


async def photos(session: AsyncSession, report_id: int, stage: PhotoStage = PhotoStage.BEFORE
                 ) -> list[ReportPhoto]:
    return list(await session.scalars(select(ReportPhoto).where(
        ReportPhoto.report_id == report_id, ReportPhoto.stage == stage)
        .order_by(ReportPhoto.id)))


async def start_draft(session: AsyncSession, *, reporter: Person) -> Report:
    """Begin a report, or continue the reporter's unfinished one where it stopped."""
    if not await my_roots(session, reporter):
        raise NotAllowed(NO_PLACE)
    report = await session.scalar(select(Report).where(
        Report.reporter_id == reporter.id, Report.status == ReportStatus.DRAFT)
        .order_by(Report.id.desc()))
    if report is None:
        report = Report(reporter_id=reporter.id, status=ReportStatus.DRAFT, step=Step.PHOTOS,
                        description="")
        session.add(report)
        await session.flush()
    await _move(session, report, Step(report.step), reporter.id)
    await session.commit()
    return report


async def add_photo(session: AsyncSession, *, report_id: int, reporter: Person, file_id: str,
                    file_unique_id: str | None = None, file_size: int | None = None) -> Report:
    """One more photo of the problem (at most MAX_PHOTOS; too large: refused)."""
    report = await _draft(session, report_id, reporter)
    if report.step != Step.PHOTOS:
        raise StaleButton()
    if file_size is not None and file_size > MAX_PHOTO_BYTES:
        raise Invalid(N_("That photo is too large (at most {mb} MB). Send a smaller one."),
                      mb=MAX_PHOTO_BYTES // (1024 * 1024))
    have = len(await photos(session, report.id))
    if have >= MAX_PHOTOS:
        raise Invalid(N_("A report has at most {count} photos: press Next."), count=MAX_PHOTOS)
    session.add(ReportPhoto(report_id=report.id, stage=PhotoStage.BEFORE, file_id=file_id,
                            file_unique_id=file_unique_id, added_by_id=reporter.id))
    await _move(session, report, Step.PHOTOS, reporter.id)
    await session.commit()
    return report


async def photos_done(session: AsyncSession, *, report_id: int, reporter: Person) -> Report:
    """On to where (with the photos so far, or none)."""
    report = await _draft(session, report_id, reporter)
    await _move(session, report, Step.PLACE, reporter.id)
    await session.commit()
    return report


async def set_place(session: AsyncSession, *, report_id: int, reporter: Person,
                    place_id: int) -> Report:
    report = await _draft(session, report_id, reporter)
    place = await get_place(session, place_id)
    if not await may_report_at(session, reporter, place):
        raise NotAllowed(N_("You can report problems only in your own community."))
    report.place_id = place.id
    await categories_for(session, report)  # (a community's defaults are made with it)
    await _move(session, report, Step.CATEGORY, reporter.id)
    await session.commit()
    return report


async def categories_for(session: AsyncSession, report: Report) -> list[ReportCategory]:
    if report.place_id is None:
        raise Invalid(N_("Choose where the problem is first."))
    return await cats.categories(session, await community_of(
        session, await get_place(session, report.place_id)))


async def set_category(session: AsyncSession, *, report_id: int, reporter: Person,
                       category_id: int) -> Report:
    report = await _draft(session, report_id, reporter)
    if category_id not in {c.id for c in await categories_for(session, report)}:
        raise StaleButton()
    report.category_id = category_id
    await _move(session, report, Step.DESCRIPTION, reporter.id)
    await session.commit()
    return report


async def set_description(session: AsyncSession, *, report_id: int, reporter: Person,
                          text: str | None) -> Report:
    """The description typed (None: none), then the confirmation."""
    report = await _draft(session, report_id, reporter)
    if report.step != Step.DESCRIPTION:
        raise StaleButton()
    text = (text or "").strip()
    if utf16_len(text) > MAX_DESCRIPTION:
        raise Invalid(N_("The description is too long: at most {limit} characters, and this "
                         "one has {count}. Send it shorter."), limit=MAX_DESCRIPTION,
                      count=utf16_len(text))
    report.description = text
    await _move(session, report, Step.CONFIRM, reporter.id)
    await session.commit()
    return report


async def go_to(session: AsyncSession, *, report_id: int, reporter: Person,
                step: Step) -> Report:
    """Back to a step from the confirmation (or forward past an empty one)."""
    report = await _draft(session, report_id, reporter)
    await _move(session, report, step, reporter.id)
    await session.commit()
    return report


async def resume(session: AsyncSession, *, report_id: int, reporter: Person) -> Report:
    """The reporter's draft at its step (to show it again)."""
    return await _draft(session, report_id, reporter)


async def cancel(session: AsyncSession, *, report_id: int, reporter: Person) -> None:
    report = await _draft(session, report_id, reporter)
    report.status = ReportStatus.CANCELLED
    await asks.clear_object(session, feature=FEATURE, object_id=report.id)
    await session.commit()


async def submit(session: AsyncSession, *, report_id: int, reporter: Person,
                 now: dt.datetime | None = None) -> tuple[Report, int]:
    """Send the report: `new`, its history's first row, and the dispatch card to every
    dispatcher over its place (through the outbox), in one transaction; (report, how many
    dispatchers)."""
    now = now or utcnow()
    report = await _draft(session, report_id, reporter)
    if report.place_id is None or report.category_id is None:
        raise Invalid(N_("The report is not complete: it needs where and a category."))
    place = await get_place(session, report.place_id)
    if not await may_report_at(session, reporter, place):
        raise NotAllowed(N_("You can report problems only in your own community."))
    event = move(session, report, "submit", reporter, now=now)
    report.submitted_at, report.step = now, Step.CONFIRM
    await asks.clear_object(session, feature=FEATURE, object_id=report.id)
    await session.flush()
    staff = await holders(session, place=place, roles=DISPATCHERS)
    for person in staff:
        enqueue(session, chat_id=person.telegram_id, person_id=person.id, kind=DISPATCH,
                payload={"report_id": report.id, "event_id": event.id}, topic=report.topic,
                subject=f"report:{report.id}")
    audit.record(session, actor_id=reporter.id, action="report.submit", subject="report",
                 subject_id=report.id, place_id=place.id, dispatchers=len(staff))
    await session.commit()
    return report, len(staff)


async def reports_of(session: AsyncSession, person: Person, limit: int = 20) -> list[Report]:
    """A reporter's sent reports, newest first."""
    return list(await session.scalars(select(Report).where(
        Report.reporter_id == person.id,
        Report.status.not_in((ReportStatus.DRAFT, ReportStatus.CANCELLED)))
        .order_by(Report.id.desc()).limit(limit)))


async def count_photos(session: AsyncSession, report_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(ReportPhoto).where(
        ReportPhoto.report_id == report_id, ReportPhoto.stage == PhotoStage.BEFORE)) or 0)
