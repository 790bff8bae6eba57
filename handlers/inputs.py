"""Free messages in a private chat (text, a photo, a document) that are not commands.

Several features wait for typed input kept in the database (a notice's text, a pledge's title,
a scheduled time). Each registers a taker in `bot/app.py`; the first that has an open draft for
this person takes the message. Nobody waiting: a friendly pointer to /help, with the buttons
of the menu. Only new private messages with text or an attachment come here (see bot/app.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.i18n import Translator
from handlers.common import current, domain_errors
from models.people import Person

# (update, context, session, person, translator) -> True when it took the message
Taker = Callable[[Update, ContextTypes.DEFAULT_TYPE, AsyncSession, Person, Translator],
                 Awaitable[bool]]


def free_input(takers: list[Taker]):  # type: ignore[no-untyped-def]
    """Build the handler that offers a message to each taker in order."""

    @domain_errors
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with deps(context).db.session() as session:
            person, _ = await current(session, update, context)
            if person is not None:
                for take in takers:
                    if await take(update, context, session, person, _):
                        return
            from bot.registry import menu_for  # (the registry imports the features)

            _staff, markup = await menu_for(session, person, _)
        await update.effective_message.reply_text(
            _("I did not understand that. Send /help to see what I can do."), reply_markup=markup)

    return handle
