"""Quiet hours (21:00–08:00 on the community's clock): what is not urgent waits for the
morning — a reminder that falls due at 03:00 goes at 08:00, a notice composed at 22:00 goes at
08:00 and its author is told so — while a notice marked urgent (a flood warning) goes at once.
The clock is fixed by the test (the outbox and the tick read it), never waited for."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.i18n import tr
from jobs.tick import run_tick
from models.notices import Notice, remind_unacknowledged
from models.onboarding import decide_membership, request_membership
from models.outbox import OutboxMessage, OutboxStatus, claim
from models.people import Relation, Role
from models.quiet_hours import QuietHours
from tests.botenv import running_bot
from tests.conftest import COMMUNITY, ROOM_101, person, place

SHANGHAI = ZoneInfo("Asia/Shanghai")
B1 = COMMUNITY + "/第一网格/1栋"
STAFF = 900
WORDS = {
    "en": {"urgent_off": "🚨 Urgent: off", "urgent_on": "🚨 Urgent: on",
           "all": "✅ All of 1栋", "residents": "All residents", "send": "📤 Send now",
           "area": "Who should get it? Choose the area.", "text": "Send me its text",
           "preview": "Recipients: 2 people", "sending": "Sending to 2 people",
           "quiet": "it will go out at {time}", "still": "Still waiting for a decision",
           "rest": "Quiet hours: the rest goes out at {time}."},
    "zh_CN": {"urgent_off": "🚨 紧急：关", "urgent_on": "🚨 紧急：开",
              "all": "✅ 1栋全部", "residents": "全体居民", "send": "📤 立即发送",
              "area": "发给谁？请选择区域。", "text": "请把公告内容发给我",
              "preview": "接收人：2 人", "sending": "正在发送给 2 人",
              "quiet": "将于{time}发出", "still": "以下申请仍在等待处理",
              "rest": "免打扰时段：其余的将于{time}发出。"},
}


class Clock:
    """The time the bot's outbox and tick see; the test moves it."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def local(days: int, hour: int) -> dt.datetime:
    """`hour`:00 on the community's clock, `days` from today (in the future: what is queued
    now is due by then)."""
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), SHANGHAI).astimezone(dt.UTC)


def test_the_default_is_nine_at_night_to_eight_in_the_morning(monkeypatch):
    monkeypatch.delenv("LINLI_QUIET_HOURS")
    quiet = Settings(_env_file=None).quiet  # type: ignore[call-arg]
    assert quiet == QuietHours(dt.time(21), dt.time(8), SHANGHAI)
    assert not quiet.holds(local(2, 12)) and quiet.ends(local(2, 12)) == local(2, 12)
    assert quiet.holds(local(2, 3)) and quiet.ends(local(2, 3)) == local(2, 8)
    assert quiet.holds(local(2, 22)) and quiet.ends(local(2, 22)) == local(3, 8)
    assert Settings(_env_file=None, quiet_hours="").quiet is None  # type: ignore[call-arg]


async def community(env, language: str) -> None:
    await env.user("Wang", id=STAFF, language_code="en" if language == "en" else "zh-hans")
    async with env.db.session() as s:
        staff = await person(s, STAFF, "王芳", language=language, role=Role.STAFF, at=COMMUNITY)
        for telegram_id, room, reads in ((1, B1 + "/1单元/101", "zh_CN"),
                                         (2, B1 + "/1单元/102", "en")):
            await env.user(f"R{telegram_id}", id=telegram_id)
            p = await person(s, telegram_id, f"居民{telegram_id}", language=reads)
            req = await request_membership(s, person=p, relation=Relation.OWNER,
                                           household_id=(await place(s, room)).id)
            await decide_membership(s, membership_id=req.membership.id, decider=staff,
                                    approve=True)


async def compose(env, text: str, w: dict[str, str]) -> dict:
    """/notice → text → 1栋 → all residents: the preview."""
    await env.say(STAFF, "/notice", w["text"])
    area = await env.say(STAFF, text, w["area"])
    area = await env.tap_on(STAFF, "第一网格", on=area, expect="第一网格")
    area = await env.tap_on(STAFF, "1栋", on=area, button=w["all"])
    who = await env.tap_on(STAFF, w["all"], on=area, button=w["residents"])
    return await env.tap_on(STAFF, w["residents"], on=who, expect=w["preview"])


@pytest.fixture
async def night(db, places):
    async with running_bot(db, quiet_hours="21:00-08:00") as env:
        clock = Clock()
        env.app.bot_data["deps"].clock = clock
        yield env, clock
        assert env.errors == []


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_notice_at_ten_waits_for_the_morning_an_urgent_one_goes_at_once(night,
                                                                               language):
    env, clock = night
    w = WORDS[language]
    await community(env, language)

    clock.now = local(2, 22)
    preview = await compose(env, "Water cut tomorrow 9:00-12:00.", w)
    since = env.mark()
    await env.tap(STAFF, w["send"], message_id=preview["message_id"])
    told = await env.wait_said(STAFF, w["sending"], since=since)
    when = tr(language, SHANGHAI).when(local(3, 8), zone=True)  # 08:00 tomorrow, in words
    assert w["quiet"].format(time=when) in told["text"]
    # the progress it then shows keeps saying so
    await env.wait_said(STAFF, w["rest"].format(time=when), since=since)

    clock.now = local(2, 23)
    preview = await compose(env, "Flood warning: move cars out of the garage now.", w)
    preview = await env.tap_on(STAFF, w["urgent_off"], on=preview, button=w["urgent_on"])
    since = env.mark()
    await env.tap(STAFF, w["send"], message_id=preview["message_id"])
    for resident in (1, 2):
        await env.wait(resident, "Flood warning", since=since)
    told = await env.wait_said(STAFF, w["sending"], since=since)
    assert w["quiet"].split("{")[0] not in told["text"]
    async with env.db.session() as s:
        water = await s.scalar(select(Notice).where(Notice.texts["*"].as_string()
                                                    .like("Water cut%")))
        held = set(await s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.topic == water.topic)))
    assert held == {OutboxStatus.PENDING}  # the urgent one was claimed after it, and went
    assert not [m for m in await env.client.bot_messages(1) if "Water cut" in m["text"]]

    since = env.mark()
    clock.now = local(3, 8)
    await env.drain_outbox()
    for resident in (1, 2):
        await env.wait(resident, "Water cut tomorrow", since=since)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_reminder_due_at_three_goes_at_eight(night, language):
    env, clock = night
    w = WORDS[language]
    await env.user("Wang", id=STAFF, language_code="en" if language == "en" else "zh-hans")
    await env.user("Alice", id=1, language_code="en")
    async with env.db.session() as s:
        await person(s, STAFF, "王芳", language=language, role=Role.STAFF, at=COMMUNITY)
        alice = await person(s, 1, "Alice", language="en")
        await request_membership(s, person=alice, relation=Relation.OWNER,
                                 household_id=(await place(s, ROOM_101)).id,
                                 remind_after=dt.timedelta(hours=24), now=local(1, 3))

    clock.now = local(2, 3)  # the bot was down; the reminder fell due at 03:00
    assert await run_tick(env.db, now=clock.now) == 1
    await env.drain_outbox()
    settings = env.app.bot_data["deps"].settings
    async with env.db.session() as s:  # what the sender's claim sees at 03:00: nothing
        assert await claim(s, limit=100, lease=dt.timedelta(seconds=60), now=clock.now,
                           quiet=settings.quiet) == []
    clock.now = local(2, 7)
    async with env.db.session() as s:
        assert await claim(s, limit=100, lease=dt.timedelta(seconds=60), now=clock.now,
                           quiet=settings.quiet) == []
    assert not [m for m in await env.client.bot_messages(STAFF) if w["still"] in m["text"]]

    since = env.mark()
    clock.now = local(2, 8)
    await env.drain_outbox()
    reminder = await env.wait(STAFF, w["still"], since=since)
    assert "Alice" in reminder["text"]


async def test_a_reminder_held_overnight_skips_who_acted_before_the_morning(night):
    """Reminded at 22:00, held for the morning; one resident presses "Got it" at 07:30: at
    08:00 only the other is reminded (a reminder never asks for what was done)."""
    env, clock = night
    w = WORDS["en"]
    await community(env, "en")
    clock.now = local(2, 12)
    preview = await compose(env, "Lift maintenance on Friday.", w)
    since = env.mark()
    await env.tap(STAFF, w["send"], message_id=preview["message_id"])
    notices = {r: await env.wait(r, "Lift maintenance", since=since) for r in (1, 2)}
    await env.outbox_settled()  # recorded as delivered: they are the ones to remind

    clock.now = local(2, 22)
    async with env.db.session() as s:
        staff = await person(s, STAFF, "王芳", language="en")
        notice_id = await s.scalar(select(Notice.id))
        assert await remind_unacknowledged(s, notice_id=notice_id, by=staff,
                                           now=clock.now) == 2
    clock.now = local(3, 7)
    await env.tap(1, data=notices[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
                  message_id=notices[1]["message_id"])  # "Got it", before the morning

    since = env.mark()
    clock.now = local(3, 8)
    await env.drain_outbox()
    await env.wait(2, "Reminder", since=since)
    await env.outbox_settled()
    assert not [m for m in await env.client.bot_messages(1) if "Reminder" in m["text"]
                or "提醒" in m["text"]]
    async with env.db.session() as s:
        statuses = sorted(await s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.kind == "notice.reminder")))
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SKIPPED]
