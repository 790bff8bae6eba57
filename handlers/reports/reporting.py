"""Reporting a problem (residents, and anyone with a place in a community): /report or
«📸 Report a problem» → photos (sent one by one, up to five, or none) → where (one of my
places, or the place tree of my community; sharing a location comes later) → category →
an optional description (typed) → confirm; then the report's id, and /myreports lists them.
The draft lives in the database with the question its step asks (models/asks.py)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.buttons import keyboard
from bot.feature import Call
from handlers.places_picker import level
from handlers.reports.buttons import (
    Back,
    Cancel,
    Category,
    Here,
    MyReports,
    NewReport,
    NoDescription,
    PhotosDone,
    Show,
    Submit,
    Where,
)
from handlers.reports.rendering import history_lines, status_of, summary
from models.places import children, get_place
from models.reports import core, drafting, handling
from models.reports.tables import MAX_PHOTOS, Report, Step
from models.telegram_limits import button_label, fit_lines


async def show(call: Call[object], text: str, markup: InlineKeyboardMarkup | None) -> None:
    """In place of the pressed message when it is text; a photo's buttons get a new one."""
    query = call.update.callback_query
    if query is not None and query.message is not None and not getattr(
            query.message, "text", None):
        await call.reply(text, markup)
        return
    await call.show(text, markup)


async def start(call: Call[object]) -> None:
    """/report, or the menu's button: the draft at its step; `/report R-000123`: that report
    and its history, to those who may see it."""
    args = call.context.args if not call.is_button else None
    if args:
        await show_report(call, core.parse_short_id(args[0]))
        return
    report = await drafting.start_draft(call.session, reporter=call.me)
    await show_step(call, report)


def _cancel(call: Call[object], report: Report) -> tuple[str, Cancel]:
    return (call._("🗑 Cancel the report"), Cancel(report.id))


async def show_step(call: Call[object], report: Report, *, browse: int = 0,
                    page: int = 0, new: bool = False) -> None:
    _ = call._
    step = Step(report.step)
    if step == Step.PHOTOS:
        n = await drafting.count_photos(call.session, report.id)
        text = _("📸 <b>New report</b> — send up to {max} photos of the problem, one by one "
                 "(or none, for a noise complaint), then press “Next”.", max=MAX_PHOTOS)
        if n:
            text += "\n" + _("Photos received: {n} of {max}.", n=n, max=MAX_PHOTOS)
        markup = keyboard([(_("Next ▶"), PhotosDone(report.id))], [_cancel(call, report)])
    elif step == Step.PLACE:
        text, markup = await _where(call, report, browse, page)
    elif step == Step.CATEGORY:
        cats = await drafting.categories_for(call.session, report)
        rows = [[(c.name_in(_.language), Category(report.id, c.id)) for c in cats[i:i + 3]]
                for i in range(0, len(cats), 3)]
        text = _("🏷 What kind of problem is it?")
        markup = keyboard(*rows, [_cancel(call, report)])
    elif step == Step.DESCRIPTION:
        text = _("📝 Describe the problem in one message (what, and exactly where), or press "
                 "“No description”.")
        markup = keyboard([(_("No description ▶"), NoDescription(report.id))],
                          [_cancel(call, report)])
    else:
        text, markup = await _confirm(call, report)
    if new:
        await call.reply(text, markup)
    else:
        await show(call, text, markup)


async def _where(call: Call[object], report: Report, browse: int, page: int
                 ) -> tuple[str, InlineKeyboardMarkup]:
    _ = call._
    text = _("📍 Where is the problem? Choose one of your places, or look for the place in "
             "your community. (Sharing a location will come later.)")
    if not browse:
        rows = [[(p.name_in(_.language), Here(report.id, p.id))]
                for p in await drafting.my_places(call.session, call.me)]
        rows += [[(_("🔎 {community}: choose a place", community=c.name_in(_.language)),
                   Where(report.id, c.id, 0))]
                 for c in await drafting.my_roots(call.session, call.me)]
        return text, keyboard(*rows, [_cancel(call, report)])
    place = await get_place(call.session, browse)
    if not await drafting.may_report_at(call.session, call.me, place):
        from models.errors import NotAllowed

        raise NotAllowed()
    roots = {r.id for r in await drafting.my_roots(call.session, call.me)}
    up = Where(report.id, place.parent_id or 0, 0) if place.id not in roots else \
        Where(report.id, 0, 0)
    markup = level(_, await children(call.session, place.id), page=page,
                   open_=lambda p: Where(report.id, p.id, 0),
                   page_data=lambda n: Where(report.id, place.id, n), up=up,
                   extra=[Here(report.id, place.id).button(
                       _("✅ Here: {place}", place=place.name_in(_.language)))])
    return f"{text}\n<b>{escape(place.name_in(_.language))}</b>", markup


async def _confirm(call: Call[object], report: Report) -> tuple[str, InlineKeyboardMarkup]:
    _ = call._
    n = await drafting.count_photos(call.session, report.id)
    lines = [_("Please check your report, then send it."),
             *(await summary(call.session, report, _, full=False))[1:],
             _("📷 Photos: {n}", n=n)]
    markup = keyboard([(_("📨 Send the report"), Submit(report.id))],
                      [(_("✏️ Photos"), Back(report.id, "photos")),
                       (_("✏️ Where"), Back(report.id, "place"))],
                      [(_("✏️ Category"), Back(report.id, "category")),
                       (_("✏️ Description"), Back(report.id, "description"))],
                      [_cancel(call, report)])
    return fit_lines(lines), markup


async def on_new(call: Call[NewReport]) -> None:
    await start(call)


async def on_photos_done(call: Call[PhotosDone]) -> None:
    report = await drafting.photos_done(call.session, report_id=call.data.report_id,
                                        reporter=call.me)
    await show_step(call, report)


async def on_where(call: Call[Where]) -> None:
    report = await drafting.go_to(call.session, report_id=call.data.report_id,
                                  reporter=call.me, step=Step.PLACE)
    await show_step(call, report, browse=call.data.place_id, page=call.data.page)


async def on_here(call: Call[Here]) -> None:
    report = await drafting.set_place(call.session, report_id=call.data.report_id,
                                      reporter=call.me, place_id=call.data.place_id)
    await show_step(call, report)


async def on_category(call: Call[Category]) -> None:
    report = await drafting.set_category(call.session, report_id=call.data.report_id,
                                         reporter=call.me, category_id=call.data.category_id)
    await show_step(call, report)


async def on_no_description(call: Call[NoDescription]) -> None:
    report = await drafting.set_description(call.session, report_id=call.data.report_id,
                                            reporter=call.me, text=None)
    await show_step(call, report)


async def on_back(call: Call[Back]) -> None:
    report = await drafting.go_to(call.session, report_id=call.data.report_id,
                                  reporter=call.me, step=Step(call.data.step))
    await show_step(call, report)


async def on_cancel(call: Call[Cancel]) -> None:
    await drafting.cancel(call.session, report_id=call.data.report_id, reporter=call.me)
    await show(call, call._("The report is cancelled."),
               keyboard([(call._("📸 Report a problem"), NewReport())]))


async def on_submit(call: Call[Submit]) -> None:
    report, _n = await drafting.submit(call.session, report_id=call.data.report_id,
                                       reporter=call.me)
    call.wake_outbox()
    await show(call, call._("✅ Your report <b>{id}</b> is sent to the community office. You "
                            "will hear of each step here.", id=report.short_id),
               keyboard([(call._("📋 My reports"), MyReports())]))


async def my_reports(call: Call[object]) -> None:
    """/myreports: what I reported, newest first, each opening its history."""
    _ = call._
    mine = await drafting.reports_of(call.session, call.me)
    if not mine:
        await show(call, _("You have not reported anything yet."),
                   keyboard([(_("📸 Report a problem"), NewReport())]))
        return
    rows = [[(button_label(r.short_id, f" · {status_of(_, r.status)}"), Show(r.id))]
            for r in mine]
    await show(call, _("<b>My reports</b>"), keyboard(*rows))


async def on_my_reports(call: Call[MyReports]) -> None:
    await my_reports(call)


async def on_show(call: Call[Show]) -> None:
    await show_report(call, call.data.report_id)


async def show_report(call: Call[object], report_id: int) -> None:
    """A report and its history, to those who may see it."""
    _ = call._
    report = await handling.get_report(call.session, report_id)
    await handling.require_viewer(call.session, report, call.actor)
    lines = [*await summary(call.session, report, _),
             *await history_lines(call.session, report, _)]
    await call.reply(fit_lines(lines))


async def take_photo(call: Call[object]) -> None:
    """A photo for the draft that asked for photos (anything else: what it waits for)."""
    ask = call.data
    photos = call.message.photo
    if not photos:
        await _waiting(call, ask.object_id or 0)
        return
    biggest = photos[-1]
    report = await drafting.add_photo(call.session, report_id=ask.object_id or 0,
                                      reporter=call.me, file_id=biggest.file_id,
                                      file_unique_id=biggest.file_unique_id,
                                      file_size=biggest.file_size)
    await show_step(call, report, new=True)


async def take_description(call: Call[object]) -> None:
    ask = call.data
    if not call.message.text:
        await _waiting(call, ask.object_id or 0)
        return
    report = await drafting.set_description(call.session, report_id=ask.object_id or 0,
                                            reporter=call.me, text=call.message.text)
    await show_step(call, report, new=True)


async def _waiting(call: Call[object], report_id: int) -> None:
    """Something else sent mid-report: say what the draft waits for, with a cancel button."""
    _ = call._
    await call.reply(_("Your report is waiting for a photo or a description as asked above; "
                       "or cancel it."), keyboard([(_("🗑 Cancel the report"), Cancel(report_id))]))


BUTTONS = {NewReport: on_new, MyReports: on_my_reports, PhotosDone: on_photos_done,
           Where: on_where, Here: on_here, Category: on_category,
           NoDescription: on_no_description, Back: on_back, Cancel: on_cancel,
           Submit: on_submit, Show: on_show}


async def take_other(call: Call[object]) -> None:
    """A message while the draft waits for a button (where, the category, the confirmation):
    what it waits for, with a cancel button, and the step again below."""
    _ = call._
    report_id = call.data.object_id or 0  # type: ignore[attr-defined]
    await call.reply(_("Your report is waiting for you to press one of the buttons below; or "
                       "cancel it."), keyboard([(_("🗑 Cancel the report"), Cancel(report_id))]))
    report = await drafting.resume(call.session, report_id=report_id, reporter=call.me)
    await show_step(call, report, new=True)
