"""In-memory state of the emulated Telegram: users, chats, messages, updates, files and logs.

``World`` is deliberately free of HTTP: the Bot API routes, the control API, tests and the
sandbox page all act on it directly. Every change bumps ``World.seq`` and wakes everyone waiting in
``wait_change``, and listeners added with ``add_listener`` are called synchronously with a
``Change``, so a page can stream changes and a test can wait for the bot's answer without polling.
Everything the bot sends goes through ``World.check_send`` so Telegram's limits live in one place
(``limits.py``; off unless asked for), and ``World.record_send`` counts what was delivered. What a
user does reaches the bot through ``World.deliver``, which applies group privacy mode (on by
default, as for a new Telegram bot) and the bot's membership of the chat.

``World`` is built in layers, one module each: ``core.py`` (construction, reset, change
notification), ``directory.py`` (users, chats, command menus), ``transcript.py`` (messages,
files), ``delivery.py`` (access checks, sending limits, privacy mode, the update queue, the call
log and callback queries); the records they hold are in ``records.py``. Import them from here.
"""

from __future__ import annotations

from bot.emulator.delivery import Delivery
from bot.emulator.records import (
    BOT_STATUSES,
    JSON,
    OPT_IN_UPDATE_TYPES,
    SERVICE_FIELDS,
    ApiError,
    Call,
    Change,
    Chat,
    FileRecord,
    Message,
    User,
    bad_request,
    is_int,
)

__all__ = ["BOT_STATUSES", "JSON", "OPT_IN_UPDATE_TYPES", "SERVICE_FIELDS", "ApiError", "Call",
           "Change", "Chat", "FileRecord", "Message", "User", "World", "bad_request", "is_int"]


class World(Delivery):
    """The whole emulated Telegram, for one bot."""
