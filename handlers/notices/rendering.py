"""How a notice is sent through the outbox: to each recipient with "Got it", to a bound group
(pinned), and as a reminder. Rendered once per language for a whole broadcast (shared)."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.buttons import keyboard
from bot.feature import Session
from bot.i18n import Translator
from bot.outbox import Rendered, Renderer
from handlers.notices.buttons import GotIt
from models.notices import NOTICE, NOTICE_GROUP, NOTICE_REMINDER, Notice, sendable
from models.telegram_limits import CAPTION, MESSAGE, shorten, visible_len


def first_line(notice: Notice, language: str) -> str:
    text = notice.text_for(language).strip().splitlines()
    return escape(shorten(text[0], 50)) if text else "—"


def button_text(notice: Notice, language: str) -> str:
    """The notice's first line as a button shows it ("📢 Water cut tomorrow …")."""
    text = notice.text_for(language).strip().splitlines()
    return "📢 " + shorten(text[0] if text else "—", 40)


def got_it(_: Translator, notice_id: int) -> InlineKeyboardMarkup:
    return keyboard([(_("✅ Got it"), GotIt(notice_id))])


async def _notice_message(session: Session, payload: dict[str, Any], _: Translator,
                          *, heading: str, ack: bool, pin: bool = False) -> Rendered | None:
    notice = await sendable(session, int(payload["notice_id"]))
    if notice is None:
        return None
    limit = CAPTION if notice.media_kind else MESSAGE
    # svc.HEADING_ROOM already keeps every text short enough; cutting here only guards against
    # a future translation of a heading longer than that room, so the notice still goes out
    body = shorten(notice.text_for(_.language), limit - visible_len(heading) - 1)
    text = f"{heading}\n{escape(body)}"
    markup = got_it(_, notice.id) if ack else None
    photo = notice.media_file_id if notice.media_kind == "photo" else None
    document = notice.media_file_id if notice.media_kind == "document" else None
    return Rendered(text, markup, photo=photo, document=document, pin=pin)


async def render_notice(session: Session, payload: dict[str, Any],
                        _: Translator) -> Rendered | None:
    return await _notice_message(session, payload, _, heading=_("📢 <b>Notice</b>"), ack=True)


async def render_group_notice(session: Session, payload: dict[str, Any],
                              _: Translator) -> Rendered | None:
    return await _notice_message(session, payload, _, heading=_("📢 <b>Notice</b>"), ack=False,
                                 pin=True)


async def render_reminder(session: Session, payload: dict[str, Any],
                          _: Translator) -> Rendered | None:
    return await _notice_message(
        session, payload, _, ack=True,
        heading=_("⏰ <b>Reminder</b>: please read this notice and press \"Got it\"."))


RENDERERS: dict[str, Renderer] = {NOTICE: render_notice, NOTICE_GROUP: render_group_notice,
                                  NOTICE_REMINDER: render_reminder}
