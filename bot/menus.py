"""Command menus (the "/" button), per language and per role, from what the features declare
(`Feature.menu`, ordered by position across features: bot/registry.py `menu_commands`).

Everyone sees the resident commands in their Telegram language by default; a registered person
gets a menu of their own chat in the language they chose, with the manager commands when they
hold a role that approves requests. Groups get the group commands.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, tr
from models.people import Person
from models.permissions import is_manager

if TYPE_CHECKING:
    from bot.feature import MenuCommand, Session

log = logging.getLogger(__name__)

TELEGRAM_LANGUAGE = {"zh_CN": "zh", "en": "en"}


def commands_for(staff: bool = False, *, group: bool = False) -> list[MenuCommand]:
    """The menu's commands in order: a group's, or a private chat's (with the managers')."""
    from bot import registry  # (the registry imports the features, which import this)

    if group:
        return registry.menu_commands("group")
    return registry.menu_commands("resident") + (registry.menu_commands("manager")
                                                 if staff else [])


def commands(language: str, *, staff: bool = False, group: bool = False) -> list[BotCommand]:
    _ = tr(language)
    return [BotCommand(c.name, _(c.description)) for c in commands_for(staff, group=group)]


async def set_defaults(bot: Bot, default_language: str) -> None:
    """Private and group menus for every Telegram language, and a default for the rest."""
    await bot.set_my_commands(commands(default_language), scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(commands(default_language, group=True),
                              scope=BotCommandScopeAllGroupChats())
    for language in LANGUAGES:
        code = TELEGRAM_LANGUAGE[language]
        await bot.set_my_commands(commands(language), scope=BotCommandScopeAllPrivateChats(),
                                  language_code=code)
        await bot.set_my_commands(commands(language, group=True),
                                  scope=BotCommandScopeAllGroupChats(), language_code=code)


async def refresh_for(bot: Bot, session: Session, person: Person) -> None:
    """Set this person's own menu: their language, manager commands if their roles allow."""
    staff = await is_manager(session, person.id)
    try:
        await bot.set_my_commands(commands(person.language, staff=staff),
                                  scope=BotCommandScopeChat(person.telegram_id))
    except TelegramError as error:  # e.g. the person never opened a chat with the bot
        log.info("menu for person %s not set: %s", person.id, error)
