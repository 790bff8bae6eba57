"""The outbox sender: renders each pending row in its recipient's language and sends it.

Rows are written by services in the same transaction as their cause; this drains them. Outcomes
follow Telegram's answers: 429 waits `retry_after` and retries; 403 (the person blocked the bot
or left) marks them unreachable, no retry; other 4xx are recorded as failed; network errors
and 5xx retry with backoff a bounded number of times.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.db import Database
from bot.i18n import Translator, tr
from models.base import utcnow
from models.outbox import OutboxMessage, OutboxStatus, due_messages, mark
from models.people import Person

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None = None


# A renderer turns a row's payload into a message, or None when it is no longer worth sending.
Renderer = Callable[[AsyncSession, dict[str, Any], Translator], Awaitable[Rendered | None]]


class OutboxSender:
    """Drains the outbox; `run` loops until cancelled, woken early by `wakeup`."""

    def __init__(self, db: Database, renderers: Mapping[str, Renderer], *,
                 default_language: str = "zh_CN", poll_seconds: float = 1.0) -> None:
        self.db = db
        self.renderers = renderers
        self.default_language = default_language
        self.poll_seconds = poll_seconds

    async def run(self, bot: Bot, wakeup: asyncio.Event) -> None:
        while True:
            try:
                sent = await self.drain(bot)
            except Exception:  # keep the sender alive; the row stays pending
                log.exception("outbox drain failed")
                sent = 0
            if sent:
                continue
            try:
                await asyncio.wait_for(wakeup.wait(), self.poll_seconds)
            except TimeoutError:
                pass
            wakeup.clear()

    async def drain(self, bot: Bot, *, limit: int = 50) -> int:
        """Send what is due now; return how many rows were handled."""
        async with self.db.session() as session:
            rows = await due_messages(session, limit=limit)
            for row in rows:
                await self._send_one(session, bot, row)
                await session.commit()
        return len(rows)

    async def _send_one(self, session: AsyncSession, bot: Bot, row: OutboxMessage) -> None:
        language = self.default_language
        if row.person_id is not None:
            person = await session.get(Person, row.person_id)
            if person is not None:
                language = person.language
        renderer = self.renderers.get(row.kind)
        if renderer is None:
            await mark(session, row.id, status=OutboxStatus.FAILED, error="no renderer")
            return
        rendered = await renderer(session, row.payload, tr(language))
        if rendered is None:  # overtaken by events (e.g. a request already decided)
            await mark(session, row.id, status=OutboxStatus.SENT, error="skipped")
            return
        try:
            message = await bot.send_message(row.chat_id, rendered.text,
                                             reply_markup=rendered.markup,
                                             parse_mode=ParseMode.HTML)
        except RetryAfter as error:
            retry = error.retry_after
            seconds = retry.total_seconds() if isinstance(retry, dt.timedelta) else float(retry)
            await mark(session, row.id, status=OutboxStatus.PENDING, error="429",
                       retry_at=utcnow() + dt.timedelta(seconds=seconds))
        except Forbidden as error:
            await mark(session, row.id, status=OutboxStatus.BLOCKED, error=str(error))
            if row.person_id is not None:
                await session.execute(update(Person).where(Person.id == row.person_id)
                                      .values(unreachable_at=utcnow()))
        except BadRequest as error:
            await mark(session, row.id, status=OutboxStatus.FAILED, error=str(error))
        except (NetworkError, TelegramError) as error:
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await mark(session, row.id, status=OutboxStatus.FAILED, error=str(error))
            else:
                backoff = dt.timedelta(seconds=2 ** row.attempts)
                await mark(session, row.id, status=OutboxStatus.PENDING, error=str(error),
                           retry_at=utcnow() + backoff)
        else:
            await mark(session, row.id, status=OutboxStatus.SENT, message_id=message.message_id)
