"""The base of ``World``: construction, reset and change notification.

Every change bumps ``seq`` and wakes everyone waiting in ``wait_change``; listeners added with
``add_listener`` are called synchronously with a ``Change``. The layers above (``directory.py``,
``transcript.py``, ``delivery.py``) each extend ``reset`` with their own state and call
``changed`` when they change it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

from bot.emulator.limits import Limiter
from bot.emulator.records import Change, User
from bot.timeouts import within


class WorldCore:
    """What every part of the emulated Telegram shares: the bot, the clocks, the change feed."""

    def __init__(self, token: str | None = "123456789:emulator-token", *,
                 bot_username: str = "linli_bot", bot_first_name: str = "Linli",
                 privacy_mode: bool = True, clock: Callable[[], float] = time.time,
                 limits: str | Limiter = "off", rate: float | None = None,
                 limits_clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        prefix = (token or "").partition(":")[0]
        self.bot = User(int(prefix) if prefix.isdigit() else 123456789, bot_first_name,
                        username=bot_username, is_bot=True)
        # On by default, as for a new Telegram bot: in groups where it is not an administrator
        # the bot sees only commands, replies to it, mentions of it and service messages.
        self.privacy_mode = privacy_mode
        self.clock = clock
        # Telegram's sending limits: "off", "telegram" or "rate" (with ``rate`` messages/s), or a
        # spec such as "rate=1000"; ``limits_clock`` (monotonic) also times the delivery stats.
        if isinstance(limits, Limiter):
            self.limits = limits
        else:
            self.limits = Limiter(limits, rate, clock=limits_clock)
        self._listeners: list[Callable[[Change], None]] = []
        self._changed = asyncio.Event()
        self.closing = False
        self.polls = 0  # getUpdates requests being answered right now
        self.reset()

    def reset(self) -> None:
        """Forget everything; each layer clears its own state, then calls this last."""
        self._ids = itertools.count(1)  # file ids and callback query ids
        self.seq = 0
        self._notify(Change("reset", 0))

    # -- change notification --------------------------------------------------------------

    def add_listener(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Change], None]) -> None:
        self._listeners.remove(listener)

    def wake(self) -> None:
        """Wake every waiter without recording a change (e.g. a newer getUpdates started)."""
        # A fresh Event per generation: everybody waiting on the old one wakes exactly once.
        old, self._changed = self._changed, asyncio.Event()
        old.set()

    def _notify(self, change: Change) -> None:
        self.wake()
        for listener in list(self._listeners):
            listener(change)

    def changed(self, kind: str, chat_id: int | None = None, message_id: int | None = None) -> int:
        self.seq += 1
        self._notify(Change(kind, self.seq, chat_id, message_id))
        return self.seq

    async def wait_change(self, timeout: float) -> bool:
        """Wait until anything changes (True) or ``timeout`` seconds pass (False)."""
        if self.closing or timeout <= 0:
            return False
        # (not wait_for, which on Python 3.11 can swallow a cancellation: bot/timeouts.py)
        return await within(self._changed.wait(), timeout) is not None

    def close(self) -> None:
        """Make every long poll return now (server shutdown)."""
        self.closing = True
        self._notify(Change("close", self.seq))
