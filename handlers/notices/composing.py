"""Composing a notice: /notice → text (or photo/document) → area → who → preview with the exact
count → send now or schedule. The draft lives in the database and asks for what it wants
typed (models/asks.py), so the next free message goes to it only while it waits for one."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.buttons import keyboard
from bot.feature import Call
from bot.i18n import N_, Translator
from handlers.labels import TAGS, TARGETS
from handlers.notices import buttons as b
from handlers.notices.current import valid_label, valid_line
from handlers.places_picker import drill, place_name
from models import notices as svc
from models.asks import Ask
from models.errors import Invalid, NotAllowed, StaleButton
from models.notices import Notice, NoticeStatus, Target
from models.people import Tag
from models.permissions import MANAGERS
from models.places import PlaceKind
from models.telegram_limits import MESSAGE, shorten, visible_len

ALLOWED_DOCUMENTS = {
    "application/pdf", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint", "text/plain", "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
LANGUAGE_BUTTON = {"en": N_("➕ Add an English text"), "zh_CN": N_("➕ Add a Chinese text")}


def cancel_button(_: Translator, notice_id: int) -> InlineKeyboardButton:
    return b.Discard(notice_id).button(_("✖ Cancel"))


async def draft(call: Call[Any]) -> Notice:
    """The pressing author's draft the button is about."""
    return await svc.own_draft(call.session, notice_id=call.data.notice_id, author=call.actor)


async def new_notice(call: Call[Any]) -> None:
    """Start a notice draft and ask for its text."""
    if call.person is None:
        raise NotAllowed(N_("Only staff and grid workers can publish notices."))
    notice = await svc.start_draft(call.session, author=call.person)
    _ = call._
    await call.reply(_("<b>New notice</b>\nSend me its text. You can also send a photo or a "
                       "document (PDF, Word, Excel) with the text as its caption."),
                     InlineKeyboardMarkup([[cancel_button(_, notice.id)]]))


# --- what it asked for: its text, or a time -------------------------------------------------


def _media(message: Message) -> tuple[str | None, str | None, int | None]:
    """(kind, file id, size in bytes) of the message's photo or document, if any."""
    if message.photo:
        largest = message.photo[-1]
        return "photo", largest.file_id, largest.file_size
    if message.document:
        doc = message.document
        if (doc.mime_type or "") not in ALLOWED_DOCUMENTS:
            raise Invalid(N_("That kind of file cannot be sent with a notice. Please send a "
                             "photo, or a PDF, Word, Excel or text document."))
        return "document", doc.file_id, doc.file_size
    if message.text is None:
        raise Invalid(N_("Please send text, a photo or a document for the notice."))
    return None, None, None


async def take_text(call: Call[Ask]) -> None:
    """The draft's text (in one language, or for everyone), with a photo or document."""
    notice = await svc.own_draft(call.session, notice_id=call.data.object_id or 0,
                                 author=call.me)
    message = call.message
    media_kind, file_id, size = _media(message)
    language = notice.step.removeprefix("text_") if notice.step.startswith("text_") else "*"
    await svc.set_text(call.session, draft=notice, text=message.text or message.caption or "",
                       language=language, media_kind=media_kind, media_file_id=file_id,
                       media_size=size)
    if notice.step == "place":
        await ask_place(call, notice)
    else:
        await show_preview(call, notice)


async def take_time(call: Call[Ask]) -> None:
    """The time the draft goes out at, typed."""
    at = svc.parse_time(call.message.text or "", tz=call.tz)
    notice = await svc.schedule_at(call.session, notice_id=call.data.object_id or 0,
                                   author=call.me, at=at)
    await scheduled(call, notice, at)


async def scheduled(call: Call[Any], notice: Notice, at: dt.datetime) -> None:
    await call.show(call._("🕒 Scheduled for {time}. It will go to everyone in the area as it "
                           "is then.", time=call._.when(at, zone=True))
                    + quiet_note(call, notice, at),
                    keyboard([(call._("✖ Cancel this notice"), b.Cancel(notice.id))]))


# --- where, and who in it -------------------------------------------------------------------


async def area_picker(call: Call[Any], notice: Notice, place_id: int,
                      page: int) -> tuple[str, InlineKeyboardMarkup]:
    text, markup = await drill(
        call.session, call._, viewer=call.actor, roles=MANAGERS, place_id=place_id,
        page=page, choose=lambda place: b.PlaceChosen(notice.id, place),
        down=lambda place, n: b.Area(notice.id, place, n), stop_at=PlaceKind.UNIT)
    return call._("Who should get it? Choose the area.") + "\n" + text, markup


async def ask_place(call: Call[Any], notice: Notice) -> None:
    scopes = await svc.author_scopes(call.session, call.me)
    if len(scopes) == 1:
        text, markup = await area_picker(call, notice, scopes[0].id, 0)
    else:
        text = call._("Who should get it? Choose the area.")
        markup = InlineKeyboardMarkup(
            [[b.Area(notice.id, s.id, 0).button(await place_name(call.session, s,
                                                                  call._.language))]
             for s in scopes] + [[cancel_button(call._, notice.id)]])
    await call.reply(text, markup)


async def area(call: Call[b.Area]) -> None:
    """Open a place of the area picker."""
    notice = await draft(call)
    await call.edit(*await area_picker(call, notice, call.data.place_id, call.data.page))


def target_keyboard(_: Translator, notice_id: int) -> InlineKeyboardMarkup:
    rows = [[b.TargetChosen(notice_id, t).button(_(TARGETS[t]))] for t in Target
            if t != Target.TAG]
    rows.append([b.TagGroups(notice_id).button(_("A group of people…"))])
    rows.append([cancel_button(_, notice_id)])
    return InlineKeyboardMarkup(rows)


async def place_chosen(call: Call[b.PlaceChosen]) -> None:
    """The area is chosen: ask who in it."""
    notice = await draft(call)
    await svc.set_place(call.session, draft=notice, place_id=call.data.place_id,
                        author=call.me)
    await call.edit(call._("Who in that area?"), target_keyboard(call._, notice.id))


async def change_who(call: Call[b.ChangeWho]) -> None:
    """Back from the preview to who in the area."""
    notice = await draft(call)
    await call.edit(call._("Who in that area?"), target_keyboard(call._, notice.id))


async def tag_groups(call: Call[b.TagGroups]) -> None:
    """Offer the groups of people (tags) to send to."""
    notice = await draft(call)
    _ = call._
    rows = [[b.TagChosen(notice.id, t).button(_(TAGS[t]))] for t in Tag]
    await call.edit(_("Which group of people?"),
                    InlineKeyboardMarkup(rows + [[cancel_button(_, notice.id)]]))


async def target_chosen(call: Call[b.TargetChosen]) -> None:
    """Who in the area is chosen: show the preview."""
    notice = await draft(call)
    await svc.set_target(call.session, draft=notice, target=call.data.target)
    await show_preview(call, notice)


async def tag_chosen(call: Call[b.TagChosen]) -> None:
    """A group of people is chosen: show the preview."""
    notice = await draft(call)
    await svc.set_target(call.session, draft=notice, target=Target.TAG, tag=call.data.tag)
    await show_preview(call, notice)


# --- the preview and what it offers ---------------------------------------------------------


async def preview_lines(call: Call[Any], notice: Notice) -> list[str]:
    _ = call._
    view = await svc.preview(call.session, notice=notice)
    who = _(TARGETS[notice.target]) if notice.target != Target.TAG else _(TAGS[Tag(notice.tag)])
    where = escape(await place_name(call.session, view.place, call._.language))
    lines = [_("To: {who} in {place}", who=who, place=where),
             _("Recipients: {count} people", count=view.recipients)]
    if notice.media_kind:
        lines.append(_("With a photo.") if notice.media_kind == "photo" else
                     _("With a document."))
    for language, text in notice.texts.items():
        if language != "*":
            lines.append(_("Own text for {language} readers: {text}", language=language,
                           text=escape(shorten(text, 60))))
    if notice.pin_groups:
        lines.append(_("Also pinned in {count} group chat(s).", count=view.groups))
    if notice.urgent:
        lines.append(_("🚨 Urgent: it goes out at once, at night too."))
    if (valid := valid_line(_, notice)) is not None:
        lines.append(valid)
    title = _("<b>Preview</b> — this is what people will get:")
    # the notice itself: all of it, unless it is so long the lines below leave no room
    room = MESSAGE - visible_len("\n".join([title, "", "", *lines])) - 1
    body = notice.text_for("*") or next(iter(notice.texts.values()))
    return [title, "", escape(shorten(body, room, ellipsis=" …")), "", *lines]


def preview_keyboard(_: Translator, notice: Notice) -> InlineKeyboardMarkup:
    nid = notice.id
    pin = _("📌 Pin in groups: on") if notice.pin_groups else _("📌 Pin in groups: off")
    urgent = _("🚨 Urgent: on") if notice.urgent else _("🚨 Urgent: off")
    rows = [[b.SendNow(nid).button(_("📤 Send now")),
             b.ScheduleMenu(nid).button(_("🕒 Schedule…"))],
            [b.Pin(nid).button(pin), b.Urgent(nid).button(urgent)],
            [b.ValidMenu(nid).button(valid_label(_, notice))]]
    missing = [lang for lang in svc.LANGUAGES if lang not in notice.texts]
    if missing:
        rows.append([b.OwnText(nid, lang).button(_(LANGUAGE_BUTTON[lang])) for lang in missing])
    rows.append([b.ChangeWho(nid).button(_("◀ Change who")), cancel_button(_, nid)])
    return InlineKeyboardMarkup(rows)


async def show_preview(call: Call[Any], notice: Notice) -> None:
    await call.show("\n".join(await preview_lines(call, notice)),
                    preview_keyboard(call._, notice))


async def back_to_preview(call: Call[b.BackToPreview]) -> None:
    """Back to the preview."""
    await show_preview(call, await draft(call))


async def pin(call: Call[b.Pin]) -> None:
    """Pin it in the area's bound groups, or not."""
    notice = await draft(call)
    await svc.toggle_pin(call.session, draft=notice)
    await show_preview(call, notice)


async def urgent(call: Call[b.Urgent]) -> None:
    """Mark it urgent (it goes at once, in quiet hours too), or not."""
    notice = await draft(call)
    await svc.toggle_urgent(call.session, draft=notice)
    await show_preview(call, notice)


def quiet_note(call: Call[Any], notice: Notice, at: dt.datetime) -> str:
    """For a notice that is not urgent, due in quiet hours: when it will really go."""
    quiet = call.settings.quiet
    if notice.urgent or quiet is None or not quiet.holds(at):
        return ""
    return "\n" + call._("🌙 That is in the quiet hours: it will go out at {time}. Mark it "
                         "urgent to send it at once.", time=call._.when(quiet.ends(at), zone=True))


async def own_text(call: Call[b.OwnText]) -> None:
    """Ask for the text for readers of one language."""
    notice = await svc.ask_language_text(call.session, notice_id=call.data.notice_id,
                                         author=call.actor, language=call.data.language)
    await call.edit(call._("Send me the text for readers of that language."),
                    InlineKeyboardMarkup([[cancel_button(call._, notice.id)]]))


async def discard(call: Call[b.Discard]) -> None:
    """Discard the draft (or cancel the notice, if it went out meanwhile)."""
    notice = await svc.own_notice(call.session, notice_id=call.data.notice_id,
                                  author=call.actor)
    was_draft = notice.status == NoticeStatus.DRAFT
    stopped = await svc.cancel(call.session, notice_id=notice.id, by=call.me)
    await call.edit(call._("✖ Notice discarded.") if was_draft else
                    call._("✖ Notice cancelled. {count} message(s) will not be sent; what was "
                           "sent stays sent.", count=stopped))


# --- send now, or when ----------------------------------------------------------------------


async def schedule_menu(call: Call[b.ScheduleMenu]) -> None:
    """Offer times to send it at."""
    notice = await draft(call)
    _ = call._
    now = dt.datetime.now(call.tz)
    tomorrow = (now + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    options = [(_("In 1 hour"), now + dt.timedelta(hours=1)),
               (_("Tomorrow 08:00"), tomorrow.replace(hour=8, minute=0)),
               (_("Tomorrow 18:00"), tomorrow.replace(hour=18, minute=0))]
    rows = [[b.SendAt(notice.id, int(at.timestamp())).button(text)] for text, at in options]
    rows.append([b.TypeTime(notice.id).button(_("⌨ Type a time"))])
    rows.append([b.BackToPreview(notice.id).button(_("◀ Back"))])
    await call.edit(_("When should it go out?"), InlineKeyboardMarkup(rows))


async def type_time(call: Call[b.TypeTime]) -> None:
    """Ask for the time, typed."""
    await svc.ask_time(call.session, notice_id=call.data.notice_id, author=call.actor)
    await call.edit(call._("Write the date and time, like 2026-12-01 08:30."))


async def send_at(call: Call[b.SendAt]) -> None:
    """Schedule it for the chosen time."""
    notice = await draft(call)
    try:
        at = dt.datetime.fromtimestamp(call.data.at, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise StaleButton() from None
    await svc.schedule_at(call.session, notice_id=notice.id, author=call.me, at=at)
    await scheduled(call, notice, at)


async def send_now(call: Call[b.SendNow]) -> None:
    """Send it now; the progress job keeps the answer up to date."""
    notice = await draft(call)
    sent = await svc.confirm(call.session, notice_id=notice.id, author=call.me)
    call.wake_outbox()
    await call.edit(call._("📤 Sending to {count} people…", count=sent.recipients)
                    + quiet_note(call, sent, call.deps.clock()))
    message = call.message
    await svc.set_progress_message(call.session, notice_id=sent.id, chat_id=message.chat_id,
                                   message_id=message.message_id)
