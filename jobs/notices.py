"""Broadcast progress: every few seconds, edit each sending notice's confirmation message
with sent / failed / remaining and an estimated finish, and close notices that are done."""

from __future__ import annotations

import logging

from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import hints
from bot.deps import deps
from bot.i18n import tr
from models import notices as svc
from models.people import Person

log = logging.getLogger(__name__)


def eta_text(_, remaining: int, rate: float) -> str:  # type: ignore[no-untyped-def]
    seconds = remaining / max(rate, 1.0)
    if seconds < 60:
        return _("under a minute")
    return _("about {minutes} min", minutes=round(seconds / 60))


async def report_progress(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue callback: update progress messages of running broadcasts."""
    d = deps(context)
    last: dict[int, str] = context.bot_data.setdefault("notice_progress", {})
    async with d.db.session() as session:
        for notice in await svc.sending(session):
            progress = await svc.progress(session, notice)
            author = await session.get(Person, notice.author_id)
            _ = tr(author.language if author else d.settings.default_language, d.settings.tz)
            if progress.done:
                if svc.awaits_progress_message(notice, d.clock()):
                    continue  # the author's "Sending…" is about to be attached: report there
                await svc.finish(session, notice)
                text = _("✅ Notice #{id} delivered: sent {sent}, failed {failed}, unreachable "
                         "{blocked}. Send /notices to see who has confirmed.", id=notice.id,
                         sent=progress.sent, failed=progress.failed, blocked=progress.blocked)
            else:
                text = _("📤 Sending notice #{id}: sent {sent}, failed {failed}, remaining "
                         "{remaining}; done in {eta}.", id=notice.id, sent=progress.sent,
                         failed=progress.failed + progress.blocked,
                         remaining=progress.remaining,
                         eta=eta_text(_, progress.remaining, d.settings.send_rate))
                quiet, now = d.settings.quiet, d.clock()
                if not notice.urgent and quiet is not None and quiet.holds(now):
                    text += "\n" + _("🌙 Quiet hours: the rest goes out at {time}.",
                                     time=_.when(quiet.ends(now), zone=True))
            if notice.progress_message_id is None or last.get(notice.id) == text:
                continue
            last[notice.id] = text
            try:
                await context.bot.edit_message_text(text, chat_id=notice.progress_chat_id,
                                                    message_id=notice.progress_message_id,
                                                    reply_markup=hints.for_text(_, text))
            except TelegramError as error:  # deleted by the staff member: nothing to update
                log.info("progress of notice %s not shown: %s", notice.id,
                         type(error).__name__)
