"""Telegram's sending limits, switchable: ``off`` (the default), ``telegram`` and ``rate=N``.

Telegram answers a bot that sends too fast with HTTP 429 ``Too Many Requests: retry after N`` and
``parameters.retry_after`` (PTB raises ``telegram.error.RetryAfter``). Its documented limits are
about 30 messages per second overall, about one message per second in a private chat (short bursts
pass) and 20 messages per minute in a group; a message sent with ``allow_paid_broadcast`` is
counted against a separate overall limit of 1,000 per second instead of the 30.

Each limit is a sliding window (at most ``limit`` messages in any ``period`` seconds), so the
``retry_after`` answered is exactly the time until the oldest message in the window leaves it,
rounded up to whole seconds. Only accepted messages enter a window. The clock is injectable (a
monotonic clock by default) so tests can move time without sleeping. Only the methods in
``SENDING_METHODS`` are counted: edits, callback answers and the like are free, as on Telegram.
``World.check_send`` turns a wait into the 429 answer.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

JSON = dict[str, Any]

MODES = ("off", "telegram", "rate")

# Methods that put a new message in a chat; the only ones the limits count.
SENDING_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendVideo", "sendAudio",
    "sendVoice", "sendAnimation", "sendVideoNote", "sendSticker", "sendVenue", "sendContact",
    "sendPoll", "sendDice", "sendMediaGroup", "sendPaidMedia", "sendInvoice", "copyMessage",
    "copyMessages", "forwardMessage", "forwardMessages",
})

TELEGRAM_RATE = 30.0  # messages per second overall, all chats together
PAID_RATE = 1000.0  # messages per second overall with allow_paid_broadcast
PRIVATE_LIMIT = (3, 3.0)  # per private chat: 1 message/s on average, bursts of up to 3
GROUP_LIMIT = (20, 60.0)  # per group or supergroup: 20 messages per minute


class Window:
    """At most ``limit`` events in any ``period`` seconds: a log of the accepted ones."""

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: deque[float] = deque()

    @classmethod
    def per_second(cls, rate: float) -> Window:
        """A window for ``rate`` events per second (fractional rates widen the period)."""
        limit = max(1, round(rate))
        return cls(limit, limit / rate)

    def wait(self, now: float) -> float:
        """Seconds until one more event fits (0.0: it fits now)."""
        times, horizon = self.times, now - self.period
        while times and times[0] <= horizon:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[len(times) - self.limit] + self.period - now

    def add(self, now: float) -> None:
        self.times.append(now)

    def to_json(self) -> JSON:
        return {"limit": self.limit, "period": self.period}


def parse_mode(spec: str) -> tuple[str, float | None]:
    """``"off"``, ``"telegram"`` or ``"rate=N"`` (also ``"rate:N"``) → (mode, rate)."""
    text = spec.strip().lower()
    if text in ("off", "telegram"):
        return text, None
    name, sep, value = text.replace(":", "=").partition("=")
    if name == "rate" and sep:
        return "rate", _rate(value)
    raise ValueError(f"limits must be off, telegram or rate=N, not {spec!r}")


def _rate(value: Any) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"rate must be a number of messages per second, not {value!r}") from None
    if not rate > 0 or math.isinf(rate):
        raise ValueError("rate must be a positive number of messages per second")
    return rate


class Limiter:
    """Decides whether a bot message may be sent now; see the module docstring."""

    def __init__(self, mode: str = "off", rate: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.configure(mode, rate)

    def configure(self, mode: str, rate: float | None = None) -> None:
        """Switch mode; ``mode`` may also be a spec such as ``"rate=1000"``. Empties windows."""
        if "=" in mode or ":" in mode:
            mode, rate = parse_mode(mode)
        mode = mode.strip().lower()
        if mode not in MODES:
            raise ValueError(f"limits mode must be one of {', '.join(MODES)}, not {mode!r}")
        if mode == "rate":
            if rate is None:
                raise ValueError("rate mode needs a rate (messages per second)")
            rate = _rate(rate)
        elif mode == "telegram":
            rate = TELEGRAM_RATE
        else:
            rate = None
        self.mode = mode
        self.rate = rate
        self.clear()

    def clear(self) -> None:
        """Forget every message sent so far (the mode stays)."""
        self.overall = Window.per_second(self.rate or TELEGRAM_RATE)
        self.paid = Window.per_second(PAID_RATE)
        self.chats: dict[int, Window] = {}

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def _windows(self, chat_id: int, private: bool, paid: bool) -> tuple[Window, Window]:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Window(*(PRIVATE_LIMIT if private else GROUP_LIMIT))
        return (self.paid if paid else self.overall), chat

    def retry_after(self, chat_id: int, private: bool, paid: bool = False) -> int:
        """Whole seconds (at least 1) a message to this chat must wait, 0 if it may go now.

        Records nothing: call ``record`` once the message was sent.
        """
        if self.mode == "off":
            return 0
        now = self.clock()
        overall, chat = self._windows(chat_id, private, paid)
        wait = max(overall.wait(now), chat.wait(now))
        return max(1, math.ceil(wait - 1e-9)) if wait > 0 else 0

    def record(self, chat_id: int, private: bool, paid: bool = False,
               now: float | None = None) -> None:
        """Count a message that was sent (at ``now`` on this limiter's clock)."""
        if self.mode == "off":
            return
        now = self.clock() if now is None else now
        overall, chat = self._windows(chat_id, private, paid)
        overall.add(now)
        chat.add(now)

    def to_json(self) -> JSON:
        data: JSON = {"mode": self.mode, "rate": self.rate}
        if self.enabled:
            data.update(overall=self.overall.to_json(), paid_broadcast=self.paid.to_json(),
                        private_chat={"limit": PRIVATE_LIMIT[0], "period": PRIVATE_LIMIT[1]},
                        group_chat={"limit": GROUP_LIMIT[0], "period": GROUP_LIMIT[1]})
        return data
