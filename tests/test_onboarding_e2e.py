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
               relation: str = "Owner") -> dict:
    """Walk through joining; each press is on the message that showed the button, once the
    bot has shown it. Returns that message as the last press left it."""
    since = env.mark()
    await env.client.send(user, "/start")
    message = await env.wait_for(user, since=since, button=language_button)
    for pressed, shown in ((language_button, agree), (agree, community),
                           (community, building), (building, unit), (unit, room),
                           (room, relation)):
        message = await env.tap_on(user, pressed, on=message, button=shown)
    return await env.tap_on(user, relation, on=message,
                            expect=f"{community} {building} {unit} {room}")


async def test_resident_joins_and_staff_approves_in_english(env):
    staff = await staff_member(env)
    alice = await env.user("Alice", language_code="en")

    first = await env.say(alice, "/start", "Please choose your language")
    assert env.buttons(first) == ["中文", "✓ English"]  # preselected from Telegram's language
    consent = await env.tap_on(alice, "✓ English", on=first, expect="Before you join")
    communities = await env.tap_on(alice, "I agree", on=consent,
                                   expect="Which community do you live in?")
    assert env.buttons(communities) == ["桂花社区", "阳光社区"]
    buildings = await env.tap_on(alice, "阳光社区", on=communities,
                                 expect="阳光社区: which building?")
    assert env.buttons(buildings) == ["1栋", "2栋", "3栋", "◀ Back"]
    units = await env.tap_on(alice, "1栋", on=buildings, expect="which unit (stairwell)?")
    rooms = await env.tap_on(alice, "1单元", on=units, expect="which room?")
    relations = await env.tap_on(alice, "101", on=rooms,
                                 expect="are you the owner, a tenant or a family member?")
    since = env.mark()
    await env.tap_on(alice, "Owner", on=relations, expect="was sent to your community office")

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
    consent = await env.tap_on(li, "✓ 中文", on=first, expect="加入之前")
    picker = await env.tap_on(li, "我同意", on=consent, expect="您住在哪个社区？")
    picker = await env.tap_on(li, "阳光社区", on=picker, expect="哪一栋楼")
    picker = await env.tap_on(li, "2栋", on=picker, button="2单元")
    picker = await env.tap_on(li, "2单元", on=picker, button="502")
    picker = await env.tap_on(li, "502", on=picker, button="租户")
    asked = env.mark()
    await env.tap_on(li, "租户", on=picker, expect="已提交给社区")
    request = await env.wait(900, "入住申请", since=asked)
    assert "李阿姨" in request["text"] and "租户" in request["text"]
    since = env.mark()
    await env.tap(900, "✅ 批准", message_id=request["message_id"])
    await env.wait(li, "登记成功", since=since)


async def test_declining_consent_stores_nothing(env):
    bob = await env.user("Bob", language_code="en")
    first = await env.say(bob, "/start", "Please choose your language")
    consent = await env.tap_on(bob, "✓ English", on=first, expect="Before you join")
    await env.tap_on(bob, "Decline", on=consent, expect="Nothing was stored")
    async with env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 0
    refused = await env.say(bob, "/me", "You are not registered yet")
    assert "/start" in refused["text"]


async def test_start_again_duplicates_nothing(env):
    await staff_member(env)
    carol = await env.user("Carol", language_code="en")
    asked = env.mark()
    await join(env, carol, language_button="✓ English", agree="I agree")
    await env.wait(900, "Carol asks to join", since=asked)  # through the outbox
    since = env.mark()
    await env.say(carol, "/start", "Welcome back, Carol")
    picker = await env.wait(carol, "Which community do you live in?", since=since)
    picker = await env.tap_on(carol, "阳光社区", on=picker, button="1栋")
    picker = await env.tap_on(carol, "1栋", on=picker, button="1单元")
    picker = await env.tap_on(carol, "1单元", on=picker, button="101")
    picker = await env.tap_on(carol, "101", on=picker, button="Owner")
    await env.tap_on(carol, "Owner", on=picker, expect="still waiting for approval")
    async with env.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 2
        assert await s.scalar(select(func.count()).select_from(Membership)) == 1
    await env.outbox_settled()  # a second request could not still be on its way
    requests = [m for m in await env.client.bot_messages(900) if "Join request" in m["text"]]
    assert len(requests) == 1


async def test_forged_and_stale_buttons_change_nothing(env):
    await staff_member(env)
    await staff_member(env, telegram_id=901, at="城东街道/桂花社区")
    dave = await env.user("Dave", language_code="en")
    asked = env.mark()
    sent = await join(env, dave, language_button="✓ English", agree="I agree")
    async with env.db.session() as s:
        membership_id = await s.scalar(select(Membership.id))

    # the resident forges the approve button for himself
    toast = await env.tap(dave, data=f"m:a:{membership_id}", forge=True,
                          message_id=sent["message_id"])
    assert toast["text"] == "You do not have permission to do that here."
    # staff of another community tries the same, from a message the bot sent them
    helped = await env.say(901, "/help", "What I can do")
    toast = await env.tap(901, data=f"m:a:{membership_id}", forge=True,
                          message_id=helped["message_id"])
    assert toast["text"] == "You do not have permission to do that here."
    async with env.db.session() as s:
        assert (await s.get(Membership, membership_id)).status == MembershipStatus.PENDING

    request = await env.wait(900, "Join request", since=asked)
    since = env.mark()
    await env.tap(900, "❌ Reject", message_id=request["message_id"])
    told = await env.wait(dave, "was not approved", since=since)
    # pressing the old button again: already handled, nothing changes
    toast = await env.tap(900, data=f"m:a:{membership_id}", forge=True,
                          message_id=request["message_id"])
    assert toast["text"] == "This request was already handled by 王主任."
    async with env.db.session() as s:
        assert (await s.get(Membership, membership_id)).status == MembershipStatus.REJECTED
    # a button with data we never made
    toast = await env.tap(dave, data="zz:nonsense", forge=True, message_id=told["message_id"])
    assert "no longer valid" in toast["text"]


async def test_deep_link_skips_the_picking(env):
    from tests.conftest import place

    await staff_member(env)
    async with env.db.session() as s:
        building = await place(s, "城东街道/阳光社区/第二网格/3栋")
    erin = await env.user("Erin", language_code="en")
    first = await env.say(erin, f"/start join_{building.join_code}",
                          "Please choose your language")
    consent = await env.tap_on(erin, "✓ English", on=first, expect="Before you join")
    await env.tap_on(erin, "I agree", on=consent, expect="阳光社区 3栋: which unit (stairwell)?")
    bad = await env.say(erin, "/start join_nosuchcode", "join code is not known")
    assert bad["text"]
