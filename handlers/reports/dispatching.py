"""Handling reports: the dispatch card's buttons (staff and grid workers over the place:
assign to a department or a person, set a deadline, reject with a reason shown to the
reporter), the assignee's (start, mark fixed with the "after" photo they are asked for) and
the reporter's answer to the fix (accept with a 1–5 rating, or "not fixed" with what is
still wrong, which reopens it). Every press is re-checked by its verb."""

from __future__ import annotations

from html import escape

from bot.buttons import keyboard
from bot.feature import Call
from handlers.reports.buttons import (
    AssignMenu,
    Card,
    Deadline,
    DeadlineMenu,
    MarkFixed,
    NotFixed,
    Rate,
    Reject,
    RejectMenu,
    Start,
    ToDepartment,
    ToPerson,
)
from handlers.reports.rendering import REASON, card_markup, summary
from handlers.reports.reporting import show
from models.permissions import holders
from models.reports import core, departments, handling
from models.telegram_limits import fit_lines


async def _card(call: Call[object], report_id: int, head: str = "") -> None:
    report = await handling.get_report(call.session, report_id)
    await core.require_dispatcher(call.session, report, call.actor)
    lines = ([head] if head else []) + await summary(call.session, report, call._)
    await show(call, fit_lines(lines), card_markup(call._, report))


async def on_card(call: Call[Card]) -> None:
    await _card(call, call.data.report_id)


async def on_assign_menu(call: Call[AssignMenu]) -> None:
    """The departments of the community (those that handle this first), then the staff and
    grid workers of the place."""
    _ = call._
    report = await handling.get_report(call.session, call.data.report_id)
    place = await core.require_dispatcher(call.session, report, call.actor)
    community = await core.community_of(call.session, place)
    rows = [[(f"🏢 {d.name}", ToDepartment(report.id, d.id))]
            for d in await departments.for_report(call.session, report, place, community)]
    rows += [[(f"👤 {p.name}", ToPerson(report.id, p.id))]
             for p in await holders(call.session, place=place, roles=core.DISPATCHERS)]
    rows.append([(_("◀ Back"), Card(report.id))])
    await show(call, _("👷 Who fixes report {id}?", id=report.short_id), keyboard(*rows))


async def _assigned(call: Call[object], report_id: int, **whom: int) -> None:
    report = await handling.assign(call.session, report_id=report_id, actor=call.actor, **whom)
    call.wake_outbox()
    await _card(call, report.id, call._("✅ Report {id} is assigned.", id=report.short_id))


async def on_to_department(call: Call[ToDepartment]) -> None:
    await _assigned(call, call.data.report_id, department_id=call.data.department_id)


async def on_to_person(call: Call[ToPerson]) -> None:
    await _assigned(call, call.data.report_id, person_id=call.data.person_id)


DEADLINES = (1, 3, 7, 14)


async def on_deadline_menu(call: Call[DeadlineMenu]) -> None:
    _ = call._
    report = await handling.get_report(call.session, call.data.report_id)
    await core.require_dispatcher(call.session, report, call.actor)
    rows = [[(_("{days} d", days=d), Deadline(report.id, d)) for d in DEADLINES],
            [(_("◀ Back"), Card(report.id))]]
    await show(call, _("⏰ Fixed within how many days?"), keyboard(*rows))


async def on_deadline(call: Call[Deadline]) -> None:
    report = await handling.set_deadline(call.session, report_id=call.data.report_id,
                                         actor=call.actor, days=call.data.days)
    await _card(call, report.id, call._("⏰ Deadline set."))


async def on_reject_menu(call: Call[RejectMenu]) -> None:
    _ = call._
    report = await handling.get_report(call.session, call.data.report_id)
    await core.require_dispatcher(call.session, report, call.actor)
    rows = [[(_(REASON[r]), Reject(report.id, r))] for r in core.REASONS]
    rows.append([(_("◀ Back"), Card(report.id))])
    await show(call, _("🚫 Why is report {id} rejected? The reporter is told.",
                       id=report.short_id), keyboard(*rows))


async def on_reject(call: Call[Reject]) -> None:
    report = await handling.reject(call.session, report_id=call.data.report_id,
                                   actor=call.actor, reason=call.data.reason)
    call.wake_outbox()
    await _card(call, report.id, call._("🚫 Report {id} is rejected: {reason}.",
                                        id=report.short_id, reason=call._(REASON[report.reason
                                                                                 or ""])))


# --- the assignee -----------------------------------------------------------------------------


async def on_start(call: Call[Start]) -> None:
    report = await handling.start(call.session, report_id=call.data.report_id,
                                  actor=call.actor)
    call.wake_outbox()
    await call.reply(call._("🛠 You are on report {id}; the reporter is told. When it is "
                            "fixed, press “Mark fixed” and send the after photo.",
                            id=report.short_id),
                     keyboard([(call._("✅ Mark fixed (send the after photo)"),
                                MarkFixed(report.id))]))


async def on_mark_fixed(call: Call[MarkFixed]) -> None:
    report = await handling.ask_after_photo(call.session, report_id=call.data.report_id,
                                            actor=call.actor)
    await call.reply(call._("📷 Send a photo of report {id} fixed (the “after” photo).",
                            id=report.short_id))


async def take_after_photo(call: Call[object]) -> None:
    ask = call.data
    photos = call.message.photo
    if not photos:
        await call.reply(call._("Report {id} waits for a photo of the problem fixed.",
                                id=core.short_id(ask.object_id or 0)))
        return
    report = await handling.fix(call.session, report_id=ask.object_id or 0, actor=call.actor,
                                file_id=photos[-1].file_id,
                                file_unique_id=photos[-1].file_unique_id,
                                note=call.message.caption)
    call.wake_outbox()
    await call.reply(call._("✅ Report {id} is marked fixed; the reporter is asked to accept "
                            "it.", id=report.short_id))


# --- the reporter's answer to a fix -------------------------------------------------------------


async def on_rate(call: Call[Rate]) -> None:
    report = await handling.accept(call.session, report_id=call.data.report_id,
                                   actor=call.me, rating=call.data.rating)
    call.wake_outbox()
    await call.mark(f"✅ {report.rating}⭐")
    await call.reply(call._("🎉 Thank you: report {id} is accepted, rated {stars}.",
                            id=report.short_id, stars="★" * (report.rating or 0)))


async def on_not_fixed(call: Call[NotFixed]) -> None:
    report = await handling.ask_reopen_reason(call.session, report_id=call.data.report_id,
                                              actor=call.me)
    await call.reply(call._("What is still wrong with report {id}? Send it in one message: "
                            "the report goes back to whoever fixed it.", id=report.short_id))


async def take_reopen_reason(call: Call[object]) -> None:
    ask = call.data
    if not call.message.text:
        await call.reply(call._("Send what is still wrong as a text message."))
        return
    report = await handling.reopen(call.session, report_id=ask.object_id or 0, actor=call.me,
                                   reason=call.message.text)
    call.wake_outbox()
    await call.reply(call._("🔁 Report {id} is reopened and sent back: “{reason}”.",
                            id=report.short_id, reason=escape(report.reason or "")))


BUTTONS = {Card: on_card, AssignMenu: on_assign_menu, ToDepartment: on_to_department,
           ToPerson: on_to_person, DeadlineMenu: on_deadline_menu, Deadline: on_deadline,
           RejectMenu: on_reject_menu, Reject: on_reject, Start: on_start,
           MarkFixed: on_mark_fixed, Rate: on_rate, NotFixed: on_not_fixed}
