"""Command menus (the "/" button), per language and per role.

Everyone sees the resident commands in their Telegram language by default; a registered person
gets a menu of their own chat in the language they chose, with the staff commands when they
hold a role that approves requests.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, N_, tr
from models.people import Person, grants_of
from models.permissions import MANAGERS

log = logging.getLogger(__name__)

RESIDENT_COMMANDS = (
    ("start", N_("Join your community or add a household")),
    ("me", N_("My households and roles")),
    ("notices", N_("Recent notices")),
    ("pledges", N_("Pledges to read and sign")),
    ("language", N_("Change language")),
    ("help", N_("What I can do here")),
)
STAFF_COMMANDS = (
    ("pending", N_("Join requests waiting for approval")),
    ("notice", N_("Publish a notice")),
    ("pledge", N_("Write and follow pledges")),
    ("tags", N_("Groups of people (elderly living alone …)")),
)
GROUP_COMMANDS = (("help", N_("What I can do here")),
                  ("bind", N_("Staff: bind this group to a place")))
TELEGRAM_LANGUAGE = {"zh_CN": "zh", "en": "en"}


def commands(language: str, *, staff: bool = False) -> list[BotCommand]:
    _ = tr(language)
    spec = RESIDENT_COMMANDS + (STAFF_COMMANDS if staff else ())
    return [BotCommand(name, _(description)) for name, description in spec]


async def set_defaults(bot: Bot, default_language: str) -> None:
    """Private and group menus for every Telegram language, and a default for the rest."""
    _ = tr(default_language)
    await bot.set_my_commands(commands(default_language), scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand(n, _(d)) for n, d in GROUP_COMMANDS],
                              scope=BotCommandScopeAllGroupChats())
    for language in LANGUAGES:
        code = TELEGRAM_LANGUAGE[language]
        g = tr(language)
        await bot.set_my_commands(commands(language), scope=BotCommandScopeAllPrivateChats(),
                                  language_code=code)
        await bot.set_my_commands([BotCommand(n, g(d)) for n, d in GROUP_COMMANDS],
                                  scope=BotCommandScopeAllGroupChats(), language_code=code)


async def refresh_for(bot: Bot, session: AsyncSession, person: Person) -> None:
    """Set this person's own menu: their language, staff commands if their roles allow."""
    staff = any(grant.role in MANAGERS for grant, _ in await grants_of(session, person.id))
    try:
        await bot.set_my_commands(commands(person.language, staff=staff),
                                  scope=BotCommandScopeChat(person.telegram_id))
    except TelegramError as error:  # e.g. the person never opened a chat with the bot
        log.info("menu for person %s not set: %s", person.id, error)
