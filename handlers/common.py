"""Shared bits for handlers: the current person and language, and turning domain errors
into a translated answer (a toast for a button, a reply for a message).

Legacy: handlers converted for #11 get all of this from `bot.feature` (`Call`, `run`); these
stay only while the others still import them."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.deps import deps
from bot.feature import Session, who
from bot.i18n import Translator, from_telegram
from models.errors import DomainError
from models.people import Person
from models.telegram_limits import ALERT, shorten

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]


def guess_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    user = update.effective_user
    return from_telegram(user.language_code if user else None,
                         deps(context).settings.default_language)


async def current(
    session: Session, update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Person | None, Translator]:
    """The registered person sending this update (None if not registered) and their language
    (legacy: converted handlers get both in `Call`)."""
    return await who(session, update, context)


def translate_error(error: DomainError, _: Translator) -> str:
    """The error in the person's language; values are escaped, since answers are HTML."""
    params = {k: escape(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return _.gettext(error.message, **params)


async def answer(update: Update, text: str, *, alert: bool = False) -> None:
    """Answer a button press with a toast, or a message with a reply."""
    if update.callback_query is not None:
        await update.callback_query.answer(shorten(text, ALERT), show_alert=alert)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


async def edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the pressed message's text and buttons (no error if nothing changed)."""
    try:
        await update.callback_query.edit_message_text(text, reply_markup=markup,
                                                      parse_mode=ParseMode.HTML)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def answer_or_reply(update: Update, text: str,
                          markup: InlineKeyboardMarkup | None = None, *,
                          answer_query: bool = False) -> None:
    """Show in place of the pressed message (then answer the press, if asked), or as a new
    message for a command."""
    if update.callback_query is not None:
        await edit(update, text, markup)
        if answer_query:
            await update.callback_query.answer()
    else:
        await update.effective_message.reply_text(text, reply_markup=markup,
                                                  parse_mode=ParseMode.HTML)


def domain_errors(handler: Handler) -> Handler:
    """Tell the person what a rule said (in their language) instead of failing."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        try:
            return await handler(update, context)
        except DomainError as error:
            async with deps(context).db.session() as session:
                _person, t = await current(session, update, context)
            await answer(update, translate_error(error, t), alert=True)
            return None

    return wrapper
