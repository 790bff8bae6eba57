"""Joining a community end to end: the real PTB Application, HTTP, our emulator."""

from __future__ import annotations

from sqlalchemy import func, select

from models.people import Membership, MembershipStatus, Person, Role
from tests.conftest import COMMUNITY, person


async def staff_member(env, telegram_id: int = 900, language: str = "en",
                       at: str = COMMUNITY) -> int:
    await env.user("Wang", id=telegram_id, language_code="en" if language == "en" else "zh")
    async with env.db.session() as s:
        await person(s, telegram_id, "王主任", language=language, role=Role.STAFF, at=at)
    return telegram_id


async def join(env, user: int, *, language_button: str, agree: str, community: str = "阳光社区",
               building: str = "1栋", unit: str = "1单元", room: str = "101",
               relation: str = "Owner") -> None:
    await env.say(user, "/start")
    await env.tap(user, language_button)
    await env.tap(user, agree)
    await env.tap(user, community)
    await env.tap(user, building)
    await env.tap(user, unit)
    await env.tap(user, room)
    await env.tap(user, relation)


async def test_resident_joins_and_staff_approves_in_english(env):
    staff = await staff_member(env)
    alice = await env.user("Alice", language_code="en")

    first = await env.say(alice, "/start", "Please choose your language")
    assert env.buttons(first) == ["中文", "✓ English"]  # preselected from Telegram's language
    await env.tap(alice, "✓ English", expect="Before you join")
    await env.tap(alice, "I agree", expect="Which community do you live in?")
    assert env.buttons(await env.last(alice)) == ["桂花社区", "阳光社区"]
    await env.tap(alice, "阳光社区", expect="阳光社区: which building?")
    assert env.buttons(await env.last(alice)) == ["1栋", "2栋", "3栋", "◀ Back"]
    await env.tap(alice, "1栋", expect="which unit (stairwell)?")
    await env.tap(alice, "1单元", expect="which room?")
    await env.tap(alice, "101", expect="are you the owner, a tenant or a family member?")
    since = env.mark()
    await env.tap(alice, "Owner", expect="was sent to your community office")

    request = await env.wait(staff, "Join request", since=since)
    assert "Alice asks to join 阳光社区 1栋 1单元 101 as Owner" in request["text"]
    assert env.buttons(request) == ["✅ Approve", "❌ Reject"]

    since = env.mark()
    toast = await env.tap(staff, "✅ Approve", message_id=request["message_id"])
    assert toast["text"] == "Done."
    edited = await env.wait(staff, "Approved by 王主任", since=since)
    assert edited["message_id"] == request["message_id"]
    welcome = await env.wait(alice, "Welcome! You are now registered at", since=since)
    assert "阳光社区 1栋 1单元 101 as Owner" in welcome["text"]

    async with env.db.session() as s:
        membership = await s.scalar(select(Membership))
        assert membership.status == MembershipStatus.APPROVED

    me = await env.say(alice, "/me", "My households")
    assert "阳光社区 1栋 1单元 101 — Owner (approved)" in me["text"]


async def test_resident_joins_in_chinese(env):
    await staff_member(env, language="zh_CN")
    li = await env.user("李阿姨", language_code="zh-hans")
    first = await env.say(li, "/start", "请选择语言")
    assert env.buttons(first) == ["✓ 中文", "English"]
    await env.tap(li, "✓ 中文", expect="加入之前")
    await env.tap(li, "我同意", expect="您住在哪个社区？")
    await env.tap(li, "阳光社区", expect="哪一栋楼")
    await env.tap(li, "2栋")
    await env.tap(li, "2单元")
    await env.tap(li, "502")
    await env.tap(li, "租户", expect="已提交给社区")
    since = env.mark()
    request = await env.wait(900, "入住申请", since=0)
    assert "李阿姨" in request["text"] and "租户" in request["text"]
    await env.tap(900, "✅ 批准", message_id=request["message_id"])
    await env.wait(li, "登记成功", since=since)


async def test_declining_consent_stores_nothing(env):
    bob = await env.user("Bob", language_code="en")
    await env.say(bob, "/start")
    await env.tap(bob, "✓ English")
    await env.tap(bob, "Decline", expect="Nothing was stored")
    async with env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 0
    refused = await env.say(bob, "/me", "You are not registered yet")
    assert "/start" in refused["text"]


async def test_start_again_duplicates_nothing(env):
    await staff_member(env)
    carol = await env.user("Carol", language_code="en")
    await join(env, carol, language_button="✓ English", agree="I agree")
    since = env.mark()
    await env.say(carol, "/start", "Welcome back, Carol")
    await env.wait(carol, "Which community do you live in?", since=since)
    await env.tap(carol, "阳光社区")
    await env.tap(carol, "1栋")
    await env.tap(carol, "1单元")
    await env.tap(carol, "101")
    await env.tap(carol, "Owner", expect="still waiting for approval")
    async with env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 2
        assert await s.scalar(select(func.count()).select_from(Membership)) == 1
    requests = [m for m in await env.client.bot_messages(900) if "Join request" in m["text"]]
    assert len(requests) == 1


async def test_forged_and_stale_buttons_change_nothing(env):
    await staff_member(env)
    await staff_member(env, telegram_id=901, at="城东街道/桂花社区")
    dave = await env.user("Dave", language_code="en")
    await join(env, dave, language_button="✓ English", agree="I agree")
    async with env.db.session() as s:
        membership_id = await s.scalar(select(Membership.id))

    # the resident forges the approve button for himself
    toast = await env.tap(dave, data=f"m:a:{membership_id}", forge=True)
    assert toast["text"] == "You do not have permission to do that here."
    # staff of another community tries the same, from a message the bot sent them
    await env.say(901, "/help", "What I can do")
    toast = await env.tap(901, data=f"m:a:{membership_id}", forge=True)
    assert toast["text"] == "You do not have permission to do that here."
    async with env.db.session() as s:
        assert (await s.get(Membership, membership_id)).status == MembershipStatus.PENDING

    request = await env.wait(900, "Join request", since=0)
    await env.tap(900, "❌ Reject", message_id=request["message_id"])
    await env.wait(dave, "was not approved", since=0)
    # pressing the old button again: already handled, nothing changes
    toast = await env.tap(900, data=f"m:a:{membership_id}", forge=True)
    assert toast["text"] == "This request was already handled by 王主任."
    async with env.db.session() as s:
        assert (await s.get(Membership, membership_id)).status == MembershipStatus.REJECTED
    # a button with data we never made
    toast = await env.tap(dave, data="zz:nonsense", forge=True)
    assert "no longer valid" in toast["text"]


async def test_deep_link_skips_the_picking(env):
    from tests.conftest import place

    await staff_member(env)
    async with env.db.session() as s:
        building = await place(s, "城东街道/阳光社区/第二网格/3栋")
    erin = await env.user("Erin", language_code="en")
    await env.say(erin, f"/start join_{building.join_code}", "Please choose your language")
    await env.tap(erin, "✓ English")
    await env.tap(erin, "I agree", expect="阳光社区 3栋: which unit (stairwell)?")
    bad = await env.say(erin, "/start join_nosuchcode", "join code is not known")
    assert bad["text"]
