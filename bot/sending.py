"""One send budget for everything the bot sends: replies to people who just acted and the
outbox's broadcasts share Telegram's limits, and replies go first.

Telegram's limits are on messages sent (the methods in SENDING_METHODS): about 30 a second
overall (1,000 a second for paid broadcasts, counted apart), about one a second in a private
chat with short bursts (3 in any 3 seconds, as the emulator holds it), 20 a minute in a group.
Edits and answers to button presses are not counted, and never wait here.

- A reply (`reply`) waits for its chat's window and for the next overall slot, ahead of every
  broadcast message waiting for one.
- A broadcast message (`broadcast`) never waits for a chat: when the chat has no room it is
  told how long until it has, and the outbox sends other chats' messages meanwhile. It leaves
  one place of a chat's window free, so a person reading a broadcast can still be answered
  at once.
- A 429 from Telegram (`hold`) closes that chat for the time Telegram asked.

A message is counted from the moment it is let go until a window's period after its request
returned (`Ticket.done`): Telegram received it somewhere in between. So however late a request
is on its way, or its sender woken by a busy event loop, no window Telegram counts can hold
more than the limit, and no margin for delays has to be guessed.

`SendBudget` is the interface the bot uses; `LocalBudget` keeps the counts in this process. A
deployment with several workers backs the same three methods with a store they share.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Bot API methods that put a new message in a chat: the only ones Telegram's limits count.
SENDING_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendVideo", "sendAudio",
    "sendVoice", "sendAnimation", "sendVideoNote", "sendSticker", "sendVenue", "sendContact",
    "sendPoll", "sendDice", "sendMediaGroup", "sendPaidMedia", "sendInvoice", "copyMessage",
    "copyMessages", "forwardMessage", "forwardMessages",
})
PRIVATE_WINDOW = (3, 3.0)  # at most 3 messages in any 3 seconds in one private chat
GROUP_WINDOW = (20, 60.0)  # 20 a minute in a group or supergroup
# Seconds added to each window, for clocks that differ. Messages are counted from when their
# request returned, which Telegram saw before, however late the request was on its way or the
# event loop in waking its sender: no margin for that is needed.
MARGIN = 0.02
CHAT_MARGIN = 0.1
# While every message of a window is still on its way, when to look again.
RECHECK = 0.01
PAID_RATE = 1000.0


class SendBudget(Protocol):
    """What the bot asks before it sends a message; see the module docstring. Each message
    that may go gets a `Ticket`: call its `done()` once the request has returned (also when it
    failed), and the message is counted from then on."""

    async def reply(self, chat_id: int | None, *, paid: bool = False) -> Ticket:
        """Wait until one message to this chat may go, ahead of broadcasts; it is counted."""

    async def broadcast(self, chat_id: int, *, paid: bool = False) -> Ticket | float:
        """A ticket once one broadcast message to this chat may go (it is counted); otherwise
        the seconds until the chat has room, and nothing is counted: the sender goes on with
        other chats."""

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram answered 429 for this chat: nothing more to it for `seconds`."""


class _Window:
    """At most `limit` messages in any `period` seconds, as Telegram counts them: a message
    arrives there some time between its request starting and returning, so one counts from
    the moment it is let go (`flying`) and stays counted for `period` seconds after its request
    returned (`landed`, in the order they returned). Then no `limit + 1` messages can arrive
    within `period` seconds of each other, whatever the network or the event loop delayed."""

    __slots__ = ("limit", "period", "flying", "landed", "closed_until")

    def __init__(self, limit: int, period: float, margin: float) -> None:
        self.limit = limit
        self.period = period + margin
        self.flying = 0
        self.landed: deque[float] = deque()
        self.closed_until = 0.0

    def wait(self, now: float, keep: int = 0) -> float:
        """Seconds until one more message fits, leaving `keep` places free (0.0: now)."""
        landed, period = self.landed, self.period
        while landed and landed[0] + period <= now:
            landed.popleft()
        wait = self.closed_until - now
        room = self.limit - keep
        if room <= 0:
            return max(wait, self.period)
        over = self.flying + len(landed) - room  # this many more must leave the window first
        if over >= 0:
            wait = max(wait, landed[over] + period - now if over < len(landed) else RECHECK)
        return max(0.0, wait)

    def take(self) -> None:
        self.flying += 1

    def untake(self) -> None:
        """A message taken and then not sent after all."""
        self.flying -= 1

    def land(self, now: float) -> None:
        self.flying -= 1
        self.landed.append(now)

    def idle(self, now: float) -> bool:
        return (not self.flying and (not self.landed or self.landed[-1] + self.period < now)
                and self.closed_until < now)


class Ticket:
    """One message let go: counted in its windows until `done()` says its request returned,
    and for their periods after that."""

    __slots__ = ("windows",)

    def __init__(self, *windows: _Window) -> None:
        self.windows = windows  # each already took the message

    def done(self) -> None:
        now = time.monotonic()
        for window in self.windows:
            window.land(now)
        self.windows = ()  # twice is once


class _Lane:
    """One overall limit (the 30/s, or the paid 1,000/s): sends spread `1/rate` apart and never
    more than `rate` in any second (its `window`), as Telegram counts them. Waiting senders are
    let through replies first. A send may go up to `early` seconds before its spread-out slot
    (one wake-up serves several at high rates), never before the window allows."""

    def __init__(self, rate: float, early: float = 0.01) -> None:
        self.interval = 1.0 / rate
        self.early = early
        # `limit` per `period`: 30 per second at 30/s, 1 per 2 s at 0.5/s; a fractional rate
        # above 1 rounds down (29.5/s → 29 in any second), never up
        limit = max(1, int(rate))
        self.window = _Window(limit, max(1.0, limit / rate), MARGIN)
        self.windowed = limit <= 100_000  # a benchmark's "no limit": no log of a million
        self.next = 0.0
        self.replies: deque[asyncio.Future[None]] = deque()
        self.broadcasts: deque[asyncio.Future[None]] = deque()
        self._waker: asyncio.Task[None] | None = None

    def _due(self, now: float) -> float:
        due = self.next - self.early
        if self.windowed:
            due = max(due, now + self.window.wait(now))
        return due

    def _take(self, now: float) -> None:
        self.next = max(self.next, now) + self.interval
        if self.windowed:
            self.window.take()

    def windows(self) -> tuple[_Window, ...]:
        """The windows a message let through by `take` is counted in."""
        return (self.window,) if self.windowed else ()

    def untake(self) -> None:
        if self.windowed:
            self.window.untake()

    async def take(self, urgent: bool) -> None:
        """Wait for this lane's next slot; the message is counted in `windows()` from now."""
        now = time.monotonic()
        if not self.replies and (urgent or not self.broadcasts) and self._due(now) <= now:
            self._take(now)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self.replies if urgent else self.broadcasts).append(future)
        if self._waker is None or self._waker.done():
            self._waker = asyncio.create_task(self._let_through(), name="send-budget")
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # let through, then given up
                self.untake()
            raise

    async def _let_through(self) -> None:
        while self.replies or self.broadcasts:
            now = time.monotonic()
            due = self._due(now)
            if due > now:
                await asyncio.sleep(due - now)
                continue
            future = (self.replies or self.broadcasts).popleft()
            if not future.done():  # its sender may have given up (cancelled)
                self._take(now)  # counted now: its sender wakes later
                future.set_result(None)


class LocalBudget:
    """The send budget of one process (see the module docstring)."""

    def __init__(self, rate: float = 30.0, *, paid_rate: float = PAID_RATE,
                 private: tuple[int, float] = PRIVATE_WINDOW,
                 group: tuple[int, float] = GROUP_WINDOW) -> None:
        self.lanes = {False: _Lane(rate), True: _Lane(paid_rate)}
        self.private, self.group = private, group
        self.chats: dict[int, _Window] = {}

    def _chat(self, chat_id: int) -> _Window:
        window = self.chats.get(chat_id)
        if window is None:
            if len(self.chats) > 50_000:
                self._forget_idle()
            window = self.chats[chat_id] = _Window(
                *(self.private if chat_id > 0 else self.group), CHAT_MARGIN)
        return window

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for chat_id in [c for c, w in self.chats.items() if w.idle(now)]:
            del self.chats[chat_id]

    async def reply(self, chat_id: int | None, *, paid: bool = False) -> Ticket:
        lane = self.lanes[paid]
        if chat_id is None:
            await lane.take(urgent=True)
            return Ticket(*lane.windows())
        window = self._chat(chat_id)
        while True:
            wait = window.wait(time.monotonic())
            if wait > 0:  # this chat's window is full: its oldest message leaves it then
                await asyncio.sleep(wait)
                continue
            await lane.take(urgent=True)
            if window.wait(time.monotonic()) <= 0:  # another send to this chat may have come
                window.take()
                return Ticket(*lane.windows(), window)
            lane.untake()

    async def broadcast(self, chat_id: int, *, paid: bool = False) -> Ticket | float:
        window = self._chat(chat_id)
        keep = 1 if window.limit > 1 else 0  # a place left for a reply
        wait = window.wait(time.monotonic(), keep)
        if wait > 0:
            return wait
        lane = self.lanes[paid]
        await lane.take(urgent=False)
        wait = window.wait(time.monotonic(), keep)  # a reply may have come first
        if wait > 0:
            lane.untake()
            return wait
        window.take()
        return Ticket(*lane.windows(), window)

    def hold(self, chat_id: int, seconds: float) -> None:
        window = self._chat(chat_id)
        window.closed_until = max(window.closed_until, time.monotonic() + seconds)


class BudgetedRequests(BaseRateLimiter[int]):
    """PTB's rate limiter slot, filled by the send budget: every message a handler sends waits
    for its turn as a reply; edits, button answers and the rest go straight through. A 429 is
    held against its chat and the call tried again (at most `max_retries` times)."""

    def __init__(self, budget: SendBudget, max_retries: int = 3) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: dict[str, Any],
        endpoint: str, data: dict[str, Any], rate_limit_args: int | None,
    ) -> Any:
        if endpoint not in SENDING_METHODS:
            return await callback(*args, **kwargs)
        chat_id = _int_or_none(data.get("chat_id"))
        paid = bool(data.get("allow_paid_broadcast"))
        retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        for attempt in range(retries + 1):
            ticket = await self.budget.reply(chat_id, paid=paid)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt >= retries:
                    raise
                wait = error.retry_after
                seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            finally:
                ticket.done()
            log.info("Telegram asked to wait %.1f s before sending again", seconds)
            if chat_id is None:
                await asyncio.sleep(seconds)
            else:  # the next try waits for the chat, other chats go on
                self.budget.hold(chat_id, seconds)
        raise AssertionError("not reached")


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):  # a channel's @username: only the overall limit applies
        return None
