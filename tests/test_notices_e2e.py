"""A notice end to end: staff compose it with buttons, residents get it once and press Got it,
staff watch progress and acknowledgements per building, and remind the others."""

from __future__ import annotations

from models.onboarding import decide_membership, request_membership
from models.people import Relation, Role
from tests.conftest import COMMUNITY, person, place

B1 = COMMUNITY + "/第一网格/1栋"


async def community(env):
    """Staff (English) and four residents: three in 1栋 (one reads English), one in 3栋."""
    await env.user("Wang", id=900, language_code="en")
    async with env.db.session() as s:
        staff = await person(s, 900, "王主任", language="en", role=Role.STAFF, at=COMMUNITY)
        for telegram_id, room, language in (
            (1, B1 + "/1单元/101", "zh_CN"), (2, B1 + "/1单元/102", "en"),
            (3, B1 + "/2单元/301", "zh_CN"), (4, COMMUNITY + "/第二网格/3栋/1单元/101", "zh_CN"),
        ):
            await env.user(f"R{telegram_id}", id=telegram_id)
            p = await person(s, telegram_id, f"居民{telegram_id}", language=language)
            req = await request_membership(s, person=p, relation=Relation.OWNER,
                                           household_id=(await place(s, room)).id)
            await decide_membership(s, membership_id=req.membership.id, decider=staff,
                                    approve=True)
    return 900


async def test_compose_send_acknowledge_and_remind(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    await env.say(staff, "Water cut tomorrow 9:00-12:00 in building 1.",
                  "Who should get it? Choose the area.")
    await env.tap(staff, "第一网格", expect="第一网格")
    await env.tap(staff, "1栋", expect="阳光社区 第一网格 1栋")
    await env.tap(staff, "✅ All of 1栋", expect="Who in that area?")
    preview = await env.tap(staff, "All residents", expect="Recipients: 3 people")
    assert preview is not None
    since = env.mark()
    await env.tap(staff, "📤 Send now", expect="Sending to 3 people")

    for resident in (1, 2, 3):
        got = await env.wait(resident, "Water cut tomorrow", since=since)
        assert env.buttons(got) in (["✅ Got it"], ["✅ 收到"])
    english = await env.wait(2, "Notice", since=since)
    assert env.buttons(english) == ["✅ Got it"]
    done = await env.wait(staff, "delivered: sent 3", since=since)
    assert "failed 0" in done["text"]
    outside = [m for m in await env.client.bot_messages(4) if "Water cut" in m.get("text", "")]
    assert outside == []  # 3栋 is not in the area

    toast = await env.tap(2, "✅ Got it")
    assert toast["text"] == "Thank you, noted."
    toast = await env.tap(2, "✅ Got it")
    assert toast["text"] == "You already confirmed this notice."

    listed = await env.say(staff, "/notices", "Notices in your area")
    assert "#1 · sent" in listed["text"]
    await env.tap(staff, "📊 #1", expect="Got it: 1 of 3")
    status = await env.last(staff)
    assert "1栋: 1 / 3" in status["text"]
    since = env.mark()
    toast = await env.tap(staff, "⏰ Remind those who have not confirmed")
    assert toast["text"] == "Reminder sent to 2 people."
    await env.wait(1, "提醒", since=since)
    await env.wait(3, "提醒", since=since)
    assert [m for m in await env.client.bot_messages(2) if "Reminder" in m["text"]] == []


async def test_bad_input_while_composing(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    await env.client.send_document(staff, b"MZ\x90\x00", "setup.exe",
                                   mime_type="application/x-msdownload")
    refused = await env.wait(staff, "cannot be sent with a notice", since=0)
    assert refused
    too_long = await env.say(staff, "字" * 4100, "the most is 3996")
    assert "4100" in too_long["text"]
    resident = await env.say(1, "/notice", "只有")  # residents cannot publish, told in Chinese
    assert "网格员" in resident["text"]


async def test_forged_notice_buttons_change_nothing(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    await env.say(staff, "Flood drill on Saturday.", "Choose the area")
    await env.say(1, "/help", "我能做什么")
    toast = await env.tap(1, data="nt:go:1", forge=True)  # a resident forges "send now"
    assert "权限" in toast["text"]
    toast = await env.tap(1, data="nt:p:1:1", forge=True)  # or picks the whole street
    assert "权限" in toast["text"]
    toast = await env.tap(1, data="na:1", forge=True)  # "Got it" for a notice never sent
    assert "不是发给您" in toast["text"]
    from models.notices import Notice

    async with env.db.session() as s:
        notice = await s.get(Notice, 1)
        assert notice.status == "draft" and notice.place_id is None


async def test_bind_a_group_and_pin_a_notice_there(env):
    staff = await community(env)
    group = (await env.client.create_group("1栋 邻里群", [staff, 1, 2], admin_ids=[staff]))["id"]
    refused = await env.say(1, "/bind", "只有", chat_id=group)  # a resident cannot
    assert refused
    await env.say(staff, "/bind", "choose it all", chat_id=group)
    await env.tap(staff, "第一网格", chat_id=group, expect="第一网格")
    await env.tap(staff, "1栋", chat_id=group, expect="阳光社区 第一网格 1栋")
    # a resident in the group presses the staff member's button: nothing happens
    toast = await env.tap(1, "✅ All of 1栋", chat_id=group)
    assert "权限" in toast["text"]
    await env.tap(staff, "✅ All of 1栋", chat_id=group, expect="What is this group for?")
    await env.tap(staff, "Residents' group of this place", chat_id=group,
                  expect="now bound to 阳光社区 第一网格 1栋")

    await env.say(staff, "/notice", "Send me its text")
    await env.say(staff, "Fire drill at 15:00.", "Choose the area")
    await env.tap(staff, "第一网格", expect="第一网格")
    await env.tap(staff, "1栋", expect="阳光社区 第一网格 1栋")
    await env.tap(staff, "✅ All of 1栋", expect="Who in that area?")
    await env.tap(staff, "All residents", expect="Recipients: 3 people")
    await env.tap(staff, "📌 Pin in groups: off", expect="Also pinned in 1 group chat(s).")
    since = env.mark()
    await env.tap(staff, "📤 Send now")
    posted = await env.wait(group, "Fire drill at 15:00.", since=since)
    for _ in range(100):
        messages = {m["message_id"]: m for m in await env.client.messages(group)}
        if messages[posted["message_id"]].get("pinned"):
            break
        await env.client._get("/wait", chat_id=group, timeout=0.05)
    assert messages[posted["message_id"]]["pinned"]
    in_group = [m for m in messages.values() if "Fire drill" in (m.get("text") or "")]
    assert len(in_group) == 1  # once per group, not once per member


async def test_tags_by_buttons_and_forged_household_lists_nothing(env):
    staff = await community(env)
    await env.say(staff, "/tags", "Choose the household")
    await env.tap(staff, "第一网格", expect="第一网格")
    await env.tap(staff, "1栋", expect="1栋")
    await env.tap(staff, "1单元", expect="1单元")
    await env.tap(staff, "101", expect="Who in this household?")
    await env.tap(staff, "居民1", expect="Groups for 居民1")
    await env.tap(staff, "☐ Elderly living alone")
    assert "☑ Elderly living alone" in env.buttons(await env.last(staff))
    from models.people import PersonTag

    async with env.db.session() as s:
        from sqlalchemy import select

        assert [t.tag for t in await s.scalars(select(PersonTag))] == ["elderly_alone"]
    # staff of another community forge a button to list a household's members here
    await env.user("Other", id=901, language_code="en")
    async with env.db.session() as s:
        await person(s, 901, "Other staff", language="en", role=Role.STAFF,
                     at="城东街道/桂花社区")
        household = await place(s, B1 + "/1单元/101")
    await env.say(901, "/help", "What I can do")
    toast = await env.tap(901, data=f"tg:d:{household.id}:0", forge=True)
    assert toast["text"] == "You do not have permission to do that here."
    assert "居民1" not in (await env.last(901))["text"]
