"""What handlers and jobs need from the wiring, kept in `bot_data` instead of globals."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import CallbackContext

from bot.config import Settings
from bot.db import Database
from bot.sending import SendBudget
from models.base import utcnow


@dataclass
class Deps:
    settings: Settings
    db: Database
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # set when the bot stops: the sender ends its loop even if a cancellation was lost
    outbox_stop: asyncio.Event = field(default_factory=asyncio.Event)
    # the features the bot runs (bot/registry.py FEATURES), for menus built inside handlers
    features: Sequence[Any] = ()
    budget: SendBudget | None = None  # the one send budget: replies and the outbox share it
    # what time it is, for the outbox's quiet hours and the tick (tests set the hour)
    clock: Callable[[], dt.datetime] = utcnow

    def wake_outbox(self) -> None:
        """Tell the outbox sender there is something new to send."""
        self.outbox_wakeup.set()


def deps(context: CallbackContext[Any, Any, Any, Any]) -> Deps:
    return context.bot_data["deps"]  # type: ignore[no-any-return]
