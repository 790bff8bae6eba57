"""A notice end to end: staff compose it with buttons, residents get it once and press Got it,
staff watch progress and acknowledgements per building, and remind the others."""

from __future__ import annotations

from bot.i18n import tr
from models.base import utcnow
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
    area = await env.say(staff, "Water cut tomorrow 9:00-12:00 in building 1.",
                         "Who should get it? Choose the area.")
    area = await env.tap_on(staff, "第一网格", on=area, expect="第一网格")
    area = await env.tap_on(staff, "1栋", on=area, expect="阳光社区 第一网格 1栋")
    who = await env.tap_on(staff, "✅ All of 1栋", on=area, expect="Who in that area?")
    preview = await env.tap_on(staff, "All residents", on=who, expect="Recipients: 3 people")
    assert preview is not None
    since = env.mark()
    await env.tap(staff, "📤 Send now", message_id=preview["message_id"])
    # the progress job soon edits these words into "sent 1, …": they may be gone already
    await env.wait_said(staff, "Sending to 3 people", since=since)

    for resident in (1, 2, 3):
        got = await env.wait(resident, "Water cut tomorrow", since=since)
        assert env.buttons(got) in (["✅ Got it"], ["✅ 收到"])
    english = await env.wait(2, "Notice", since=since)
    assert env.buttons(english) == ["✅ Got it"]
    done = await env.wait(staff, "delivered: sent 3", since=since)
    assert "failed 0" in done["text"]
    outside = [m for m in await env.client.bot_messages(4) if "Water cut" in m.get("text", "")]
    assert outside == []  # 3栋 is not in the area

    toast = await env.tap(2, "✅ Got it", message_id=english["message_id"])
    assert toast["text"] == "Thank you, noted."
    day = tr("en", env.app.bot_data["deps"].settings.tz).short_day(utcnow())
    await env.wait_for(2, "Water cut", since=since, button=f"✅ Got it · {day}")  # (#13)
    toast = await env.tap(2, f"✅ Got it · {day}", message_id=english["message_id"])
    assert toast["text"] == "You already confirmed this notice."

    listed = await env.say(staff, "/notices", "Notices in your area")
    assert "#1 · sent" in listed["text"]
    status = await env.tap_on(staff, "📊 #1", on=listed, expect="Got it: 1 of 3")
    assert "1栋: 1 / 3" in status["text"]
    since = env.mark()
    toast = await env.tap(staff, "⏰ Remind those who have not confirmed",
                          message_id=status["message_id"])
    assert toast["text"] == "Reminder sent to 2 people."
    await env.wait(1, "提醒", since=since)
    await env.wait(3, "提醒", since=since)
    await env.outbox_settled()  # nothing owed is still on its way to 2
    assert [m for m in await env.client.bot_messages(2) if "Reminder" in m["text"]] == []


async def test_bad_input_while_composing(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    since = env.mark()
    await env.client.send_document(staff, b"MZ\x90\x00", "setup.exe",
                                   mime_type="application/x-msdownload")
    refused = await env.wait(staff, "cannot be sent with a notice", since=since)
    assert refused
    too_long = await env.say(staff, "字" * 4100, "the most is 3996")
    assert "4100" in too_long["text"]
    resident = await env.say(1, "/notice", "只有")  # residents cannot publish, told in Chinese
    assert "网格员" in resident["text"]


async def test_forged_notice_buttons_change_nothing(env):
    staff = await community(env)
    await env.say(staff, "/notice", "Send me its text")
    await env.say(staff, "Flood drill on Saturday.", "Choose the area")
    helped = await env.say(1, "/help", "我能做什么")
    on = helped["message_id"]
    toast = await env.tap(1, data="nt:go:1", forge=True, message_id=on)  # forges "send now"
    assert "权限" in toast["text"]
    toast = await env.tap(1, data="nt:p:1:1", forge=True, message_id=on)  # the whole street
    assert "权限" in toast["text"]
    toast = await env.tap(1, data="na:1", forge=True, message_id=on)  # "Got it", never sent
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
    area = await env.say(staff, "/bind", "choose it all", chat_id=group)
    area = await env.tap_on(staff, "第一网格", on=area, expect="第一网格")
    area = await env.tap_on(staff, "1栋", on=area, expect="阳光社区 第一网格 1栋")
    # a resident in the group presses the staff member's button: nothing happens
    toast = await env.tap(1, "✅ All of 1栋", chat_id=group, message_id=area["message_id"])
    assert "权限" in toast["text"]
    purpose = await env.tap_on(staff, "✅ All of 1栋", on=area, expect="What is this group for?")
    await env.tap_on(staff, "Residents' group of this place", on=purpose,
                     expect="now bound to 阳光社区 第一网格 1栋")

    await env.say(staff, "/notice", "Send me its text")
    area = await env.say(staff, "Fire drill at 15:00.", "Choose the area")
    area = await env.tap_on(staff, "第一网格", on=area, expect="第一网格")
    area = await env.tap_on(staff, "1栋", on=area, expect="阳光社区 第一网格 1栋")
    who = await env.tap_on(staff, "✅ All of 1栋", on=area, expect="Who in that area?")
    preview = await env.tap_on(staff, "All residents", on=who, expect="Recipients: 3 people")
    preview = await env.tap_on(staff, "📌 Pin in groups: off", on=preview,
                               expect="Also pinned in 1 group chat(s).")
    since = env.mark()
    await env.tap(staff, "📤 Send now", message_id=preview["message_id"])
    posted = await env.wait(group, "Fire drill at 15:00.", since=since)
    for _ in range(100):
        messages = {m["message_id"]: m for m in await env.client.messages(group)}
        if messages[posted["message_id"]].get("pinned"):
            break
        await env.client._get("/wait", chat_id=group, timeout=0.05)
    assert messages[posted["message_id"]]["pinned"]
    await env.outbox_settled()  # a second copy could not still be on its way
    messages = {m["message_id"]: m for m in await env.client.messages(group)}
    in_group = [m for m in messages.values() if "Fire drill" in (m.get("text") or "")]
    assert len(in_group) == 1  # once per group, not once per member


async def test_tags_by_buttons_and_forged_household_lists_nothing(env):
    staff = await community(env)
    picker = await env.say(staff, "/tags", "Choose the household")
    picker = await env.tap_on(staff, "第一网格", on=picker, expect="第一网格")
    picker = await env.tap_on(staff, "1栋", on=picker, expect="1栋")
    picker = await env.tap_on(staff, "1单元", on=picker, expect="1单元")
    people = await env.tap_on(staff, "101", on=picker, expect="Who in this household?")
    tags = await env.tap_on(staff, "居民1", on=people, expect="Groups for 居民1")
    ticked = await env.tap_on(staff, "☐ Elderly living alone", on=tags,
                              button="☑ Elderly living alone")
    assert "☑ Elderly living alone" in env.buttons(ticked)
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
    helped = await env.say(901, "/help", "What I can do")
    toast = await env.tap(901, data=f"tg:d:{household.id}:0", forge=True,
                          message_id=helped["message_id"])
    assert toast["text"] == "You do not have permission to do that here."
    assert not [m for m in await env.client.bot_messages(901) if "居民1" in (m.get("text") or "")]


async def test_an_error_after_a_press_in_a_group_stays_the_pressers_own(env):
    """A stale button pressed in a group: the presser is told privately (an alert naming
    /help), and the group gets no message about it — nor a Help button for everyone."""
    staff = await community(env)
    group = (await env.client.create_group("1栋 邻里群", [staff, 1, 2],
                                           admin_ids=[staff]))["id"]
    area = await env.say(staff, "/bind", "choose it all", chat_id=group)
    since = env.mark()
    toast = await env.tap(2, data="pl:zz:1", forge=True, chat_id=group,
                          message_id=area["message_id"])
    assert "/help" in toast["text"] and toast["show_alert"]
    await env.outbox_settled()
    said = [m for m in await env.client.bot_messages(group) if m["seq"] > since]
    assert said == []
