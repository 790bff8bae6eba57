"""Every approver's copy of a join request follows the decision: when one approver decides, the
others' messages (sent through the outbox) are edited to say who decided and how, with no
buttons left — in each reader's language, exactly once, also after a restart between deciding
and editing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.db import Database
from bot.emulator import World
from models.base import utcnow
from models.onboarding import decide_membership, request_membership
from models.outbox import OutboxMessage, OutboxStatus, claim
from models.people import Person, Relation, Role
from tests.botenv import TOKEN, running_bot
from tests.conftest import COMMUNITY, ROOM_101, person, place

WANG, ZHAO, ALICE = 900, 901, 1


async def two_approvers_and_a_request(env, *, wang: str, zhao: str) -> tuple[dict, dict]:
    """王芳 and 赵强 (staff over the community, in the given languages) both get Alice's
    request; their two messages."""
    for tid, name, language in ((WANG, "王芳", wang), (ZHAO, "赵强", zhao)):
        await env.user(name, id=tid, language_code="en" if language == "en" else "zh-hans")
        async with env.db.session() as s:
            await person(s, tid, name, language=language, role=Role.STAFF, at=COMMUNITY)
    await env.user("Alice", id=ALICE, language_code="en")
    since = env.mark()
    async with env.db.session() as s:
        alice = await person(s, ALICE, "Alice", language="en")
        await request_membership(s, person=alice, relation=Relation.OWNER,
                                 household_id=(await place(s, ROOM_101)).id)
    await env.drain_outbox()
    word = {"en": "Join request", "zh_CN": "入住申请"}
    first = await env.wait_for(WANG, word[wang], since=since, button=approve_label(wang))
    second = await env.wait_for(ZHAO, word[zhao], since=since, button=approve_label(zhao))
    return first, second


def approve_label(language: str) -> str:
    return "✅ Approve" if language == "en" else "✅ 批准"


@pytest.mark.parametrize(("wang", "zhao", "verdict"), [
    ("zh_CN", "en", "✅ Approved by 王芳"),
    ("en", "zh_CN", "✅ 已由王芳批准"),
])
async def test_one_approves_and_the_others_copy_says_so(env, wang, zhao, verdict):
    mine, theirs = await two_approvers_and_a_request(env, wang=wang, zhao=zhao)
    since = env.mark()
    await env.tap(WANG, approve_label(wang), message_id=mine["message_id"])

    edited = await env.wait(ZHAO, verdict, since=since)
    assert edited["message_id"] == theirs["message_id"]  # the same message, not a new one
    assert env.buttons(edited) == []
    assert "Alice" in edited["text"]
    await env.outbox_settled()
    copies = [m for m in await env.client.bot_messages(ZHAO) if "Alice" in (m["text"] or "")]
    assert len(copies) == 1 and len(copies[0].get("edits", [])) == 1
    # 王芳's own copy was edited once, by her answer: no second edit that Telegram would
    # refuse as "message is not modified"
    own = [m for m in await env.client.bot_messages(WANG) if "Alice" in (m["text"] or "")]
    assert len(own) == 1 and len(own[0].get("edits", [])) == 1
    assert [c for c in await env.client.calls() if not c["ok"]] == []


async def test_a_rejection_reads_as_one(env):
    mine, theirs = await two_approvers_and_a_request(env, wang="zh_CN", zhao="en")
    since = env.mark()
    await env.tap(WANG, "❌ 拒绝", message_id=mine["message_id"])
    edited = await env.wait(ZHAO, "❌ Rejected by 王芳", since=since)
    assert edited["message_id"] == theirs["message_id"] and env.buttons(edited) == []


async def test_a_restart_between_deciding_and_editing_edits_exactly_once(db: Database, places):
    world = World(token=TOKEN)
    async with running_bot(db, world=world) as env:
        _mine, theirs = await two_approvers_and_a_request(env, wang="zh_CN", zhao="en")
        await env.outbox_settled()
    # the bot is down: 王芳 decides (say, from another worker) and a sender claims the edits,
    # then dies before sending them
    async with db.session() as s:
        wang = await s.scalar(select(Person).where(Person.telegram_id == WANG))
        membership_id = await s.scalar(select(OutboxMessage.payload).limit(1))
        await decide_membership(s, membership_id=int(membership_id["membership_id"]),
                                decider=wang, approve=True)
        claimed = await claim(s, limit=100, lease=dt.timedelta(seconds=1))
        assert {row.kind for row in claimed} >= {"join.handled"}
        await s.execute(update(OutboxMessage).where(OutboxMessage.status == "sending")
                        .values(claimed_at=utcnow() - dt.timedelta(seconds=5)))
        await s.commit()
    async with running_bot(db, world=world, outbox_lease_seconds=1) as env:
        edited = await env.wait(ZHAO, "✅ Approved by 王芳", since=0)
        assert edited["message_id"] == theirs["message_id"] and env.buttons(edited) == []
        await env.outbox_settled()
        async with db.session() as s:
            edits = list(await s.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == "join.handled")))
        assert {e.status for e in edits} == {OutboxStatus.SENT}
        copies = [m for m in await env.client.bot_messages(ZHAO)
                  if "Alice" in (m["text"] or "")]
        assert len(copies) == 1 and len(copies[0].get("edits", [])) == 1
        assert env.errors == []
