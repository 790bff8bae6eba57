"""The running bot around the features: menus, help, language, errors, reminders, outbox."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from jobs.tick import run_tick
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Person, Role
from tests.botenv import TOKEN
from tests.conftest import COMMUNITY, person
from tests.test_onboarding_e2e import join, staff_member


async def test_command_menus_per_language_and_role(env):
    alice = await env.user("Alice", language_code="en")
    en = [c["command"] for c in await env.client.commands(alice, language_code="en")]
    assert en == ["start", "me", "notices", "pledges", "votes", "polls", "report", "myreports",
                  "language", "help"]
    zh = await env.client.commands(alice, language_code="zh")
    assert [c["description"] for c in zh][0] != \
        [c["description"] for c in await env.client.commands(alice, language_code="en")][0]
    await staff_member(env)  # staff get their own menu when granted (at start-up or consent)
    staff = await env.user("Staff", id=902, language_code="en")
    async with env.db.session() as s:
        await person(s, staff, "Staff Two", language="en", role=Role.STAFF, at=COMMUNITY)
    assert "pending" not in [c["command"] for c in await env.client.commands(staff, "en")]
    await env.say(staff, "/language", "Please choose your language")
    await env.tap(staff, "✓ English", expect="Language set to English")
    menu = [c["command"] for c in await env.client.commands(staff, language_code="en")]
    assert "pending" in menu
    group = await env.client.create_group("1栋 邻里群", [alice, staff])
    assert [c["command"] for c in await env.client.commands(group["id"],
                                                            language_code="en")] == ["help",
                                                                                     "bind"]


async def test_help_and_language_by_buttons(env):
    alice = await env.user("Alice", language_code="en")
    await join(env, alice, language_button="✓ English", agree="I agree")
    helped = await env.say(alice, "/help", "What I can do")
    assert "/me" in helped["text"] and "/pending" not in helped["text"]
    assert env.buttons(helped) == ["Join a household", "My information", "Language", "Notices",
                                   "Pledges", "🗳 Owners' votes", "📊 Resident polls",
                                   "📸 Report a problem", "📋 My reports"]
    await env.tap(alice, "Language", expect="Please choose your language")
    await env.tap(alice, "中文", expect="语言已设置为")
    helped = await env.say(alice, "/help", "我能做什么")
    async with env.db.session() as s:
        assert (await s.scalar(select(Person).where(Person.telegram_id == alice))).language \
            == "zh_CN"
    menu = await env.client.commands(alice, language_code="en")  # her own chat's menu
    assert menu[0]["description"] != "Join your community or add a household"


async def test_help_in_a_group_points_to_the_private_chat(env):
    alice = await env.user("Alice", language_code="en")
    group = await env.client.create_group("1栋 邻里群", [alice])
    answer = await env.say(alice, "/help", "private chat", chat_id=group["id"])
    assert answer["chat"]["id"] == group["id"]


async def test_pending_lists_requests_for_staff_only(env):
    staff = await staff_member(env)
    alice = await env.user("Alice", language_code="en")
    asked = env.mark()
    await join(env, alice, language_button="✓ English", agree="I agree")
    await env.wait(staff, "Alice asks to join", since=asked)  # the outbox's, not the list's
    since = env.mark()
    await env.client.send(staff, "/pending")
    listed = await env.wait(staff, "Alice asks to join", since=since)
    assert env.buttons(listed) == ["✅ Approve", "❌ Reject"]
    refused = await env.say(alice, "/pending", "Only staff and grid workers")
    assert refused


async def test_reminder_reaches_staff_once_after_downtime(env):
    staff = await staff_member(env)
    alice = await env.user("Alice", language_code="en")
    await join(env, alice, language_button="✓ English", agree="I agree")
    since = env.mark()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    assert await run_tick(env.db, now=later) == 1
    assert await run_tick(env.db, now=later + dt.timedelta(minutes=1)) == 0
    await env.drain_outbox()
    reminder = await env.wait(staff, "Still waiting for a decision", since=since)
    assert env.buttons(reminder) == ["✅ Approve", "❌ Reject"]


async def test_a_blocked_staff_member_is_marked_unreachable(env):
    staff = await staff_member(env)
    await env.client.set_blocked(staff, True)
    alice = await env.user("Alice", language_code="en")
    await join(env, alice, language_button="✓ English", agree="I agree")
    for _ in range(200):  # until the sender has recorded its outcome
        async with env.db.session() as s:
            row = await s.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == staff))
            if row.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                break
        await env.client._get("/wait", chat_id=staff, timeout=0.05)
    assert row.status == OutboxStatus.BLOCKED and "blocked" in row.error
    async with env.db.session() as s:
        assert (await s.scalar(select(Person).where(Person.telegram_id == staff))).unreachable_at


async def test_a_failing_handler_is_logged_without_secrets_and_the_user_told(env, caplog):
    alice = await env.user("Alice", language_code="en")
    await join(env, alice, language_button="✓ English", agree="I agree")

    # built at run time, so the traceback's source lines cannot contain them
    who, phone = "".join(["Ali", "ce"]), "".join(["138", "0013", "8000"])

    async def broken(*args, **kwargs):
        raise RuntimeError(f"database on fire: {who} {phone}")

    import handlers.account as account

    original = account.memberships_of
    account.memberships_of = broken
    try:
        with caplog.at_level(logging.DEBUG):
            told = await env.say(alice, "/me", "something went wrong on our side")
    finally:
        account.memberships_of = original
    assert "try again" in told["text"]
    env.errors.clear()  # the failure was this test's doing
    failures = [r for r in caplog.records if r.name == "bot.app"]
    assert failures and "update" in failures[0].getMessage()
    assert "Alice" not in failures[0].getMessage()
    everything = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "getUpdates" in everything  # httpx did log its requests here, with URLs
    assert TOKEN not in everything and "13800138000" not in everything
