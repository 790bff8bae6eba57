"""The send budget and the update processor under the real Application, against the emulator
with Telegram's limits on: a notice going out to a whole street while 500 people press "Read
and sign" on a pledge — every press answered, every message delivered once, and not one 429
(neither the overall limit nor any chat's was exceeded). Then the update processor: one
person's presses stay in order, and a slow press of one person keeps nobody else waiting."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select
from telegram.ext import CallbackQueryHandler

from bench.synth import FIRST_TELEGRAM_ID, generate
from bot.emulator import World
from models import notices
from models.notices import Target
from models.outbox import OutboxMessage
from models.people import Role
from models.pledges import Signers
from tests.botenv import TOKEN, running_bot
from tests.conftest import person, place, published_pledge

STREET = "合成街道"
STAFF = 1
RATE = 300  # the emulator's overall limit, and the bot's: high enough to keep the test short
PRESSING = 500
READ = "📖 阅读并签署"
SIGN_PROMPT = "您读过了吗？请在下方签署。"


async def publish_pledge(db, staff) -> None:
    async with db.session() as s:
        await published_pledge(s, staff, STREET, "文明养犬", "我承诺：出门牵绳，及时清理。",
                               signers=Signers.RESIDENT)


async def send_notice(db, staff) -> None:
    async with db.session() as s:
        draft = await notices.start_draft(s, author=staff)
        await notices.set_text(s, draft=draft, text="明天 9:00-12:00 停水")
        await notices.set_place(s, draft=draft, place_id=(await place(s, STREET)).id,
                                author=staff)
        await notices.set_target(s, draft=draft, target=Target.ALL)
        await notices.confirm(s, notice_id=draft.id, author=staff)


@pytest.mark.parametrize("backend", ["sqlite"])  # the slowest test: once is enough
async def test_a_broadcast_and_500_presses_share_telegrams_limits(db):
    info = await generate(db, households=600, seed=3)
    residents = [FIRST_TELEGRAM_ID + n for n in range(1, info.persons + 1)]
    async with db.session() as s:
        staff = await person(s, STAFF, "街道工作人员", role=Role.STAFF, at=STREET)
    world = World(token=TOKEN, limits=f"rate={RATE}")
    world.add_users(1, first_id=STAFF)
    world.add_users(info.persons, first_id=residents[0], language_codes=["zh-hans"])
    async with running_bot(db, world=world, rate_limit=True, outbox_rate=RATE) as env:
        announced = env.mark()
        await publish_pledge(db, staff)
        await env.drain_outbox()
        pressing = residents[:PRESSING]
        for user in pressing:  # each has the announcement with its button to press
            await env.wait(user, "文明养犬", since=announced, timeout=60)
        await env.outbox_settled(timeout=60)
        since = env.mark()
        await send_notice(db, staff)  # the whole street: a broadcast of ~660 messages
        await env.drain_outbox()

        at_once = asyncio.Semaphore(60)  # the test's own HTTP client holds 100 connections

        async def read(user: int) -> dict:
            async with at_once:
                pressed = await env.client.press(user, user, text=READ)
                return await env.client.wait_callback_answer(pressed["callback_query_id"],
                                                             timeout=120)

        answers = await asyncio.gather(*(read(user) for user in pressing))
        await env.outbox_settled(timeout=120)
        prompts = [await env.wait(user, SIGN_PROMPT, since=since) for user in pressing]
        got_notice = [await env.wait(user, "停水", since=since) for user in residents]
    assert all(a["answered"] and not a.get("show_alert") for a in answers)
    assert len(prompts) == PRESSING and len(got_notice) == len(residents)
    # once each: the emulator counts deliveries per message it stored
    texts = Counter(m.text for chat in world.chats.values() for m in chat.messages.values()
                    if m.from_bot and m.text and ("停水" in m.text or SIGN_PROMPT in m.text))
    assert sum(n for t, n in texts.items() if "停水" in t) == len(residents)
    assert sum(n for t, n in texts.items() if SIGN_PROMPT in t) == PRESSING
    assert world.rejected_429 == 0  # neither the overall limit nor any chat's was exceeded
    async with db.session() as s:
        unsent = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status != "sent"))
    assert unsent == 0


async def test_one_persons_presses_stay_in_order_and_a_slow_one_delays_nobody_else(db,
                                                                                   places):
    """Through the Application's update processor: Ann's first press is held (a handler that
    waits for an event); her second press waits behind it, Bob's press is answered meanwhile;
    once the first is let go, Ann's two are answered in the order she pressed."""
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(update, context) -> None:  # type: ignore[no-untyped-def]
        data = update.callback_query.data
        if data == "test:slow":
            await release.wait()
        handled.append(f"{update.effective_user.id}:{data}")
        await update.callback_query.answer(data)

    async with running_bot(db) as env:
        env.app.add_handler(CallbackQueryHandler(slow, pattern="^test:"), group=-1)
        ann, bob = await env.user("Ann"), await env.user("Bob")
        for user in (ann, bob):
            await env.em.client.send(user, "/start")
            await env.em.client.wait_bot_message(user)

        async def press(user: int, data: str) -> str:
            pressed = await env.client.press(user, user, data=data, forge=True)
            return pressed["callback_query_id"]

        first = await press(ann, "test:slow")
        second = await press(ann, "test:fast")
        other = await press(bob, "test:fast")
        answer = await env.client.wait_callback_answer(other, timeout=30)
        assert answer["text"] == "test:fast"
        assert handled == [f"{bob}:test:fast"]  # Ann's are both still waiting
        release.set()
        await env.client.wait_callback_answer(second, timeout=30)
        await env.client.wait_callback_answer(first, timeout=30)
    assert handled == [f"{bob}:test:fast", f"{ann}:test:slow", f"{ann}:test:fast"]
