"""Composing and sending notices: /notice → text (or photo/document) → area → who → preview
with the exact count → send now or schedule. The draft lives in the database, so any process
can take the next step and a restart mid-dialog resumes."""

from __future__ import annotations

import datetime as dt
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.i18n import N_, Translator
from bot.keyboards import StaleButton, button, parse
from handlers import common
from handlers.common import current, domain_errors
from handlers.labels import TAGS, TARGETS
from handlers.places_picker import drill, place_name
from models import notices as svc
from models.errors import Invalid, NotAllowed
from models.notices import Notice, NoticeStatus, Target
from models.people import Person, Tag
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
OTHER_LANGUAGE = {"zh_CN": "en", "en": "zh_CN"}
LANGUAGE_BUTTON = {"en": N_("➕ Add an English text"), "zh_CN": N_("➕ Add a Chinese text")}


def cancel_button(_: Translator, notice_id: int):  # type: ignore[no-untyped-def]
    return button(_("✖ Cancel"), f"nt:x:{notice_id}")


@domain_errors
async def new_notice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a notice draft and ask for its text."""
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed(N_("Only staff and grid workers can publish notices."))
        draft = await svc.start_draft(session, author=person)
    text = _("<b>New notice</b>\nSend me its text. You can also send a photo or a document "
             "(PDF, Word, Excel) with the text as its caption.")
    markup = InlineKeyboardMarkup([[cancel_button(_, draft.id)]])
    if update.callback_query is not None:
        await update.effective_message.reply_text(text, reply_markup=markup,
                                                  parse_mode=ParseMode.HTML)
        await update.callback_query.answer()
    else:
        await update.effective_message.reply_text(text, reply_markup=markup,
                                                  parse_mode=ParseMode.HTML)


async def take_input(update: Update, context: ContextTypes.DEFAULT_TYPE, session: AsyncSession,
                     person: Person, _: Translator) -> bool:
    """A staff member's message while their notice draft waits for text (or a time)."""
    draft = await svc.open_draft(session, person)
    if draft is None or draft.step not in ("text", "text_en", "text_zh_CN", "when"):
        return False
    message = update.effective_message
    if draft.step == "when":
        await _typed_time(update, context, session, _, draft)
        return True
    media_kind, file_id, size = _media(message)
    language = draft.step.removeprefix("text_") if draft.step.startswith("text_") else "*"
    text = message.text or message.caption or ""
    await svc.set_text(session, draft=draft, text=text, language=language,
                       media_kind=media_kind, media_file_id=file_id, media_size=size)
    if draft.step == "place":
        await _ask_place(update, session, _, draft, person, edit=False)
    else:
        await _show_preview(update, session, _, draft, edit=False)
    return True


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


async def _ask_place(update: Update, session: AsyncSession, _: Translator, draft: Notice,
                     person: Person, *, edit: bool) -> None:
    scopes = await svc.author_scopes(session, person)
    if len(scopes) == 1:
        text, markup = await drill(
            session, _, viewer=person, roles=MANAGERS,
            place_id=scopes[0].id, page=0,
            choose=f"nt:p:{draft.id}:{{id}}",
            down=f"nt:d:{draft.id}:{{id}}:{{page}}",
            stop_at=PlaceKind.UNIT)
        text = _("Who should get it? Choose the area.") + "\n" + text
    else:
        text = _("Who should get it? Choose the area.")
        markup = InlineKeyboardMarkup(
            [[button(await place_name(session, s), f"nt:d:{draft.id}:{s.id}:0")] for s in scopes]
            + [[cancel_button(_, draft.id)]])
    await _reply(update, text, markup, edit=edit)


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None, *,
                 edit: bool) -> None:
    if edit and update.callback_query is not None:
        await common.edit(update, text, markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup,
                                                  parse_mode=ParseMode.HTML)


def _target_keyboard(_: Translator, notice_id: int) -> InlineKeyboardMarkup:
    rows = [[button(_(TARGETS[t]), f"nt:t:{notice_id}:{t.value}")] for t in Target
            if t != Target.TAG]
    rows.append([button(_("A group of people…"), f"nt:tags:{notice_id}")])
    rows.append([cancel_button(_, notice_id)])
    return InlineKeyboardMarkup(rows)


async def _show_preview(update: Update, session: AsyncSession, _: Translator, draft: Notice,
                        *, edit: bool) -> None:
    view = await svc.preview(session, notice=draft)
    who = _(TARGETS[draft.target]) if draft.target != Target.TAG else _(TAGS[Tag(draft.tag)])
    lines = [_("To: {who} in {place}", who=who, place=escape(await place_name(session,
                                                                                view.place))),
             _("Recipients: {count} people", count=view.recipients)]
    if draft.media_kind:
        lines.append(_("With a photo.") if draft.media_kind == "photo" else
                     _("With a document."))
    for language, text in draft.texts.items():
        if language != "*":
            lines.append(_("Own text for {language} readers: {text}", language=language,
                           text=escape(shorten(text, 60))))
    if draft.pin_groups:
        lines.append(_("Also pinned in {count} group chat(s).", count=view.groups))
    title = _("<b>Preview</b> — this is what people will get:")
    # the notice itself: all of it, unless it is so long the lines below leave no room
    room = MESSAGE - visible_len("\n".join([title, "", "", *lines])) - 1
    body = draft.text_for("*") or next(iter(draft.texts.values()))
    lines[:0] = [title, "", escape(shorten(body, room, ellipsis=" …")), ""]
    pin = _("📌 Pin in groups: on") if draft.pin_groups else _("📌 Pin in groups: off")
    rows = [[button(_("📤 Send now"), f"nt:go:{draft.id}"),
             button(_("🕒 Schedule…"), f"nt:s:{draft.id}")],
            [button(pin, f"nt:pin:{draft.id}")]]
    missing = [lang for lang in ("zh_CN", "en") if lang not in draft.texts]
    if missing:
        rows.append([button(_(LANGUAGE_BUTTON[lang]), f"nt:l:{draft.id}:{lang}")
                     for lang in missing])
    rows.append([button(_("◀ Change who"), f"nt:who:{draft.id}"), cancel_button(_, draft.id)])
    await _reply(update, "\n".join(lines), InlineKeyboardMarkup(rows), edit=edit)


async def _typed_time(update: Update, context: ContextTypes.DEFAULT_TYPE,
                      session: AsyncSession, _: Translator, draft: Notice) -> None:
    tz = deps(context).settings.tz
    text = (update.effective_message.text or "").strip()
    try:
        at = dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    except ValueError:
        raise Invalid(N_("Please write the time like 2026-12-01 08:30.")) from None
    if at <= dt.datetime.now(tz):
        raise Invalid(N_("That time has already passed. Please choose a later time."))
    person, _t = await current(session, update, context)
    await _scheduled(update, context, session, _, draft, person, at, edit=False)


async def _scheduled(update: Update, context: ContextTypes.DEFAULT_TYPE,
                     session: AsyncSession, _: Translator, draft: Notice,
                     person: Person | None, at: dt.datetime, *, edit: bool) -> None:
    if person is None:
        raise NotAllowed()
    draft.step = "confirm"
    notice = await svc.confirm(session, notice_id=draft.id, author=person, at=at)
    local = at.astimezone(deps(context).settings.tz).strftime("%Y-%m-%d %H:%M")
    await _reply(update, _("🕒 Scheduled for {time}. It will go to everyone in the area as it "
                           "is then.", time=local),
                 InlineKeyboardMarkup([[button(_("✖ Cancel this notice"),
                                               f"nt:c:{notice.id}")]]), edit=edit)


@domain_errors
async def composer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button of the composer; each re-checks who is pressing."""
    query = update.callback_query
    data = parse(query.data)
    if data is None or not data.args:
        raise StaleButton()
    settings = deps(context).settings
    async with deps(context).db.session() as session:
        person, _ = await current(session, update, context)
        if person is None:
            raise NotAllowed()
        notice = await svc.get_notice(session, data.int(0))
        if notice.author_id != person.id:
            raise NotAllowed()
        action = data.action
        if action == "c" or (action == "x" and notice.status != NoticeStatus.DRAFT):
            stopped = await svc.cancel(session, notice_id=notice.id, by=person)
            await common.edit(update, _("✖ Notice cancelled. {count} message(s) will not be "
                                        "sent; what was sent stays sent.", count=stopped))
        elif notice.status != NoticeStatus.DRAFT:
            raise StaleButton()
        elif action == "x":
            await svc.cancel(session, notice_id=notice.id, by=person)
            await common.edit(update, _("✖ Notice discarded."))
        elif action == "d":
            text, markup = await drill(
                session, _, viewer=person, roles=MANAGERS,
                place_id=data.int(1), page=data.int(2),
                choose=f"nt:p:{notice.id}:{{id}}",
                down=f"nt:d:{notice.id}:{{id}}:{{page}}",
                stop_at=PlaceKind.UNIT)
            await common.edit(update, _("Who should get it? Choose the area.") + "\n" + text,
                              markup)
        elif action == "p":
            await svc.set_place(session, draft=notice, place_id=data.int(1), author=person)
            await common.edit(update, _("Who in that area?"), _target_keyboard(_, notice.id))
        elif action == "who":
            await common.edit(update, _("Who in that area?"), _target_keyboard(_, notice.id))
        elif action == "tags":
            rows = [[button(_(TAGS[t]), f"nt:g:{notice.id}:{t.value}")] for t in Tag]
            await common.edit(update, _("Which group of people?"), InlineKeyboardMarkup(
                rows + [[cancel_button(_, notice.id)]]))
        elif action in ("t", "g"):
            value = data.args[1] if len(data.args) > 1 else ""
            try:
                target, tag = (Target(value), None) if action == "t" else (Target.TAG, Tag(value))
            except ValueError:
                raise StaleButton() from None
            await svc.set_target(session, draft=notice, target=target, tag=tag)
            await _show_preview(update, session, _, notice, edit=True)
        elif action == "pin":
            await svc.toggle_pin(session, draft=notice)
            await _show_preview(update, session, _, notice, edit=True)
        elif action == "l":
            language = data.args[1] if len(data.args) > 1 else ""
            if language not in OTHER_LANGUAGE:
                raise StaleButton()
            notice.step = f"text_{language}"
            await session.commit()
            await common.edit(update, _("Send me the text for readers of that language."),
                              InlineKeyboardMarkup([[cancel_button(_, notice.id)]]))
        elif action == "s":
            now = dt.datetime.now(settings.tz)
            tomorrow = (now + dt.timedelta(days=1)).replace(second=0, microsecond=0)
            options = [(_("In 1 hour"), now + dt.timedelta(hours=1)),
                       (_("Tomorrow 08:00"), tomorrow.replace(hour=8, minute=0)),
                       (_("Tomorrow 18:00"), tomorrow.replace(hour=18, minute=0))]
            rows = [[button(text, f"nt:at:{notice.id}:{int(at.timestamp())}")]
                    for text, at in options]
            rows.append([button(_("⌨ Type a time"), f"nt:type:{notice.id}")])
            rows.append([button(_("◀ Back"), f"nt:pv:{notice.id}")])
            await common.edit(update, _("When should it go out?"), InlineKeyboardMarkup(rows))
        elif action == "type":
            notice.step = "when"
            await session.commit()
            await common.edit(update, _("Write the date and time, like 2026-12-01 08:30."))
        elif action == "at":
            try:
                at = dt.datetime.fromtimestamp(data.int(1), dt.UTC)
            except (OverflowError, OSError, ValueError):
                raise StaleButton() from None
            await _scheduled(update, context, session, _, notice, person, at, edit=True)
        elif action == "pv":
            await _show_preview(update, session, _, notice, edit=True)
        elif action == "go":
            sent = await svc.confirm(session, notice_id=notice.id, author=person)
            deps(context).wake_outbox()
            message = update.effective_message
            await common.edit(update, _("📤 Sending to {count} people…", count=sent.recipients))
            await svc.set_progress_message(session, notice_id=sent.id,
                                           chat_id=message.chat_id, message_id=message.message_id)
        else:
            raise StaleButton()
    await query.answer()
