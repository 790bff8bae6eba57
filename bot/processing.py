"""Updates in parallel across chats, in order within one: PTB's update processor, keyed by
who sent an update where.

Two updates of the same person in the same chat run one after the other, in the order they
arrived (a second press waits for the first press's answer); updates of different people, or
of one person in different chats, run side by side, at most `limit` at once. A busy group is
many people: their messages run side by side while each person's stay in order. An update
with neither a sender nor a chat runs on its own.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own bound, which it holds before handing the update over, is made unreachable: the
# bound that counts is taken here, after an update's turn in its chat has come, so updates
# waiting behind an earlier one of the same person never keep anyone else waiting.
_UNBOUNDED = 1 << 30

Key = tuple[int | None, int | None]


def key_of(update: object) -> Key | None:
    """(chat id, sender id), or None when the update has neither."""
    if not isinstance(update, Update):
        return None
    chat, user = update.effective_chat, update.effective_user
    if chat is None and user is None:
        return None
    return (chat.id if chat else None, user.id if user else None)


class ChatOrdered(BaseUpdateProcessor):
    """See the module docstring."""

    def __init__(self, limit: int) -> None:
        super().__init__(_UNBOUNDED)
        if limit < 1:
            raise ValueError("at least one update must be able to run")
        self.limit = limit
        self._running = asyncio.BoundedSemaphore(limit)
        self._last: dict[Key, asyncio.Future[None]] = {}  # the newest update of each key

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = key_of(update)
        before = mine = None
        if key is not None:
            # taken before any await: updates join their key's line in the order they came
            before = self._last.get(key)
            mine = self._last[key] = asyncio.get_running_loop().create_future()
        started = False
        try:
            if before is not None:
                await asyncio.shield(before)
            async with self._running:
                started = True
                await coroutine
        finally:
            if not started and inspect.iscoroutine(coroutine):  # cancelled while waiting
                coroutine.close()
            if mine is not None:
                mine.set_result(None)
                if self._last.get(key) is mine:  # nobody queued behind it
                    del self._last[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
