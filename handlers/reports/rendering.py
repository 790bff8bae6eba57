"""How reports read: a report's summary (id, category, place, description, status, who has it,
its deadline), its history, the dispatch card, the assignee's and the reporter's messages, and
the outbox renderers that send them (rendered at send time, in the recipient's language)."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.buttons import keyboard
from bot.feature import Session
from bot.i18n import N_, Translator
from bot.outbox import Rendered
from handlers.reports.buttons import (
    AssignMenu,
    DeadlineMenu,
    MarkFixed,
    NotFixed,
    Rate,
    RejectMenu,
    Show,
    Start,
)
from models.people import Person
from models.places import get_place, label_of
from models.reports import core, departments, drafting
from models.reports.core import DISPATCH, FIXED_NOTICE, OPEN, TO_ASSIGNEE, TO_REPORTER, S
from models.reports.tables import PhotoStage, Report, ReportEvent
from models.telegram_limits import fit_lines, shorten

CAPTION = 1024  # Telegram's caption limit

STATUS = {S.DRAFT: N_("draft"), S.NEW: N_("new"), S.ASSIGNED: N_("assigned"),
          S.IN_PROGRESS: N_("in progress"), S.FIXED: N_("fixed, waiting for the reporter"),
          S.ACCEPTED: N_("accepted"), S.REOPENED: N_("reopened"), S.REJECTED: N_("rejected"),
          S.MERGED: N_("merged"), S.CLOSED_DEFAULT: N_("closed (accepted by default)"),
          S.CANCELLED: N_("cancelled")}
REASON = {"duplicate": N_("a duplicate of another report"),
          "not_ours": N_("not the community's responsibility"),
          "not_enough": N_("not enough information")}
ACTION = {"submit": N_("reported"), "assign": N_("assigned"), "deadline": N_("deadline set"),
          "reject": N_("rejected"), "merge": N_("merged"), "start": N_("work started"),
          "fix": N_("marked fixed"), "accept": N_("accepted"), "reopen": N_("reopened"),
          "close_default": N_("closed, accepted by default")}


def status_of(_: Translator, status: str) -> str:
    return _(STATUS[S(status)])


async def who_has(session: Session, report: Report, _: Translator) -> str:
    names = []
    if report.department_id is not None:
        names.append((await departments.get(session, report.department_id)).name)
    if report.assignee_id is not None:
        person = await session.get(Person, report.assignee_id)
        if person is not None:
            names.append(person.name)
    return " · ".join(escape(n) for n in names) or _("nobody yet")


async def summary(session: Session, report: Report, _: Translator, *,
                  full: bool = True) -> list[str]:
    category = await core.category_of(session, report)
    where = "—" if report.place_id is None else await label_of(
        session, await get_place(session, report.place_id), language=_.language)
    lines = [_("📸 <b>Report {id}</b>", id=report.short_id),
             _("📍 Where: {place}", place=escape(where)),
             _("🏷 Category: {category}", category=escape(
                 category.name_in(_.language) if category else "—"))]
    if report.description:
        lines.append(_("📝 {description}", description=escape(report.description)))
    if full:
        lines.append(_("📌 Status: {status}", status=status_of(_, report.status)))
        if report.department_id or report.assignee_id:
            lines.append(_("👷 Assigned to: {who}", who=await who_has(session, report, _)))
        if report.deadline and report.status in OPEN:
            lines.append(_("⏰ Deadline: {day}", day=_.when(report.deadline)))
        if report.rating:
            lines.append(_("⭐ Rating: {stars}", stars="★" * report.rating))
    return lines


def event_line(_: Translator, event: ReportEvent, actor: Person | None) -> str:
    who = escape(actor.name) if actor is not None else _("the bot")
    line = f"{_.when(event.at)} · {_(ACTION[event.action])} · {who}"
    if event.note:
        line += f" — {escape(event.note)}"
    return line


async def history_lines(session: Session, report: Report, _: Translator) -> list[str]:
    lines = ["", _("<b>History</b>")]
    for event in await core.history(session, report.id):
        actor = None if event.actor_id is None else await session.get(Person, event.actor_id)
        lines.append(event_line(_, event, actor))
    return lines


async def first_photo(session: Session, report: Report,
                      stage: PhotoStage = PhotoStage.BEFORE) -> str | None:
    photos = await drafting.photos(session, report.id, stage)
    return photos[-1 if stage == PhotoStage.AFTER else 0].file_id if photos else None


def card_markup(_: Translator, report: Report) -> InlineKeyboardMarkup | None:
    if report.status not in OPEN:
        return keyboard([(_("📜 History"), Show(report.id))])
    return keyboard([(_("👷 Assign"), AssignMenu(report.id)),
                     (_("⏰ Deadline"), DeadlineMenu(report.id))],
                    [(_("🚫 Reject"), RejectMenu(report.id)),
                     (_("📜 History"), Show(report.id))])


def assignee_markup(_: Translator, report: Report) -> InlineKeyboardMarkup | None:
    rows = []
    if report.status in (S.ASSIGNED, S.REOPENED):
        rows.append([(_("▶️ Start work"), Start(report.id))])
    if report.status in (S.ASSIGNED, S.IN_PROGRESS, S.REOPENED):
        rows.append([(_("✅ Mark fixed (send the after photo)"), MarkFixed(report.id))])
    rows.append([(_("📜 History"), Show(report.id))])
    return keyboard(*rows)


def rating_markup(_: Translator, report: Report) -> InlineKeyboardMarkup:
    return keyboard([(f"{n}⭐", Rate(report.id, n)) for n in range(1, 6)],
                    [(_("❌ Not fixed"), NotFixed(report.id))])


async def _loaded(session: Session, payload: dict[str, Any]
                  ) -> tuple[Report, ReportEvent | None] | None:
    report = await session.get(Report, payload["report_id"])
    if report is None:
        return None
    event = await session.get(ReportEvent, payload.get("event_id") or 0)
    return report, event


async def render_dispatch(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    """The dispatch card to a dispatcher: photo, place, category, and what to do with it."""
    loaded = await _loaded(session, payload)
    if loaded is None:
        return None
    report, _event = loaded
    lines = [_("🆕 <b>A new report to dispatch</b>"), *await summary(session, report, _)]
    photo = await first_photo(session, report)
    text = fit_lines(lines, CAPTION) if photo else fit_lines(lines)
    return Rendered(text, card_markup(_, report), photo=photo)


async def render_assignee(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    """To the assignee: given to them, reopened by the reporter (with why), accepted, or
    closed by default."""
    loaded = await _loaded(session, payload)
    if loaded is None or loaded[1] is None:
        return None
    report, event = loaded
    head = {"assign": _("👷 <b>Report {id} is assigned to you.</b>", id=report.short_id),
            "reopen": _("🔁 <b>Report {id} was reopened by its reporter:</b> {reason}",
                        id=report.short_id, reason=escape(event.note or "")),
            "accept": _("🎉 <b>Report {id} was accepted by its reporter</b> ({stars}).",
                        id=report.short_id, stars="★" * (report.rating or 0)),
            "close_default": _("✅ Report {id} is closed: the reporter did not answer, so the "
                               "fix counts as accepted.", id=report.short_id)}[event.action]
    lines = [head, *await summary(session, report, _)]
    if event.action in ("assign", "reopen"):
        photo = await first_photo(session, report)
        return Rendered(fit_lines(lines, CAPTION) if photo else fit_lines(lines),
                        assignee_markup(_, report), photo=photo)
    return Rendered(fit_lines(lines))


async def render_reporter(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    """To the reporter: each step of theirs, in their language."""
    loaded = await _loaded(session, payload)
    if loaded is None or loaded[1] is None:
        return None
    report, event = loaded
    rid = report.short_id
    if event.action == "assign":
        text = _("👷 Your report {id} is assigned to {who}; deadline {day}.", id=rid,
                 who=await who_has(session, report, _), day=_.when(report.deadline))
    elif event.action == "start":
        text = _("🛠 Work on your report {id} has started.", id=rid)
    elif event.action == "reject":
        text = _("🚫 Your report {id} was not taken up: {reason}. If you think that is wrong, "
                 "send a new report with more detail.", id=rid,
                 reason=_(REASON.get(report.reason or "", REASON["not_enough"])))
    elif event.action == "merge":
        into = core.short_id(report.merged_into_id or 0) if report.merged_into_id else "—"
        text = _("🔗 Your report {id} is the same problem as report {into}: it is followed "
                 "there.", id=rid, into=into)
    elif event.action == "close_default":
        text = _("✅ Your report {id} is closed: you did not answer, so the fix counts as "
                 "accepted.", id=rid)
    else:
        return None
    return Rendered(text, keyboard([(_("📜 History"), Show(report.id))]))


async def render_fixed(session: Session, payload: dict[str, Any],
                       _: Translator) -> Rendered | None:
    """To the reporter: fixed, the "after" photo, and rate it or say it is not fixed."""
    loaded = await _loaded(session, payload)
    if loaded is None:
        return None
    report, _event = loaded
    if report.status != S.FIXED:
        return None  # answered, reopened or closed meanwhile
    lines = [_("🔧 <b>Your report {id} is marked fixed.</b> Is it? Rate the fix from 1 to 5, or "
               "press “Not fixed” to reopen it.", id=report.short_id),
             *await summary(session, report, _, full=False)]
    photo = await first_photo(session, report, PhotoStage.AFTER)
    return Rendered(fit_lines(lines, CAPTION) if photo else fit_lines(lines),
                    rating_markup(_, report), photo=photo)


RENDERERS = {DISPATCH: render_dispatch, TO_ASSIGNEE: render_assignee,
             TO_REPORTER: render_reporter, FIXED_NOTICE: render_fixed}


def short(text: str) -> str:
    return shorten(text, 40)
