"""What is current (#13): the composer's "valid until" choice, a resident's notices — what they
were sent and what is still current for their places, also from before they joined — each
opened with its "Got it", and what waits for a new member, listed in their welcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.feature import Call, Session
from bot.i18n import Translator, is_end_of_day
from bot.waiting import Waits
from handlers.notices import buttons as b
from handlers.notices.rendering import button_text, first_line, render_notice
from models import notices as svc
from models.errors import StaleButton
from models.notices import Notice
from models.people import Person
from models.telegram_limits import fit_lines


def valid_label(_: Translator, notice: Notice) -> str:
    if notice.valid_until is None:
        return _("📅 Current until: cancelled")
    return _("📅 Current until {day}", day=_.short_day(notice.valid_until))


def valid_line(_: Translator, notice: Notice) -> str | None:
    """The preview's line saying until when it is current, if the author chose a time."""
    if notice.valid_until is None:
        return None
    return _("Current until {when}; after that new members no longer see it.",
             when=_.deadline(notice.valid_until))


def end_of_day(day: dt.datetime) -> dt.datetime:
    return day.replace(hour=23, minute=59, second=59, microsecond=0)


async def valid_menu(call: Call[b.ValidMenu]) -> None:
    """Offer until when the notice stays current (what a member who joins later still sees)."""
    notice = await svc.own_draft(call.session, notice_id=call.data.notice_id,
                                 author=call.actor)
    _ = call._
    today = end_of_day(dt.datetime.now(call.tz))
    options = [(_("Until the end of today"), today),
               (_("Until the end of tomorrow"), today + dt.timedelta(days=1)),
               (_("For a week"), today + dt.timedelta(days=7)),
               (_("For a month"), today + dt.timedelta(days=30))]
    rows = [[b.ValidUntil(notice.id, int(at.timestamp())).button(text)]
            for text, at in options]
    rows.append([b.ValidUntil(notice.id, 0).button(_("Until I cancel it"))])
    rows.append([b.BackToPreview(notice.id).button(_("◀ Back"))])
    await call.edit(_("Until when is this notice current? Until then, people who join later "
                      "are shown it too."), InlineKeyboardMarkup(rows))


async def valid_until(call: Call[b.ValidUntil]) -> None:
    """Store until when it is current, then show the preview again."""
    from handlers.notices.composing import show_preview  # (the composer opens this menu)

    try:
        until = dt.datetime.fromtimestamp(call.data.at, dt.UTC) if call.data.at else None
    except (OverflowError, OSError, ValueError):
        raise StaleButton() from None
    if until is not None and not is_end_of_day(until.astimezone(call.tz)):
        raise StaleButton()  # (the menu offers ends of days only)
    notice = await svc.set_valid_until(call.session, notice_id=call.data.notice_id,
                                       author=call.actor, until=until)
    await show_preview(call, notice)


async def resident_notices(call: Call[Any]) -> None:
    """A resident's notices: sent to them, or current for their places; each opens."""
    _ = call._
    notices = await svc.listed_for(call.session, call.me)
    lines = [_("<b>Recent notices</b>")]
    lines += [f"• {_.short_day(n.sent_at)} {first_line(n, _.language)}" for n in notices]
    if not notices:
        lines.append(_("No notices yet."))
    rows = [[b.OpenNotice(n.id).button(button_text(n, _.language))] for n in notices]
    await call.show(fit_lines(lines), InlineKeyboardMarkup(rows) if rows else None)


async def open_notice(call: Call[b.OpenNotice]) -> None:
    """Show the notice itself, with its "Got it"."""
    notice = await svc.shown_to(call.session, notice_id=call.data.notice_id, person=call.me)
    rendered = await render_notice(call.session, {"notice_id": notice.id}, call._)
    if rendered is None:
        raise StaleButton()
    bot, chat = call.context.bot, call.chat_id
    if rendered.photo:
        await bot.send_photo(chat, rendered.photo, caption=rendered.text,
                             reply_markup=rendered.markup, parse_mode=ParseMode.HTML)
    elif rendered.document:
        await bot.send_document(chat, rendered.document, caption=rendered.text,
                                reply_markup=rendered.markup, parse_mode=ParseMode.HTML)
    else:
        await call.reply(rendered.text, rendered.markup)


async def waiting(session: Session, person: Person, _: Translator) -> list[Waits]:
    """Current notices the person has not confirmed yet (for the welcome)."""
    return [Waits(_("📢 Notice: {text}", text=first_line(n, _.language)),
                  button_text(n, _.language), b.OpenNotice(n.id))
            for n in await svc.unacknowledged_for(session, person)]
