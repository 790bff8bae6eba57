"""The outbox sender: drains the outbox under Telegram's limits, in the recipient's language.

Limits: every send takes its turn from the bot's one send budget (bot/sending.py), shared with
the handlers' replies, which go first: the overall rate (about 30/s; 1,000/s for paid
broadcasts) and each chat's own window (about 1 message/s in a private chat, 20/min in a
group). A message whose chat has no room yet is put back until it has, while other chats keep
flowing; a 429 closes that chat for `retry_after` and puts the message back; a
403 (blocked, or left) marks the person unreachable and never retries; other 4xx are recorded
as failed; network errors and 5xx retry with backoff a bounded number of times.

An edit row (models/outbox_edits.py) replaces the text and buttons of a message the outbox
sent, taking its turn from the same budget (Telegram does not count edits, but a thousand of
them must not crowd out replies); it waits for its message to be sent, and is skipped when
that never went out. In quiet hours (models/quiet_hours.py) only urgent rows are claimed.
Outcomes are written in batches every FLUSH_SECONDS: a kill loses nothing (claimed rows come
back when their lease runs out) and re-sends at most what was sent since the last batch; a
clean stop lets the sends on the wire finish and hands the rest back at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.botapi import (
    ApiError,
    Blocked,
    BotApi,
    Migrated,
    Rejected,
    RetryLater,
    Unavailable,
    encode,
)
from bot.db import Database
from bot.i18n import Translator, tr
from bot.sending import PAID_RATE, LocalBudget, SendBudget, Ticket
from bot.timeouts import within
from models.base import utcnow
from models.groups import end_binding, move_binding
from models.outbox import (
    Claimed,
    OutboxStatus,
    Outcome,
    claim,
    record,
    release,
    take_cancelled_claims,
)
from models.outbox_owed import no_longer_owed
from models.quiet_hours import QuietHours

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
FLUSH_SECONDS = 0.25  # how often outcomes are written (a kill re-sends at most this much)
GRACE_SECONDS = 5.0  # on a clean stop, how long sends already on the wire may take
EDIT_WAIT_SECONDS = 2.0  # an edit whose message is not sent yet looks again after this


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file_id; `text` becomes the caption
    document: str | None = None
    pin: bool = False  # pin it in the (group) chat after sending


# A renderer turns a row's payload into a message, or None when it is no longer worth sending.
Renderer = Callable[[AsyncSession, dict[str, Any], Translator], Awaitable[Rendered | None]]
# Renderers whose output depends only on (payload, language): rendered once per batch.
SHARED_KINDS: set[str] = set()


class OutboxSender:
    """Drains the outbox; `run` loops until cancelled, woken early by `wakeup`."""

    def __init__(
        self, db: Database, renderers: Mapping[str, Renderer], *, default_language: str = "zh_CN",
        rate: float = 30.0, paid_broadcast: bool = False, concurrency: int = 8,
        lease: dt.timedelta = dt.timedelta(seconds=60), poll_seconds: float = 1.0,
        backoff_seconds: float = 1.0, tz: dt.tzinfo | None = None,
        budget: SendBudget | None = None, quiet: QuietHours | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.renderers = renderers
        self.default_language = default_language
        self.tz = tz  # the community's zone for dates in messages (None: the configured one)
        self.paid = paid_broadcast
        # the bot's send budget (shared with its replies); alone, one of its own
        self.budget = budget or LocalBudget(rate, paid_rate=rate if paid_broadcast
                                            else PAID_RATE)
        self.quiet = quiet  # quiet hours: only urgent rows go (None: none)
        self.clock = clock  # what time it is (tests set the hour)
        self.concurrency = concurrency
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.backoff_seconds = backoff_seconds  # first retry after a network error; doubles
        # A batch is about five seconds of sending (and well within a lease): a reply that
        # arrives during a broadcast waits seconds, not minutes, behind it.
        self.batch = max(1, min(500, int(rate * 5), int(rate * lease.total_seconds() / 3)))
        # each rendered message's method and encoded form, built once, not once per send
        self._forms: dict[int, tuple[Rendered, str, bytes]] = {}
        self._hungry = asyncio.Event()  # the queue fell to half a batch: claim the next one
        self._busy = False  # the last claim found rows (the next one need not look first)
        self.outcomes: list[Outcome] = []
        self._queued: set[int] = set()  # claimed ids waiting or in flight here
        self._cancelled: set[int] = set()  # of those, cancelled meanwhile: not to be sent
        self._rendering: list[int] = []  # claimed ids of the batch being rendered
        # groups the bot was removed from, and groups that became supergroups (old → new id)
        self._gone_groups: set[int] = set()
        self._moved_groups: dict[int, int] = {}

    async def run(self, api: BotApi, wakeup: asyncio.Event,
                  stop: asyncio.Event | None = None) -> None:
        """Claim, render and send until cancelled (or `stop` is set, and `wakeup` with it).
        The next batch is claimed while the last half of the current one is still being
        sent, so the senders never wait for the database; `wakeup` cuts the idle wait short
        when new rows arrive. `stop` ends the loop also when a cancellation was lost on the
        way (Python 3.11's asyncio.wait_for swallows one in a race: bot/timeouts.py; the
        SQLite writer queue's wait for its turn is one such place)."""
        queue: asyncio.Queue[tuple[Claimed, Rendered] | None] = asyncio.Queue()
        stopping = asyncio.Event()
        self._hungry = asyncio.Event()
        flusher = asyncio.create_task(self._flush_every(FLUSH_SECONDS, stopping))
        tasks = [asyncio.create_task(self._worker(api, queue)) for _ in range(self.concurrency)]
        try:
            while stop is None or not stop.is_set():
                if queue.qsize() > self.batch // 2:
                    self._hungry.clear()
                    await self._hungry.wait()  # a sender sets it when the queue is at half
                    continue
                try:
                    claimed = await self._claim_into(queue)
                except Exception:  # keep the sender alive; rows come back after their lease
                    log.exception("outbox claim failed")
                    claimed = 0
                if claimed:
                    continue
                if not queue.empty():
                    await asyncio.sleep(0.05)
                    continue
                await within(wakeup.wait(), self.poll_seconds)  # (not wait_for: bot/timeouts.py)
                wakeup.clear()
        finally:
            try:
                await self._stop_workers(tasks, queue)
            finally:
                for task in tasks:  # if stopping itself was cancelled
                    task.cancel()
                # never cancel a flush half-way (it would leave its transaction holding
                # SQLite's write lock): let the flusher finish its round, writing the last
                # outcomes
                stopping.set()
                await asyncio.shield(flusher)

    async def _stop_workers(self, tasks: list[asyncio.Task[None]],
                            queue: asyncio.Queue[tuple[Claimed, Rendered] | None]) -> None:
        """A clean stop: rows not started go back to the outbox at once (the next start sends
        them without waiting for their lease), and sends already on the wire get up to
        GRACE_SECONDS to finish so their outcomes are written, not sent again."""
        # claimed, and not yet queued or given an outcome (a stop during rendering)
        decided = {outcome.id for outcome in self.outcomes}
        unsent = [id_ for id_ in self._rendering if id_ not in decided]
        self._rendering = []
        while not queue.empty():
            item = queue.get_nowait()
            if item is not None:
                unsent.append(item[0].id)
        for _ in tasks:
            queue.put_nowait(None)  # each worker stops after the send it is in
        _, late = await asyncio.wait(tasks, timeout=GRACE_SECONDS)
        for task in late:  # still waiting on Telegram: that row returns after its lease
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if unsent:
            try:
                async with self.db.session() as session:
                    await release(session, unsent)
            except Exception:  # they come back after their lease instead
                log.exception("outbox could not release unsent rows")
            self._queued.difference_update(unsent)

    async def _flush_every(self, seconds: float, stopping: asyncio.Event) -> None:
        """Flush every `seconds`; once `stopping` is set (every worker has stopped by then),
        flush what is left and return."""
        while True:
            stopped = stopping.is_set()
            if not stopped:
                await within(stopping.wait(), seconds)
            try:
                await self.flush()
            except Exception:
                log.exception("outbox flush failed")
            if stopped:
                return

    async def flush(self) -> None:
        """Write outcomes; and learn which queued rows were cancelled meanwhile (one
        transaction). Nothing to write and nothing queued: nothing to do."""
        outcomes, self.outcomes = self.outcomes, []
        if not (outcomes or self._queued or self._moved_groups or self._gone_groups):
            return
        try:
            async with self.db.session() as session:
                if outcomes:
                    await record(session, outcomes, commit=False)
                if self._queued:
                    self._cancelled |= (await take_cancelled_claims(session, commit=False)
                                        & self._queued)
                await session.commit()
                await self._follow_groups(session)
        except BaseException:  # keep them for the next flush, or they would be sent again
            self.outcomes[:0] = outcomes
            raise
        for outcome in outcomes:
            self._queued.discard(outcome.id)
        self._cancelled &= self._queued

    async def _follow_groups(self, session: AsyncSession) -> None:
        """Bindings follow what sending learnt: a group that became a supergroup keeps its
        binding under the new id; one the bot was removed from is unbound (its binder told)."""
        while self._moved_groups:
            old, new = self._moved_groups.popitem()
            await move_binding(session, old_chat_id=old, new_chat_id=new)
        while self._gone_groups:
            await end_binding(session, chat_id=self._gone_groups.pop(), why="send")

    async def _claim_into(self, queue: asyncio.Queue[tuple[Claimed, Rendered] | None]) -> int:
        """Claim one batch, render it and queue it for the senders; return how many rows."""
        if len(self._forms) > 10_000:
            self._forms.clear()
        async with self.db.session() as session:
            # busy, the next rows are as good as there: no need to look before claiming
            rows = await claim(session, limit=self.batch, lease=self.lease, look=not self._busy,
                               now=self.clock(), quiet=self.quiet)
            self._busy = bool(rows)
            if not rows:
                return 0
            self._rendering = [row.id for row in rows]  # a stop meanwhile hands them back
            rendered = await self._render_all(session, rows)
        for row, message in zip(rows, rendered, strict=True):
            # a row whose lease ran out while it still waited here is queued once, not twice
            if message is not None and row.id not in self._queued:
                self._queued.add(row.id)
                queue.put_nowait((row, message))
        self._rendering = []
        return len(rows)

    async def _render_all(self, session: AsyncSession,
                          rows: list[Claimed]) -> list[Rendered | None]:
        cache: dict[tuple[str, str, str], Rendered | None] = {}
        out: list[Rendered | None] = []
        done = await no_longer_owed(session, rows)  # e.g. reminded, but signed meanwhile
        for row in rows:
            if row.id in done:
                out.append(None)
                self.outcomes.append(Outcome(row.id, OutboxStatus.SKIPPED))
                continue
            language = row.language or self.default_language
            renderer = self.renderers.get(row.kind)
            if renderer is None:
                out.append(None)
                self.outcomes.append(Outcome(row.id, OutboxStatus.FAILED, error="no renderer"))
                continue
            key = (row.kind, repr(sorted(row.payload.items())), language)
            if row.kind in SHARED_KINDS and key in cache:
                out.append(cache[key])
                if cache[key] is None:  # no longer worth sending, for this row too
                    self.outcomes.append(Outcome(row.id, OutboxStatus.SKIPPED))
                continue
            try:
                message = await renderer(session, row.payload, tr(language, self.tz))
            except Exception as error:  # its subject deleted, or the database busy
                await session.rollback()  # a failed statement must not poison the others
                log.warning("outbox row %s could not be rendered: %s", row.id,
                            type(error).__name__)
                out.append(None)
                failed = row.attempts + 1 >= MAX_ATTEMPTS
                retry = None if failed else utcnow() + dt.timedelta(
                    seconds=self.backoff_seconds * 2 ** row.attempts)
                self.outcomes.append(Outcome(row.id, OutboxStatus.FAILED, retry_at=retry,
                                             error=f"render: {type(error).__name__}"))
                continue
            cache[key] = message
            out.append(message)
            if message is None:
                self.outcomes.append(Outcome(row.id, OutboxStatus.SKIPPED))
        return out

    async def _worker(self, api: BotApi,
                      queue: asyncio.Queue[tuple[Claimed, Rendered] | None]) -> None:
        while True:
            item = await queue.get()
            if item is None:  # stopping
                return
            if queue.qsize() <= self.batch // 2 and not self._hungry.is_set():
                self._hungry.set()
            row, message = item
            if row.id in self._cancelled:  # its notice was cancelled while it waited here
                self._cancelled.discard(row.id)
                self._queued.discard(row.id)
                continue
            try:
                outcome = await self._send(api, row, message)
            except Exception:  # a bug, not Telegram: log it; the row returns after its lease
                log.exception("outbox row %s could not be sent", row.id)
                self._queued.discard(row.id)
                continue
            # append after the await: `flush` may have swapped the list meanwhile
            self.outcomes.append(outcome)

    async def _send(self, api: BotApi, row: Claimed, message: Rendered) -> Outcome:
        if row.edits_id is not None:
            if row.edited_status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                # the message it edits is not there yet: wait for it
                return Outcome(row.id, OutboxStatus.PENDING, count_attempt=False,
                               retry_at=utcnow() + dt.timedelta(seconds=EDIT_WAIT_SECONDS))
            if row.edited_status != OutboxStatus.SENT or row.edit_message_id is None:
                return Outcome(row.id, OutboxStatus.SKIPPED)  # it never went out
        ticket = await self.budget.broadcast(row.chat_id, paid=self.paid)
        if not isinstance(ticket, Ticket):  # this chat's own limit: try again when it allows
            return Outcome(row.id, OutboxStatus.PENDING, count_attempt=False,
                           retry_at=utcnow() + dt.timedelta(seconds=ticket))
        try:
            if row.edit_message_id is not None:
                message_id = row.edit_message_id
                await api.edit(row.chat_id, message_id, message.text, markup=None if
                               message.markup is None else message.markup.to_dict(),
                               caption=bool(message.photo or message.document))
            else:
                message_id = await self._deliver(api, row.chat_id, message)
        except RetryLater as error:
            self.budget.hold(row.chat_id, error.seconds)
            return Outcome(row.id, OutboxStatus.PENDING, error="429", count_attempt=False,
                           retry_at=utcnow() + dt.timedelta(seconds=error.seconds))
        except Blocked as error:
            if row.chat_id < 0:  # the bot is no longer in that group
                self._gone_groups.add(row.chat_id)
            return Outcome(row.id, OutboxStatus.BLOCKED, error=error.description[:500],
                           unreachable_person_id=row.person_id)
        except Migrated as error:  # the same group under its new id: send there, now
            self._moved_groups[row.chat_id] = error.new_chat_id
            return Outcome(row.id, OutboxStatus.PENDING, error=error.description[:500],
                           count_attempt=False, retry_at=utcnow(), moved_to=error.new_chat_id)
        except Rejected as error:
            return Outcome(row.id, OutboxStatus.FAILED, error=error.description[:500])
        except Unavailable as error:
            if row.attempts + 1 >= MAX_ATTEMPTS:
                return Outcome(row.id, OutboxStatus.FAILED, error=error.description[:500])
            backoff = dt.timedelta(seconds=self.backoff_seconds * 2 ** row.attempts)
            return Outcome(row.id, OutboxStatus.PENDING, error=error.description[:500],
                           retry_at=utcnow() + backoff)
        finally:
            ticket.done()  # counted from when Telegram had it (bot/sending.py)
        return Outcome(row.id, OutboxStatus.SENT, message_id=message_id)

    async def _deliver(self, api: BotApi, chat_id: int, message: Rendered) -> int:
        method, encoded = self._form(message)
        message_id = await api.send(method, chat_id, encoded)
        if message.pin:
            try:
                await api.call("pinChatMessage", {"chat_id": chat_id, "message_id": message_id,
                                                  "disable_notification": True})
            except ApiError as error:  # not an admin there: the message itself went out
                log.info("could not pin in chat %s: %s", chat_id, error.description)
        return message_id

    def _form(self, message: Rendered) -> tuple[str, bytes]:
        """The method and encoded form (all but the chat) of a rendered message, built once
        per rendered message, not once per send: a broadcast shares a few."""
        key = id(message)
        cached = self._forms.get(key)
        if cached is None or cached[0] is not message:
            params: dict[str, Any] = {
                "parse_mode": "HTML", "allow_paid_broadcast": True if self.paid else None,
                "reply_markup": None if message.markup is None else message.markup.to_dict()}
            if message.photo:
                method = "sendPhoto"
                params |= {"photo": message.photo, "caption": message.text}
            elif message.document:
                method = "sendDocument"
                params |= {"document": message.document, "caption": message.text}
            else:
                method = "sendMessage"
                params["text"] = message.text
            cached = self._forms[key] = (message, method, encode(params))
        return cached[1], cached[2]
