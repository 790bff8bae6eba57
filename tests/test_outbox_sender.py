"""The outbox sender against the emulator's Telegram limits: 429s are waited out and retried,
403s mark people unreachable once, other 4xx fail without retry, network errors retry a
bounded number of times, and paid broadcasts are flagged as such."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from bench.broadcast_seed import seed_broadcast
from bot.app import RENDERERS
from bot.botapi import BotApi
from bot.emulator.client import serve
from bot.emulator.state import World
from bot.outbox import MAX_ATTEMPTS, OutboxSender
from models.outbox import OutboxMessage
from models.people import Person
from tests.botenv import TOKEN

FIRST = 100_000


async def send_all(db, base_url: str, *, rate: float, paid: bool = False,
                   until_done: bool = True, rounds: int = 400) -> OutboxSender:
    sender = OutboxSender(db, RENDERERS, rate=rate, paid_broadcast=paid, concurrency=4,
                          lease=dt.timedelta(seconds=30), poll_seconds=0.05,
                          backoff_seconds=0.01)
    api = BotApi(f"{base_url}/bot{TOKEN}")
    try:
        task = asyncio.create_task(sender.run(api, asyncio.Event()))
        try:
            for _ in range(rounds):
                await asyncio.sleep(0.05)
                async with db.session() as s:
                    waiting = await s.scalar(select(func.count()).where(
                        OutboxMessage.status.in_(("pending", "sending"))))
                if until_done and waiting == 0:
                    break
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
    finally:
        await api.close()
    return sender


async def statuses(db) -> dict[str, int]:
    async with db.session() as s:
        rows = await s.execute(select(OutboxMessage.status, func.count())
                               .group_by(OutboxMessage.status))
        return dict(rows.all())


async def test_429s_are_waited_out_and_nothing_is_lost(db):
    await seed_broadcast(db, recipients=12, first_chat_id=FIRST)
    world = World(token=TOKEN, limits="rate=4")  # the sender tries 40/s: Telegram says no
    world.add_users(12, first_id=FIRST)
    async with serve(world) as em:
        await send_all(db, em.url, rate=40)
    assert world.rejected_429 > 0
    assert sorted(world.delivered) == list(range(FIRST, FIRST + 12))
    assert set(world.delivered.values()) == {1}
    assert await statuses(db) == {"sent": 12}


async def test_blocked_people_are_marked_once_and_others_still_get_it(db):
    await seed_broadcast(db, recipients=6, first_chat_id=FIRST)
    world = World(token=TOKEN)
    world.add_users(6, first_id=FIRST)
    world.blocked.update({FIRST + 1, FIRST + 4})
    async with serve(world) as em:
        await send_all(db, em.url, rate=100)
    assert world.blocked_403 == 2  # each tried once, never again
    assert await statuses(db) == {"sent": 4, "blocked": 2}
    async with db.session() as s:
        unreachable = set(await s.scalars(select(Person.telegram_id).where(
            Person.unreachable_at.is_not(None))))
    assert unreachable == {FIRST + 1, FIRST + 4}


async def test_unknown_chat_fails_without_retry(db):
    await seed_broadcast(db, recipients=3, first_chat_id=FIRST)
    world = World(token=TOKEN)
    world.add_users(2, first_id=FIRST)  # the third never opened a chat with the bot
    async with serve(world) as em:
        await send_all(db, em.url, rate=100)
    assert await statuses(db) == {"sent": 2, "failed": 1}
    async with db.session() as s:
        failed = await s.scalar(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert failed.attempts == 1 and "chat not found" in failed.error.lower()


async def test_network_errors_retry_a_bounded_number_of_times(db):
    await seed_broadcast(db, recipients=2, first_chat_id=FIRST)
    await send_all(db, "http://127.0.0.1:9", rate=100)  # nothing listens there
    async with db.session() as s:
        rows = list(await s.scalars(select(OutboxMessage)))
    assert {r.status for r in rows} == {"failed"}
    assert {r.attempts for r in rows} == {MAX_ATTEMPTS}


async def test_paid_broadcast_is_flagged(db):
    await seed_broadcast(db, recipients=5, first_chat_id=FIRST)
    world = World(token=TOKEN, limits="telegram")
    world.add_users(5, first_id=FIRST)
    async with serve(world) as em:
        await send_all(db, em.url, rate=1000, paid=True)
    assert world.paid_delivered == 5 and world.rejected_429 == 0


async def test_a_reply_is_not_stuck_behind_a_broadcast(db):
    from models.outbox import claim, enqueue

    await seed_broadcast(db, recipients=50, first_chat_id=FIRST)  # a big notice is going out
    async with db.session() as s:
        reply = enqueue(s, chat_id=7, kind="join.decided", payload={"membership_id": 1})
        await s.commit()
        first = await claim(s, limit=1, lease=dt.timedelta(seconds=30))
    assert [row.id for row in first] == [reply.id]


async def test_cancelling_stops_what_the_sender_already_claimed(db):
    from models.outbox import cancel_topic

    await seed_broadcast(db, recipients=40, first_chat_id=FIRST)
    world = World(token=TOKEN)
    world.add_users(40, first_id=FIRST)
    async with serve(world) as em:
        sender = OutboxSender(db, RENDERERS, rate=10, concurrency=2, poll_seconds=0.05,
                              lease=dt.timedelta(seconds=30))
        api = BotApi(f"{em.url}/bot{TOKEN}")
        task = asyncio.create_task(sender.run(api, asyncio.Event()))
        try:
            for _ in range(200):  # a few went out; the rest are claimed and queued
                await asyncio.sleep(0.05)
                if world.total_delivered >= 5:
                    break
            async with db.session() as s:
                stopped = await cancel_topic(s, "notice:1")
                await s.commit()
            at_cancel = world.total_delivered
            await asyncio.sleep(1.5)  # several flushes: the sender learns of the cancel
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await api.close()
    assert stopped > 20
    # at most what was already in flight (2 senders) and until the next flush (~0.25 s)
    assert world.total_delivered <= at_cancel + 2 + 3
    # what went out is recorded as sent, the rest as cancelled
    assert await statuses(db) == {"sent": world.total_delivered,
                                  "cancelled": 40 - world.total_delivered}


async def send_until(db, api: BotApi, world: World, delivered: int, *,
                     lease: dt.timedelta = dt.timedelta(minutes=10),
                     before_stop: Callable[[], Awaitable[None]] | None = None) -> None:
    """Run a sender (20/s) until the emulator has delivered `delivered` messages in all, then
    stop it as the bot does on SIGTERM: its task is cancelled."""
    sender = OutboxSender(db, RENDERERS, rate=20, concurrency=2, poll_seconds=0.05,
                          lease=lease)
    task = asyncio.create_task(sender.run(api, asyncio.Event()))
    try:
        for _ in range(200):
            await asyncio.sleep(0.05)
            if world.total_delivered >= delivered:
                break
        if before_stop is not None:
            await before_stop()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_clean_stop_hands_back_what_it_had_not_sent(db):
    """Stopping the bot mid-broadcast (a restart, a deploy): what had not gone out is pending
    again at once, so the next start sends it without waiting for the 10-minute lease, and
    nobody gets the notice twice."""
    await seed_broadcast(db, recipients=40, first_chat_id=FIRST)
    world = World(token=TOKEN)
    world.add_users(40, first_id=FIRST)
    lease = dt.timedelta(minutes=10)
    async with serve(world) as em:
        api = BotApi(f"{em.url}/bot{TOKEN}")
        try:
            await send_until(db, api, world, 8, lease=lease)
            first_run = world.total_delivered
            after_stop = await statuses(db)
            assert after_stop == {"sent": first_run, "pending": 40 - first_run}
            await send_until(db, api, world, 40, lease=lease)
        finally:
            await api.close()
    assert 8 <= first_run < 40
    assert sorted(world.delivered) == list(range(FIRST, FIRST + 40))
    assert set(world.delivered.values()) == {1}
    assert await statuses(db) == {"sent": 40}


async def test_a_stop_during_a_slow_flush_still_writes_every_outcome(db, monkeypatch):
    """The database is slow (a flush takes 0.3 s) when the bot stops: what went out during
    that last flush is still recorded as sent, so nothing goes out twice later."""
    import bot.outbox

    real_record = bot.outbox.record
    flushing = asyncio.Event()

    async def slow_record(session, outcomes, **options):
        flushing.set()
        await asyncio.sleep(0.3)
        await real_record(session, outcomes, **options)
        flushing.clear()

    monkeypatch.setattr(bot.outbox, "record", slow_record)
    await seed_broadcast(db, recipients=30, first_chat_id=FIRST)
    world = World(token=TOKEN)
    world.add_users(30, first_id=FIRST)
    async with serve(world) as em:
        api = BotApi(f"{em.url}/bot{TOKEN}")
        async def as_a_flush_begins() -> None:  # sends end during the last flush
            flushing.clear()
            await flushing.wait()

        try:
            await send_until(db, api, world, 10, before_stop=as_a_flush_begins)
        finally:
            await api.close()
    delivered = world.total_delivered
    assert 10 <= delivered < 30
    assert await statuses(db) == {"sent": delivered, "pending": 30 - delivered}


async def test_each_claimed_row_carries_its_readers_language_and_sent_at_reads_back(
        db, monkeypatch):
    """The claim looks up each recipient's language (the notice is rendered in it), and the
    fast path that records sent rows writes `sent_at` as the ORM does."""
    import models.outbox
    from models.outbox import OutboxStatus, Outcome, claim, record

    # a whole second: the driver's own datetime text would drop the ".000000"
    monkeypatch.setattr(models.outbox, "utcnow", lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    await seed_broadcast(db, recipients=6, first_chat_id=FIRST)
    async with db.session() as s:
        languages = dict((await s.execute(select(Person.id, Person.language))).all())
        rows = await claim(s, limit=10, lease=dt.timedelta(seconds=30))
        assert {r.language for r in rows} == {"zh_CN", "en"}
        assert all(r.language == languages[r.person_id] for r in rows)
        await record(s, [Outcome(r.id, OutboxStatus.SENT, message_id=r.id) for r in rows])
    async with db.session() as s:
        sent = list(await s.scalars(select(OutboxMessage)))
        assert {m.status for m in sent} == {"sent"} and all(m.sent_at for m in sent)
        assert all(m.sent_at >= m.created_at and m.message_id == m.id for m in sent)
        if db.engine.dialect.name == "sqlite":  # the same fixed-width text as created_at
            raw = (await s.execute(select(func.length(OutboxMessage.sent_at),
                                          func.length(OutboxMessage.created_at)))).all()
            assert {a for a, b in raw} == {b for a, b in raw} == {26}


async def test_a_send_reads_the_message_id_however_telegram_spells_the_answer():
    """The outbox's lean send posts the form `call` would post, reads the message id from a
    compact answer without decoding it, decodes any other answer in full, and maps errors as
    `call` does."""
    import json

    import httpx

    from bot.botapi import Blocked, RetryLater, encode, form

    params = {"parse_mode": "HTML", "text": "📢 <b>公告</b> & more", "allow_paid_broadcast": True,
              "reply_markup": {"inline_keyboard": [[{"text": "✅", "callback_data": "na:1"}]]}}
    answers = [b'{"ok":true,"result":{"message_id":41,"chat":{"id":7}}}',
               json.dumps({"ok": True, "result": {"chat": {"id": 7}, "message_id": 42}}).encode(),
               b'{"ok":false,"error_code":429,"description":"Too Many Requests",'
               b'"parameters":{"retry_after":3}}',
               b'{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked"}']
    posted: list[bytes] = []

    def telegram(request: httpx.Request) -> httpx.Response:
        posted.append(request.content)
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        return httpx.Response(200, content=answers[len(posted) - 1])

    api = BotApi("http://telegram.test/botTOKEN")
    api.http = httpx.AsyncClient(transport=httpx.MockTransport(telegram))
    try:
        encoded = encode(params)
        assert await api.send("sendMessage", 7, encoded) == 41
        assert await api.send("sendMessage", -1007, encoded) == 42
        with pytest.raises(RetryLater) as waited:
            await api.send("sendMessage", 7, encoded)
        assert waited.value.seconds == 3
        with pytest.raises(Blocked):
            await api.send("sendMessage", 7, encoded)
    finally:
        await api.close()
    expected = httpx.Request("POST", "http://x", data={"chat_id": "7", **form(params)})
    assert posted[0] == expected.read()
    assert posted[1].startswith(b"chat_id=-1007&")


async def test_a_stop_that_comes_with_a_wakeup_still_stops_the_sender(db):
    """The bot stopping cancels the sender; a wake-up in the same turn of the event loop (a
    handler's reply queued just then) must not cancel the stop: on Python 3.11 asyncio's
    wait_for swallowed it, and stopping waited for the sender for ever (bot/timeouts.py)."""
    sender = OutboxSender(db, RENDERERS, rate=100, concurrency=2,
                          lease=dt.timedelta(seconds=30), poll_seconds=30)
    api = BotApi(f"http://127.0.0.1:9/bot{TOKEN}")  # nothing is sent: the outbox is empty
    wakeup = asyncio.Event()
    try:
        task = asyncio.create_task(sender.run(api, wakeup))
        for _ in range(3000):  # until it waits for its wake-up, having found nothing to send
            await asyncio.sleep(0.01)
            if wakeup._waiters:  # type: ignore[attr-defined]
                break
        assert wakeup._waiters  # type: ignore[attr-defined]
        wakeup.set()
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=10)
        assert done and task.cancelled(), "the sender went on after it was told to stop"
    finally:
        await api.close()


async def test_the_stop_ends_the_sender_even_without_its_cancellation(db):
    """The bot stopping also sets the sender's stop event (and wakes it): should the
    cancellation be lost on the way (Python 3.11's wait_for swallows one in a race, and the
    SQLite writer queue waits with it), the sender still ends its loop and stops cleanly."""
    sender = OutboxSender(db, RENDERERS, rate=100, concurrency=2,
                          lease=dt.timedelta(seconds=30), poll_seconds=30)
    api = BotApi(f"http://127.0.0.1:9/bot{TOKEN}")
    wakeup, stop = asyncio.Event(), asyncio.Event()
    try:
        task = asyncio.create_task(sender.run(api, wakeup, stop))
        for _ in range(3000):  # until it waits for its wake-up, having found nothing to send
            await asyncio.sleep(0.01)
            if wakeup._waiters:  # type: ignore[attr-defined]
                break
        assert wakeup._waiters  # type: ignore[attr-defined]
        stop.set()
        wakeup.set()  # no cancellation at all
        done, _pending = await asyncio.wait({task}, timeout=10)
        assert done and not task.cancelled() and task.exception() is None
    finally:
        await api.close()
