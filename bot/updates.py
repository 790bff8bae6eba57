"""Reading updates one at a time, so that no single update can stop the bot.

python-telegram-bot parses a whole `getUpdates` batch at once: one update it cannot parse (a
newer Bot API shape, a field that became required) makes the call raise, the updater fetches
the same batch again for ever, and every try logs the whole batch — names, phone numbers,
texts — at CRITICAL. Here each update is parsed on its own, in both runtimes. One that cannot
be read is logged once by its id and the error's type (never its content), counted, and
handed on as a bare `Update(update_id)`: no handler matches it, and the updater still moves
its offset past it, so Telegram stops sending it and the updates after it go on.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

# Telegram's update ids are positive integers; JSON numbers beyond 2**53 are not exact
# anywhere, so anything larger is not an update id Telegram could have sent.
MAX_UPDATE_ID = 2**53 - 1


def update_id_of(payload: object) -> int | None:
    """The payload's update_id if it is one Telegram could send (an integer, not a bool,
    in 0..2**53-1), else None."""
    if not isinstance(payload, dict):
        return None
    value = payload.get("update_id")
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_UPDATE_ID else None


@dataclass
class UpdateStats:
    """What the runtime counts about the updates it read."""

    read: int = 0
    unreadable: int = 0


def read_update(payload: object, bot: Any) -> tuple[Update | None, str | None]:
    """Parse one update. Returns (update, None), or (a bare Update carrying only the id, the
    error's type name) when it cannot be read — (None, error) when it has no usable id."""
    stats: UpdateStats | None = getattr(bot, "update_stats", None)
    update_id = update_id_of(payload)
    try:
        if update_id is None:
            raise ValueError("no valid update_id")
        update = Update.de_json(payload, bot)  # type: ignore[arg-type]
        _check_ids(update)
        if stats is not None:
            stats.read += 1
        return update, None
    except Exception as error:  # whatever the library chokes on: never its content
        kind = type(error).__name__
        if stats is not None:
            stats.unreadable += 1
        log.warning("update %s could not be read (%s); skipped", update_id, kind)
        return (Update(update_id) if update_id is not None else None), kind


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional_str(*values: object) -> bool:
    return all(v is None or isinstance(v, str) for v in values)


def _check_ids(update: Update) -> None:
    """PTB does not check types, and Telegram always sends numbers for ids and strings for
    names and texts. An update that does not would fail in the handlers (or be stored as a
    person named "[False, 4.4e-150]") and, worse, in the library's own bookkeeping after them:
    it hashes the sender's and the chat's ids, and that TypeError stops its update fetcher for
    good. Such an update is unreadable."""
    message = update.effective_message
    member = update.my_chat_member or update.chat_member
    # a button's message may be inaccessible (older than 48 hours): only chat, id and date
    users = [update.effective_user, getattr(message, "from_user", None),
             member and member.new_chat_member.user]
    for user in users:
        if user is not None and not (_is_id(user.id) and isinstance(user.first_name, str)
                                     and _optional_str(user.last_name, user.username,
                                                       user.language_code)):
            raise TypeError("a user that is not one")
    for chat in (update.effective_chat, message and message.chat, member and member.chat):
        if chat is not None and not (_is_id(chat.id) and _optional_str(chat.type, chat.title)):
            raise TypeError("a chat that is not one")
    sender = update.effective_sender
    if sender is not None and not _is_id(sender.id):
        raise TypeError("a sender that is not one")
    if message is not None and not (_is_id(message.message_id)
                                    and _optional_str(getattr(message, "text", None),
                                                      getattr(message, "caption", None))):
        raise TypeError("a message that is not one")
    query = update.callback_query
    if query is not None and not (isinstance(query.id, str) and query.id
                                  and _optional_str(query.data)):
        raise TypeError("a button press that is not one")
    if member is not None and not isinstance(member.new_chat_member.status, str):
        raise TypeError("a member update that is not one")


class LinliBot(ExtBot[Any]):
    """PTB's bot, reading each polled update on its own (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            self.update_stats = UpdateStats()

    async def get_updates(  # type: ignore[override]
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | dt.timedelta | None = None,
        allowed_updates: Any = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        data: JSONDict = {"timeout": timeout, "offset": offset, "limit": limit,
                          "allowed_updates": allowed_updates}
        # as PTB does: the long poll's own timeout is added to the read timeout
        if isinstance(read_timeout, DefaultValue):
            waited: float = self._request[0].read_timeout or 0
        else:
            waited = read_timeout or 0
        if isinstance(timeout, dt.timedelta):
            waited += timeout.total_seconds()
        elif timeout:
            waited += timeout
        result = await self._post("getUpdates", data, read_timeout=waited,
                                  write_timeout=write_timeout, connect_timeout=connect_timeout,
                                  pool_timeout=pool_timeout, api_kwargs=api_kwargs)
        updates = []
        for payload in result or ():
            update, _error = read_update(payload, self)
            if update is not None:
                updates.append(update)
        return tuple(updates)
